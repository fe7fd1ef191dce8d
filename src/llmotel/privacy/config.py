"""Redaction settings from code or environment, validated once at start-up.

Every mistake is a `ValueError` whose single line names the setting and says how to fix it,
so a typo in a deployment fails loudly instead of silently sending unredacted content.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from llmotel.privacy.findings import Detector

ENV_PRESET = "LLMOTEL_REDACTION"
ENV_PATTERNS = "LLMOTEL_REDACTION_PATTERNS"
ENV_HMAC_KEY = "LLMOTEL_REDACTION_HMAC_KEY"
ENV_ENTITIES = "LLMOTEL_REDACTION_ENTITIES"
ENV_PRESIDIO = "LLMOTEL_REDACTION_PRESIDIO"

SECRET_ENTITIES = frozenset(
    (
        "OPENAI_KEY",
        "ANTHROPIC_KEY",
        "AWS_ACCESS_KEY",
        "AWS_SECRET_KEY",
        "GITHUB_TOKEN",
        "GOOGLE_API_KEY",
        "SLACK_TOKEN",
        "JWT",
        "BEARER_TOKEN",
        "PRIVATE_KEY",
    )
)
PERSONAL_ENTITIES = frozenset(
    (
        "EMAIL",
        "KR_PHONE",
        "PHONE",
        "KR_RRN",
        "KR_FRN",
        "KR_BRN",
        "US_SSN",
        "CREDIT_CARD",
        "IBAN",
        "IP",
        "PASSPORT",
        "DRIVER_LICENSE",
    )
)
# Base64 media and data URLs: not personal data as such, but nothing inside can be scanned.
BLOB_ENTITY = "BLOB"
BUILTIN_ENTITIES = SECRET_ENTITIES | PERSONAL_ENTITIES | {BLOB_ENTITY}

PRESETS: Mapping[str, frozenset[str]] = {
    "off": frozenset(),
    # IP is opt-in: addresses in prompts are mostly hosts being discussed, and version
    # strings look like IPv4.
    "default": BUILTIN_ENTITIES - {"IP"},
    "strict": BUILTIN_ENTITIES,
}

# Korea's PIPA (Art. 24-2) restricts processing of resident registration numbers, so these
# are masked irreversibly even when an HMAC key asks for correlatable placeholders.
IRREVERSIBLE_ENTITIES = frozenset(("KR_RRN", "KR_FRN"))

# Shorter keys make the keyed hash of a small value space (phone numbers) guessable.
HMAC_KEY_MIN_BYTES = 16

_PATTERN_NAME = re.compile(r"[A-Z][A-Z0-9_]{0,63}")


@dataclass(frozen=True)
class RedactionConfig:
    """What to redact and how to write the placeholders.

    preset: `off` (no built-in detector), `default` (everything but IP) or `strict`
        (everything, and a bare 13-digit resident number without checksum or context word).
    enable / disable: entity names added to or removed from the preset.
    patterns: extra detectors, entity name -> regex; a group named `value` limits the
        replacement to that group.
    hmac_key: when set, placeholders become `<EMAIL:1a2b3c4d>` (HMAC-SHA256 of the value,
        first 8 hex digits) so equal values correlate across traces without being revealed.
    callback: runs last on every string that was scanned, `(text) -> text`.
    detectors: plug-in detectors such as `llmotel.privacy.presidio.PresidioDetector`.
    """

    preset: str = "default"
    enable: tuple[str, ...] = ()
    disable: tuple[str, ...] = ()
    patterns: Mapping[str, str] = field(default_factory=dict)
    hmac_key: bytes | None = None
    callback: Callable[[str], str] | None = None
    detectors: tuple[Detector, ...] = ()

    def __post_init__(self) -> None:
        check_preset(self.preset, "RedactionConfig.preset")
        compile_patterns(self.patterns, "RedactionConfig.patterns")
        check_entities(self.enable, self.known_entities(), "RedactionConfig.enable")
        check_entities(self.disable, self.known_entities(), "RedactionConfig.disable")
        if self.hmac_key is not None:
            check_hmac_key(self.hmac_key, "RedactionConfig.hmac_key")

    def known_entities(self) -> frozenset[str]:
        plugin_entities: set[str] = set()
        for detector in self.detectors:
            plugin_entities |= detector.entities
        return BUILTIN_ENTITIES | frozenset(self.patterns) | plugin_entities

    def enabled_entities(self) -> frozenset[str]:
        """The preset's entities with `enable`/`disable` applied; user patterns and plug-ins are on
        unless disabled."""
        enabled = set(PRESETS[self.preset]) | set(self.patterns) | set(self.enable)
        for detector in self.detectors:
            enabled |= detector.entities
        return frozenset(enabled - set(self.disable))

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> RedactionConfig:
        """Read the LLMOTEL_REDACTION* variables; unset or empty ones keep their defaults."""
        preset = environ.get(ENV_PRESET, "").strip().lower() or "default"
        check_preset(preset, ENV_PRESET)
        patterns = parse_patterns(environ.get(ENV_PATTERNS, ""), ENV_PATTERNS)
        compile_patterns(patterns, ENV_PATTERNS)
        detectors: tuple[Detector, ...] = ()
        presidio_entities = parse_list(environ.get(ENV_PRESIDIO, ""))
        if presidio_entities:
            detectors = (_presidio_detector(presidio_entities),)
        known = BUILTIN_ENTITIES | frozenset(patterns) | frozenset(presidio_entities)
        enable, disable = parse_entity_switches(environ.get(ENV_ENTITIES, ""), known, ENV_ENTITIES)
        raw_key = environ.get(ENV_HMAC_KEY, "")
        hmac_key = raw_key.encode("utf-8") if raw_key else None
        if hmac_key is not None:
            check_hmac_key(hmac_key, ENV_HMAC_KEY)
        return cls(
            preset=preset,
            enable=enable,
            disable=disable,
            patterns=patterns,
            hmac_key=hmac_key,
            detectors=detectors,
        )


def check_preset(preset: str, setting: str) -> None:
    if preset not in PRESETS:
        raise ValueError(f"{setting}: unknown preset {preset!r}; use one of {', '.join(PRESETS)}")


def check_entities(names: tuple[str, ...], known: frozenset[str], setting: str) -> None:
    for name in names:
        if name not in known:
            raise ValueError(
                f"{setting}: unknown entity {name!r}; use one of {', '.join(sorted(known))} or define it as a pattern"
            )


def check_hmac_key(key: bytes, setting: str) -> None:
    if len(key) < HMAC_KEY_MIN_BYTES:
        raise ValueError(
            f"{setting}: key is {len(key)} bytes; use at least {HMAC_KEY_MIN_BYTES} random bytes "
            "(e.g. the output of `openssl rand -hex 32`)"
        )


def parse_list(raw: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in raw.split(",") if item.strip())


def parse_entity_switches(raw: str, known: frozenset[str], setting: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """`+IP,-KR_BRN,EMAIL` -> enable (IP, EMAIL), disable (KR_BRN); a bare name enables."""
    enable: list[str] = []
    disable: list[str] = []
    for item in parse_list(raw):
        target = disable if item.startswith("-") else enable
        name = item.lstrip("+-").strip().upper()
        target.append(name)
    check_entities(tuple(enable) + tuple(disable), known, setting)
    return tuple(enable), tuple(disable)


def parse_patterns(raw: str, setting: str) -> dict[str, str]:
    """`NAME=regex;NAME2=regex`. A `;` inside a regex is written `\\x3b`."""
    patterns: dict[str, str] = {}
    for item in raw.split(";"):
        if not item.strip():
            continue
        name, sep, regex = item.partition("=")
        name = name.strip()
        if not sep or not regex:
            raise ValueError(f"{setting}: {item.strip()!r} is not NAME=regex; separate patterns with ';'")
        patterns[name] = regex
    return patterns


def compile_patterns(patterns: Mapping[str, str], setting: str) -> dict[str, re.Pattern[str]]:
    compiled: dict[str, re.Pattern[str]] = {}
    for name, regex in patterns.items():
        if _PATTERN_NAME.fullmatch(name) is None:
            raise ValueError(
                f"{setting}: pattern name {name!r} must be upper-case letters, digits and _ (e.g. EMPLOYEE_ID)"
            )
        try:
            pattern = re.compile(regex)
        except re.error as exc:
            raise ValueError(f"{setting}: pattern {name} does not compile ({exc}); fix the regex") from None
        if pattern.fullmatch("") is not None:
            raise ValueError(
                f"{setting}: pattern {name} matches the empty string; make it match at least one character"
            )
        compiled[name] = pattern
    return compiled


def _presidio_detector(entities: tuple[str, ...]) -> Detector:
    try:
        from llmotel.privacy.presidio import PresidioDetector
    except ImportError:  # the module imports presidio_analyzer at the top
        raise ValueError(
            f"{ENV_PRESIDIO}: presidio-analyzer is not installed; pip install 'llmotel[presidio]' or unset it"
        ) from None
    detector: Detector = PresidioDetector(entities=entities)
    return detector
