"""The shared privacy corpus (tests/privacy/corpus/, written by the privacy work) as test data.

positives: every `value` must be gone after the collector; negatives: look-alikes (versions,
ids, timestamps, prices) that must come through non-content attributes byte for byte.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

CORPUS_DIR = Path(__file__).resolve().parents[1] / "privacy" / "corpus"


@dataclass(frozen=True)
class Positive:
    id: str
    text: str
    # (entity, value as it appears in text)
    values: tuple[tuple[str, str], ...]


def positives() -> list[Positive]:
    out = []
    for line in (CORPUS_DIR / "positives.jsonl").read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        out.append(Positive(case["id"], case["text"], tuple((s["entity"], s["value"]) for s in case["spans"])))
    return out


def negatives() -> list[str]:
    lines = (CORPUS_DIR / "negatives.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["text"] for line in lines]
