"""The Redactor: finds sensitive spans with the enabled detectors and writes placeholders."""

from __future__ import annotations

import hmac
import json
import os
import re
from collections.abc import Mapping

from llmotel.privacy import validators
from llmotel.privacy.config import BLOB_ENTITY, IRREVERSIBLE_ENTITIES, RedactionConfig, compile_patterns
from llmotel.privacy.counts import RedactionCounts
from llmotel.privacy.detectors import (
    BASE64_MIN_LENGTH,
    BASE64_WHOLE,
    DATA_URL,
    PatternDetector,
    accept,
    blob_bytes_placeholder,
    blob_placeholder,
    builtin_detectors,
)
from llmotel.privacy.findings import Detector, Finding
from llmotel.privacy.triggers import TriggerScanner

_DIGIT = re.compile(r"[0-9]")
_DATA_URL_TRIGGER = ";base64,"
# Integers in tool arguments can be card or phone numbers; shorter ones cannot be any entity.
_SMALLEST_SENSITIVE_INT = 10**7
_CALLBACK_ENTITY = "CALLBACK"
_NOT_ALPHANUMERIC = re.compile(r"[^0-9A-Za-z]")


class Redactor:
    """Replaces personal data and secrets in strings and JSON-like values.

    Immutable after construction and safe to share between threads; counts go into the
    `RedactionCounts` the caller passes, one per call.
    """

    def __init__(self, config: RedactionConfig | None = None) -> None:
        self.config = config if config is not None else RedactionConfig()
        self._entities = self.config.enabled_entities()
        detectors: list[Detector] = list(builtin_detectors(self._entities, loose_rrn=self.config.preset == "strict"))
        for name, pattern in compile_patterns(self.config.patterns, "RedactionConfig.patterns").items():
            group: int | str = "value" if "value" in pattern.groupindex else 0
            detectors.append(
                PatternDetector(
                    frozenset((name,)), pattern, accept(name), needs_digit=False, triggers=None, group=group
                )
            )
        detectors.extend(self.config.detectors)
        self._detectors = tuple(detectors)
        self._blobs = BLOB_ENTITY in self._entities
        # Keyed once; each placeholder copies the keyed state instead of re-keying.
        self._hmac = None if self.config.hmac_key is None else hmac.new(self.config.hmac_key, digestmod="sha256")
        self._callback = self.config.callback
        self._active = bool(self._detectors) or self._blobs or self._callback is not None
        self._prefilter = self._build_prefilter()
        self._trigger_scanner = TriggerScanner(
            (trigger for detector in self._detectors for trigger in detector.triggers or ()), any_digit=False
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Redactor:
        return cls(RedactionConfig.from_env(os.environ if environ is None else environ))

    @property
    def enabled(self) -> bool:
        """False when nothing would ever be replaced (preset off, no patterns, no callback)."""
        return self._active

    @property
    def entities(self) -> frozenset[str]:
        return self._entities

    def redact_text(self, text: str, counts: RedactionCounts | None = None) -> str:
        """Text with every enabled entity replaced; replacements are tallied into counts."""
        if not self._active or not text:
            return text
        if self._prefilter is not None and not self._prefilter.might_match(text):
            return text
        return self._redact(text, counts, key=None)

    def redact_json(self, value: object, counts: RedactionCounts | None = None) -> object:
        """A copy of a JSON-like value with every string redacted; keys and non-strings kept.

        Strings that are themselves JSON documents (tool call arguments) are parsed, redacted
        and re-serialised, and returned unchanged when nothing in them was replaced.
        """
        if not self._active:
            return value
        return self._walk(value, counts, key=None)

    def _build_prefilter(self) -> TriggerScanner | None:
        """One scan answering "could anything here match?": an ASCII digit or a trigger.

        None when some detector must see every string (user patterns, name recognisers, a callback).
        """
        if self._callback is not None:
            return None
        any_digit = self._blobs
        triggers: list[str] = [_DATA_URL_TRIGGER] if self._blobs else []
        for detector in self._detectors:
            if detector.needs_digit:
                any_digit = True
            elif detector.triggers is not None:
                triggers.extend(detector.triggers)
            else:
                return None
        return TriggerScanner(triggers, any_digit=any_digit)

    def _walk(self, value: object, counts: RedactionCounts | None, key: str | None) -> object:
        if isinstance(value, str):
            return self._redact_string(value, counts, key)
        if isinstance(value, dict):
            return {k: self._walk(v, counts, k if isinstance(k, str) else key) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self._walk(item, counts, key) for item in value]
        if isinstance(value, bool) or value is None or isinstance(value, float):
            return value
        if isinstance(value, int):
            if abs(value) < _SMALLEST_SENSITIVE_INT:
                return value
            digits = str(value)
            redacted = self._redact_string(digits, counts, key)
            return value if redacted == digits else redacted
        if isinstance(value, (bytes, bytearray)):
            if not self._blobs:
                return value
            _add(counts, BLOB_ENTITY)
            return blob_bytes_placeholder(bytes(value))
        # Anything else is serialised with str() by the caller (json.dumps(default=str)), so its
        # text is what leaves the process: redact that text.
        return self._redact_string(str(value), counts, key)

    def _redact_string(self, text: str, counts: RedactionCounts | None, key: str | None) -> str:
        if not text or (self._prefilter is not None and not self._prefilter.might_match(text)):
            return text
        first = text.lstrip()[:1]
        if first in ("{", "["):
            try:
                document = json.loads(text)
            except ValueError:
                document = None
            if isinstance(document, (dict, list)):
                inner = RedactionCounts()
                redacted = self._walk(document, inner, key)
                if not inner:
                    return text
                if counts is not None:
                    counts.merge(inner)
                return json.dumps(redacted, ensure_ascii=False)
        return self._redact(text, counts, key)

    def _redact(self, text: str, counts: RedactionCounts | None, key: str | None) -> str:
        if self._blobs and len(text) >= BASE64_MIN_LENGTH and BASE64_WHOLE.fullmatch(text) is not None:
            _add(counts, BLOB_ENTITY)
            result = blob_placeholder(text)
        else:
            result = self._replace(text, self._find(text, key), counts)
        if self._callback is not None:
            called = self._callback(result)
            if called != result:
                _add(counts, _CALLBACK_ENTITY)
            result = called
        return result

    def _find(self, text: str, key: str | None) -> list[Finding]:
        has_digit = _DIGIT.search(text) is not None
        present = self._trigger_scanner.present(text)
        findings: list[Finding] = []
        for detector in self._detectors:
            triggers = detector.triggers
            if (has_digit or not detector.needs_digit) and (triggers is None or not present.isdisjoint(triggers)):
                findings.extend(detector.find(text))
        if self._blobs and _DATA_URL_TRIGGER in text:
            findings.extend(Finding(m.start(), m.end(), BLOB_ENTITY, 0) for m in DATA_URL.finditer(text))
        # A value under a key such as `service.version` is never an address.
        skip_ip = key is not None and "version" in key.lower()
        return [f for f in findings if f.entity in self._entities and not (skip_ip and f.entity == "IP")]

    def _replace(self, text: str, findings: list[Finding], counts: RedactionCounts | None) -> str:
        if not findings:
            return text
        # Earliest first, then longest, then the more specific detector (lower rank).
        findings.sort(key=lambda f: (f.start, f.start - f.end, f.rank))
        pieces: list[str] = []
        position = 0
        for finding in findings:
            if finding.start < position or finding.end <= finding.start:
                continue
            pieces.append(text[position : finding.start])
            pieces.append(self._placeholder(finding.entity, text[finding.start : finding.end]))
            _add(counts, finding.entity)
            position = finding.end
        pieces.append(text[position:])
        return "".join(pieces)

    def _placeholder(self, entity: str, value: str) -> str:
        if entity == BLOB_ENTITY:
            payload = value.partition(",")[2] if value.startswith("data:") else value
            return blob_placeholder(payload)
        if self._hmac is None or entity in IRREVERSIBLE_ENTITIES:
            return f"<{entity}>"
        keyed = self._hmac.copy()
        keyed.update(f"{entity}:{_normalize(entity, value)}".encode())
        return f"<{entity}:{keyed.digest()[:4].hex()}>"


def _normalize(entity: str, value: str) -> str:
    """One spelling per value so that `010-1234-5678` and `+82 10 1234 5678` correlate."""
    if entity == "EMAIL":
        return value.lower()
    if entity == "KR_PHONE":
        digits = validators.digits_of(value)
        if value.lstrip().startswith("+82"):
            digits = digits[2:]
            if not digits.startswith("0"):
                digits = "0" + digits
        return digits
    if entity in ("PHONE", "CREDIT_CARD", "IBAN", "KR_BRN", "US_SSN", "PASSPORT", "DRIVER_LICENSE"):
        return _NOT_ALPHANUMERIC.sub("", value).upper()
    return value


def _add(counts: RedactionCounts | None, entity: str) -> None:
    if counts is not None:
        counts.add(entity)
