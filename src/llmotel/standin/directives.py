"""Per-request knobs: fault scenarios and stream length, read from headers or from a `standin-...` model name.

An app that cannot set headers selects a scenario through the model name alone (`model="standin-error-429"`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

SCENARIO_HEADER = "x-standin-scenario"
CHUNKS_HEADER = "x-standin-chunks"
SCENARIO_MODEL_PREFIX = "standin-"
RETRY_COUNT_HEADER = "x-stainless-retry-count"

DEFAULT_CHUNKS = 7
MAX_CHUNKS = 100_000

_DIRECTIVE = re.compile(
    r"error-(?P<status>[45]\d\d)(?P<once>-once)?"
    r"|(?P<malformed>malformed-json)"
    r"|cut-after-(?P<cut>\d+)"
    r"|error-event-after-(?P<error_event>\d+)"
    r"|slow-first-chunk-(?P<delay_ms>\d+)"
    r"|chunks-(?P<chunks>\d+)"
)
_USAGE = (
    "use comma-separated directives: error-<4xx|5xx status>[-once], malformed-json, cut-after-<events>, "
    "error-event-after-<events>, "
    "slow-first-chunk-<ms>, chunks-<n>"
)


class DirectiveError(ValueError):
    """A scenario header, chunks header or `standin-` model name that does not parse; the message names it."""


@dataclass(frozen=True)
class Directives:
    chunks: int = DEFAULT_CHUNKS
    error_status: int | None = None
    # Fail only the first attempt (retry count 0), so a client's retry succeeds.
    error_once: bool = False
    malformed_json: bool = False
    cut_after: int | None = None
    # Streams: the provider's in-stream error event after this many events, then the stream ends.
    error_event_after: int | None = None
    first_chunk_delay_s: float = 0.0

    def fails(self, headers: Mapping[str, str]) -> bool:
        if self.error_status is None:
            return False
        return not self.error_once or headers.get(RETRY_COUNT_HEADER, "0") == "0"


NO_DIRECTIVES = Directives()


def parse_directives(headers: Mapping[str, str], model: object) -> Directives:
    """Directives of one request; `headers` keys are lower-case."""
    scenario = headers.get(SCENARIO_HEADER)
    chunks_header = headers.get(CHUNKS_HEADER)
    from_model = isinstance(model, str) and model.startswith(SCENARIO_MODEL_PREFIX)
    if scenario is None and chunks_header is None and not from_model:
        return NO_DIRECTIVES
    settings: dict[str, object] = {}
    if from_model:
        assert isinstance(model, str)
        _apply(model[len(SCENARIO_MODEL_PREFIX) :], f"model {model!r}", settings)
    if scenario is not None:
        for directive in scenario.split(","):
            _apply(directive.strip(), f"header {SCENARIO_HEADER}", settings)
    if chunks_header is not None:
        if not chunks_header.strip().isdigit():
            raise DirectiveError(f"header {CHUNKS_HEADER}: expected a number of chunks, got {chunks_header!r}")
        _apply(f"chunks-{chunks_header.strip()}", f"header {CHUNKS_HEADER}", settings)
    return Directives(**settings)  # type: ignore[arg-type]


def _apply(directive: str, source: str, settings: dict[str, object]) -> None:
    match = _DIRECTIVE.fullmatch(directive)
    if match is None:
        raise DirectiveError(f"{source}: unknown stand-in directive {directive!r}; {_USAGE}")
    if match["status"]:
        settings["error_status"] = int(match["status"])
        settings["error_once"] = bool(match["once"])
    elif match["malformed"]:
        settings["malformed_json"] = True
    elif match["cut"]:
        settings["cut_after"] = int(match["cut"])
    elif match["error_event"]:
        settings["error_event_after"] = int(match["error_event"])
    elif match["delay_ms"]:
        settings["first_chunk_delay_s"] = int(match["delay_ms"]) / 1000
    else:
        chunks = int(match["chunks"])
        if not 1 <= chunks <= MAX_CHUNKS:
            raise DirectiveError(f"{source}: chunks must be between 1 and {MAX_CHUNKS}, got {chunks}")
        settings["chunks"] = chunks
