"""Per-entity redaction tallies for one call's content."""

from __future__ import annotations

from collections.abc import ItemsView, Mapping


class RedactionCounts:
    """How many values of each entity type were replaced.

    The instrumentation creates one per call, passes it to every `redact_text` /
    `redact_json` that builds that call's content, then puts `total` on the span
    (`llmotel.redaction.count`) and adds each of `items()` to the `llmotel.redactions`
    counter under `llmotel.redaction.entity`. Not shared between threads.
    """

    __slots__ = ("_by_entity",)

    def __init__(self, by_entity: Mapping[str, int] | None = None) -> None:
        self._by_entity: dict[str, int] = dict(by_entity) if by_entity else {}

    def add(self, entity: str, count: int = 1) -> None:
        self._by_entity[entity] = self._by_entity.get(entity, 0) + count

    def merge(self, other: RedactionCounts) -> None:
        for entity, count in other.items():
            self.add(entity, count)

    @property
    def total(self) -> int:
        return sum(self._by_entity.values())

    def items(self) -> ItemsView[str, int]:
        return self._by_entity.items()

    def get(self, entity: str) -> int:
        return self._by_entity.get(entity, 0)

    def as_dict(self) -> dict[str, int]:
        return dict(self._by_entity)

    def __bool__(self) -> bool:
        return bool(self._by_entity)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RedactionCounts):
            return NotImplemented
        return self._by_entity == other._by_entity

    __hash__ = None  # type: ignore[assignment]  # mutable tally

    def __repr__(self) -> str:
        return f"RedactionCounts({self._by_entity!r})"
