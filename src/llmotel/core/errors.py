"""llmotel's own failures never reach the user's code: they are logged once per site and swallowed.

Under our test suite (LLMOTEL_RAISE_INTERNAL_ERRORS=1) they are re-raised instead, so a bug cannot hide.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

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


# Exception classes whose instances carry their provider's own error code (botocore's ClientError: the AWS code, also
# for codes botocore has no class for), registered by the instrumentor of that provider while it instruments.
ErrorCode = Callable[[BaseException], "str | None"]
_error_codes: dict[type[BaseException], ErrorCode] = {}


def register_error_code(exception_class: type[BaseException], code: ErrorCode | None) -> None:
    """`code(exc)` gives error.type for instances of `exception_class` (None: the class name); None unregisters."""
    if code is None:
        _error_codes.pop(exception_class, None)
    else:
        _error_codes[exception_class] = code


def error_type(exc: BaseException) -> str:
    """Low-cardinality error.type: a registered provider error code, else the exception class qualified by its
    top-level package.

    `openai._exceptions.RateLimitError` becomes `openai.RateLimitError`; builtins stay bare (`TimeoutError`).
    """
    for exception_class, code in _error_codes.items():
        if isinstance(exc, exception_class):
            found = code(exc)
            if found:
                return found
    cls = type(exc)
    package = cls.__module__.partition(".")[0]
    if package == "builtins":
        return cls.__qualname__
    return f"{package}.{cls.__qualname__}"
