"""The optional Presidio backend against the real presidio-analyzer and spaCy.

Runs where the `presidio` extra is installed (`make test-privacy-presidio` builds such an
environment); skipped elsewhere. spaCy's trained models cannot be downloaded offline, so the
pipeline is a blank English one with an entity ruler: spaCy still produces the entities and
Presidio still maps and scores them, which is the path a trained model takes too.
"""

from __future__ import annotations

from typing import Any

import pytest

from llmotel.privacy import RedactionConfig, RedactionCounts, Redactor

pytest.importorskip("presidio_analyzer")
spacy = pytest.importorskip("spacy")


def make_analyzer() -> Any:
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import SpacyNlpEngine

    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns(
        [
            {"label": "PERSON", "pattern": [{"LOWER": "kim"}, {"LOWER": "minji"}]},
            {"label": "GPE", "pattern": "Gangnam"},
        ]
    )
    engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": "en_core_web_lg"}])
    engine.nlp = {"en": nlp}  # the loaded pipeline, instead of a model download
    return AnalyzerEngine(nlp_engine=engine, supported_languages=["en"])


def test_presidio_entities_are_redacted_and_counted_with_the_builtin_ones() -> None:
    from llmotel.privacy.presidio import PresidioDetector

    detector = PresidioDetector(entities=("PERSON", "LOCATION"), analyzer=make_analyzer())
    redactor = Redactor(RedactionConfig(detectors=(detector,)))
    counts = RedactionCounts()
    text = "Kim Minji lives in Gangnam, call 010-1234-5678 or mail kim.minji@example.com"
    assert redactor.redact_text(text, counts) == "<PERSON> lives in <LOCATION>, call <KR_PHONE> or mail <EMAIL>"
    assert counts.as_dict() == {"PERSON": 1, "LOCATION": 1, "KR_PHONE": 1, "EMAIL": 1}
    # A name recogniser has no cheap pre-check: plain prose is analysed too.
    assert redactor.redact_text("say hi to kim minji") == "say hi to <PERSON>"
    assert {"PERSON", "LOCATION"} <= redactor.entities
    disabled = Redactor(RedactionConfig(detectors=(detector,), disable=("LOCATION",)))
    assert disabled.redact_text("Kim Minji lives in Gangnam") == "<PERSON> lives in Gangnam"
