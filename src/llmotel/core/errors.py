"""llmotel's own failures never reach the user's code: they are logged once per site and swallowed.

Under our test suite (LLMOTEL_RAISE_INTERNAL_ERRORS=1) they are re-raised instead, so a bug cannot hide.
"""

from __future__ import annotations

import logging
import os

logger = logging.getLogger("llmotel")

_reported: set[str] = set()


def raise_internal_errors() -> bool:
    return os.environ.get("LLMOTEL_RAISE_INTERNAL_ERRORS", "") == "1"


def report_internal_error(where: str) -> None:
    """Call from an `except Exception` block inside llmotel; logs the first failure of each site."""
    if raise_internal_errors():
        raise
    if where not in _reported:
        _reported.add(where)
        logger.warning(
            "llmotel: internal error in %s (telemetry for this call may be incomplete)", where, exc_info=True
        )


def error_type(exc: BaseException) -> str:
    """Low-cardinality error.type: the exception class qualified by its top-level package.

    `openai._exceptions.RateLimitError` becomes `openai.RateLimitError`; builtins stay bare (`TimeoutError`).
    """
    cls = type(exc)
    package = cls.__module__.partition(".")[0]
    if package == "builtins":
        return cls.__qualname__
    return f"{package}.{cls.__qualname__}"
