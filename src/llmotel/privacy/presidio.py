"""Optional Presidio backend: names, addresses and other entities a regex cannot find.

Install with `pip install 'llmotel[presidio]'` plus a spaCy model for each language
(`python -m spacy download en_core_web_lg`; Korean needs `ko_core_news_lg` and
`language="ko"`). Then either set `LLMOTEL_REDACTION_PRESIDIO=PERSON,LOCATION` or pass
`RedactionConfig(detectors=(PresidioDetector(entities=("PERSON",)),))`.

Presidio runs a full NLP pipeline on every string (no fast path is possible for names), so
it costs milliseconds per message rather than microseconds.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from presidio_analyzer import AnalyzerEngine

from llmotel.privacy.findings import Finding

# After the built-in detectors when spans coincide: a regex with a validator is more precise.
_RANK = 200


class PresidioDetector:
    """Reports Presidio's recognizer results for the chosen entity types as findings."""

    needs_digit = False
    triggers: tuple[str, ...] | None = None

    def __init__(
        self,
        entities: Sequence[str] = ("PERSON", "LOCATION"),
        analyzer: Any = None,
        language: str = "en",
        score_threshold: float = 0.5,
    ) -> None:
        self.entities = frozenset(entities)
        self._entity_list = sorted(self.entities)
        self._analyzer = analyzer if analyzer is not None else AnalyzerEngine()
        self._language = language
        self._score_threshold = score_threshold

    def find(self, text: str) -> Iterator[Finding]:
        results = self._analyzer.analyze(
            text=text,
            entities=self._entity_list,
            language=self._language,
            score_threshold=self._score_threshold,
        )
        for result in results:
            yield Finding(result.start, result.end, result.entity_type, _RANK)
