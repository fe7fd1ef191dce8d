"""What a detector reports, and the protocol every detector (built-in, user or plug-in) follows."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple, Protocol


class Finding(NamedTuple):
    """One sensitive value: text[start:end] is replaced by a placeholder for entity."""

    start: int
    end: int
    entity: str
    # Lower wins when two detectors report exactly the same span (a JWT after `Bearer`).
    rank: int = 100


class Detector(Protocol):
    """Anything that finds sensitive spans in a string.

    `entities` names every entity type the detector can report, so presets and
    LLMOTEL_REDACTION_ENTITIES can switch it on and off. Two promises about its matches
    let the Redactor skip it cheaply, which keeps ordinary prose almost free:
    `needs_digit`: every match contains an ASCII digit;
    `triggers`: every match occurs only in text containing one of these substrings
    (None: no such promise). `find` runs only on text that satisfies both. A detector
    promising neither (a name recogniser, say) runs on every string.
    """

    @property
    def entities(self) -> frozenset[str]: ...

    @property
    def needs_digit(self) -> bool: ...

    @property
    def triggers(self) -> tuple[str, ...] | None: ...

    def find(self, text: str) -> Iterable[Finding]: ...
