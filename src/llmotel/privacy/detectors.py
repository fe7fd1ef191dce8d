"""The built-in detectors: structured personal data and credentials, regex plus validators.

Boundaries are written as explicit ASCII look-arounds, never `\\b`: Python treats Hangul as a
word character, so `\\b010-1234-5678\\b` misses `010-1234-5678로`. A Hangul letter right next to
a value is therefore a boundary here, while an ASCII letter, digit or `_` is not (that is what
keeps digits inside hashes, UUIDs and trace ids untouched).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from llmotel.privacy import validators
from llmotel.privacy.findings import Finding

# Left boundary for numbers: not inside an ASCII word, and not continuing a dotted or dashed
# token (the tail of a UUID, the last parts of a version string).
_NUM_START = r"(?<![0-9A-Za-z_.\-])"
# Right boundary for numbers: a sentence may end with `.`, but `1.2.3.4.5` or `-7` continue.
_NUM_END = r"(?![0-9A-Za-z_]|[.\-][0-9A-Za-z])"
# Boundaries for tokens made of letters and digits (keys, IBANs, passport numbers).
_TOKEN_START = r"(?<![0-9A-Za-z_\-])"
_TOKEN_END = r"(?![0-9A-Za-z_\-])"

# Every number-shaped entity lies inside one run of digits and number punctuation. Scanning for
# these runs once and searching only inside them is what makes a 4 KB prompt cheap: a regex
# with a look-behind first is tried at every character, a leading character class is skipped
# through in C.
_NUMERIC_ISLAND = re.compile(r"[0-9(+][0-9\-. ()+\u2010-\u2013]{6,}")
# The number patterns' right boundary looks at most two characters past the island.
_ISLAND_LOOKAHEAD = 2

Classifier = Callable[[re.Match[str]], "str | None"]


@dataclass(frozen=True)
class PatternDetector:
    """A regex whose every match is offered to `classify`, which names the entity or rejects it."""

    entities: frozenset[str]
    pattern: re.Pattern[str]
    classify: Classifier
    needs_digit: bool = True
    triggers: tuple[str, ...] | None = None
    # The capture group holding the sensitive part (`Bearer <value>` keeps the word Bearer).
    group: int | str = 0
    rank: int = 100

    def find(self, text: str) -> Iterator[Finding]:
        for match in self.pattern.finditer(text):
            entity = self.classify(match)
            if entity is not None:
                yield Finding(match.start(self.group), match.end(self.group), entity, self.rank)


@dataclass(frozen=True)
class ContextDetector:
    """A value that is only sensitive next to a context word (passport, 운전면허).

    The context pattern is searched only around occurrences of the triggers (a case-insensitive
    scan of the whole text costs more than everything else together), and the value pattern
    only within `window` characters after each context word, so a bare code elsewhere stays.
    """

    entity: str
    context: re.Pattern[str]
    value: re.Pattern[str]
    triggers: tuple[str, ...]
    window: int = 40
    needs_digit: bool = True
    rank: int = 100
    # How far a context phrase reaches around its trigger (`driver's license number` around `icen`).
    reach: int = 24

    @property
    def entities(self) -> frozenset[str]:
        return frozenset((self.entity,))

    def find(self, text: str) -> Iterator[Finding]:
        for trigger in self.triggers:
            at = text.find(trigger)
            while at != -1:
                start = max(0, at - self.reach)
                end = min(len(text), at + len(trigger) + self.reach)
                for context in self.context.finditer(text, start, end):
                    value_end = min(len(text), context.end() + self.window)
                    match = self.value.search(text, context.end(), value_end)
                    if match is not None:
                        yield Finding(match.start(), match.end(), self.entity, self.rank)
                at = text.find(trigger, at + len(trigger))


class EmailDetector:
    """Emails found from each `@` outwards, so a long run of word characters costs linear time.

    A single regex with an unbounded local part before `@` backtracks quadratically over long
    alphanumeric runs (base64, minified code); anchoring on `@` with bounded look-backs does not.
    """

    entities = frozenset(("EMAIL",))
    needs_digit = False
    triggers: tuple[str, ...] | None = ("@",)
    _LOCAL_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._%+-"
    # RFC 5321 caps the local part at 64 characters.
    _LOCAL_MAX = 64
    _DOMAIN = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![A-Za-z0-9\-])")

    def find(self, text: str) -> Iterator[Finding]:
        at = text.find("@")
        while at != -1:
            window = text[max(0, at - self._LOCAL_MAX - 1) : at]
            local_length = len(window) - len(window.rstrip(self._LOCAL_CHARS))
            start = at - local_length
            domain = self._DOMAIN.match(text, at + 1)
            if 0 < local_length <= self._LOCAL_MAX and domain is not None and text[start] != ".":
                yield Finding(start, domain.end(), "EMAIL", 100)
                at = text.find("@", domain.end())
            else:
                at = text.find("@", at + 1)


def accept(entity: str) -> Classifier:
    """A classifier that takes every match as entity."""
    return lambda match: entity


def _accept_if(entity: str, check: Callable[[str], bool]) -> Classifier:
    return lambda match: entity if check(match.group()) else None


# --- Korean phone numbers ---------------------------------------------------------------
# Area codes: Seoul 02, then 031-033, 041-044, 051-055, 061-064; VoIP 070; safe numbers 050X.
_KR_AREA = r"(?:2|3[1-3]|4[1-4]|5[1-5]|6[1-4])"
_KR_MOBILE = r"1[016789]"
_KR_VOIP = r"(?:70|50[0-9])"
_SEP = r"[\-. ]"
_KR_PHONE = rf"""
    \+82{_SEP}?(?:\(0\){_SEP}?)?0?(?:{_KR_MOBILE}|{_KR_VOIP}|{_KR_AREA}){_SEP}?[0-9]{{3,4}}{_SEP}?[0-9]{{4}}
  | 0(?:{_KR_MOBILE}|{_KR_VOIP}){_SEP}?[0-9]{{3,4}}{_SEP}?[0-9]{{4}}
  | \(0(?:{_KR_AREA}|{_KR_MOBILE}|{_KR_VOIP})\)[ ]?[0-9]{{3,4}}{_SEP}?[0-9]{{4}}
  | (?:0{_KR_AREA}\)[ ]?|0{_KR_AREA}{_SEP})[0-9]{{3,4}}{_SEP}[0-9]{{4}}
"""
# International numbers need the leading `+` (E.164); +82 is reported as KR_PHONE above.
_INTL_PHONE = rf"\+(?!82)[1-9][0-9]{{0,2}}(?:{_SEP}?\(?[0-9]{{1,4}}\)?){{2,6}}"

# --- Korean registration numbers ---------------------------------------------------------
_KR_RRN = (
    r"[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
    r"(?P<rrn_sep>[ ]?[\-\u2010-\u2013][ ]?|)[1-8][0-9]{6}"
)
_KR_RRN_CONTEXT = re.compile(r"(?i:주민|외국인|등록번호|rrn|resident|registration|alien)")


def _classify_kr_rrn(match: re.Match[str], loose: bool) -> str | None:
    """Residents have 1-4 as the 7th digit (by century and sex), registered foreigners 5-8.

    With a separator the shape alone is convincing. A bare 13-digit run could be an order
    number, so it needs the old checksum or a context word before it (unless `loose`, the
    strict preset); the checksum is never required on its own because numbers issued since
    October 2020 do not satisfy it.
    """
    value = match.group()
    if not match.group("rrn_sep") and not loose:
        before = match.string[max(0, match.start() - 24) : match.start()]
        if not validators.kr_rrn_checksum_valid(value) and _KR_RRN_CONTEXT.search(before) is None:
            return None
    digit = validators.digits_of(value)[6]
    return "KR_RRN" if digit <= "4" else "KR_FRN"


_KR_BRN = r"[0-9]{3}(?P<brn_sep>[\- ])[0-9]{2}(?P=brn_sep)[0-9]{5}"

# --- US social security number -----------------------------------------------------------
_US_SSN = r"[0-9]{3}(?P<ssn_sep>[\- ])[0-9]{2}(?P=ssn_sep)[0-9]{4}"
_US_SSN_BARE = r"[0-9]{9}"
_US_SSN_CONTEXT = re.compile(r"(?i:ssn|social security(?: number| no\.?)?)")

# --- payment cards -----------------------------------------------------------------------
_CARD = r"""
    [0-9]{4}(?P<card_s1>[\- ])[0-9]{4}(?P=card_s1)[0-9]{4}(?P=card_s1)[0-9]{4}(?:(?P=card_s1)[0-9]{3})?
  | [0-9]{4}(?P<card_s2>[\- ])[0-9]{6}(?P=card_s2)[0-9]{4,5}
  | (?P<card_bare>[0-9]{13,19})
"""


def _classify_card(match: re.Match[str]) -> str | None:
    """Luhn always; an ungrouped run must also start like a card (2-6: Mastercard 2-series,
    Amex/Diners/JCB 3, Visa 4, Mastercard 5, Discover/UnionPay 6), which keeps millisecond
    timestamps and snowflake ids (leading 1) out."""
    value = match.group()
    if not validators.luhn_valid(value):
        return None
    if match.group("card_bare") is not None and not "2" <= value[0] <= "6":
        return None
    return "CREDIT_CARD"


# --- IBAN --------------------------------------------------------------------------------
# The first letter comes before the boundary check so the scan can skip to capitals in C.
_IBAN = re.compile(
    rf"[A-Z](?<![0-9A-Za-z_\-][A-Z])[A-Z][0-9]{{2}}(?:[ ]?[A-Z0-9]{{4}}){{2,7}}(?:[ ]?[A-Z0-9]{{1,3}})?{_TOKEN_END}"
)

# --- IP addresses ------------------------------------------------------------------------
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = rf"{_OCTET}(?:\.{_OCTET}){{3}}"
# `1.2.3.4` after `version`, `v` or `버전` is a version string, not an address.
_VERSION_BEFORE = re.compile(r"(?i:version|ver|release|build|v|버전|릴리스)[ :=\"'`]{0,4}\Z")
_IPV6 = re.compile(
    r"(?<![0-9A-Za-z_.])(?:[0-9A-Fa-f]{1,4}|:)(?::[0-9A-Fa-f]{0,4}){2,7}"
    r"(?:\.[0-9]{1,3}){0,3}(?:%[0-9A-Za-z]+)?(?![0-9A-Za-z_:])"
)
# Every IPv6 address has two colons at most five characters apart; finding those first is a
# fast literal scan, where the full pattern would be tried at every character.
_IPV6_COLONS = re.compile(r":[0-9A-Fa-f]{0,4}:")
_HEX_AND_COLON = "0123456789abcdefABCDEF:"
_IPV6_MAX_LENGTH = 45


class IPv6Detector:
    """IPv6 addresses, searched only around pairs of nearby colons."""

    entities = frozenset(("IP",))
    needs_digit = True
    triggers: tuple[str, ...] | None = (":",)

    def find(self, text: str) -> Iterator[Finding]:
        position = 0
        while (colons := _IPV6_COLONS.search(text, position)) is not None:
            window = text[max(0, colons.start() - _IPV6_MAX_LENGTH) : colons.start()]
            start = colons.start() - (len(window) - len(window.rstrip(_HEX_AND_COLON)))
            if text.startswith(":", start) and not text.startswith("::", start):
                start += 1  # `ip:2001:db8::1`: the first colon separates a label
            match = _IPV6.match(text, start)
            if match is not None and match.end() > colons.start() and _classify_ipv6(match) is not None:
                yield Finding(match.start(), match.end(), "IP", 120)
                position = match.end()
            else:
                position = colons.start() + 1


# Bind-all, loopback and broadcast addresses identify no one.
_IPV4_NOT_PERSONAL = ("0.0.0.0", "127.", "255.255.255.255")


def _classify_ipv4(match: re.Match[str]) -> str | None:
    if match.group().startswith(_IPV4_NOT_PERSONAL):
        return None
    before = match.string[max(0, match.start() - 12) : match.start()]
    return None if _VERSION_BEFORE.search(before) else "IP"


def _classify_ipv6(match: re.Match[str]) -> str | None:
    value = match.group()
    # `std::vec`, `a::b` and `12:30:45` are not addresses; real ones have 3+ hex groups.
    if sum(1 for part in value.split(":") if part) < 3 or not validators.ipv6_valid(value):
        return None
    return None if ipaddress.IPv6Address(value.split("%")[0]).is_loopback else "IP"


# --- secrets -----------------------------------------------------------------------------
_KEY_CHARS = r"[A-Za-z0-9_\-]"
_ANTHROPIC_KEY = re.compile(rf"{_TOKEN_START}sk-ant-{_KEY_CHARS}{{20,}}")
_OPENAI_KEY = re.compile(rf"{_TOKEN_START}sk-(?!ant-){_KEY_CHARS}{{20,}}")
# Access key ids: AKIA long-term, ASIA temporary (STS); the other unique-id prefixes name
# users and roles, not credentials.
_AWS_ACCESS_KEY = re.compile(r"(?<![A-Za-z0-9])A[KS]IA[A-Z0-9]{16}(?![A-Za-z0-9])")
_GITHUB_TOKEN = re.compile(r"(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})")
_GOOGLE_API_KEY = re.compile(r"(?<![A-Za-z0-9_\-])AIza[0-9A-Za-z_\-]{35}")
_SLACK_TOKEN = re.compile(r"(?<![A-Za-z0-9_\-])(?:xox[abposre]-[0-9A-Za-z\-]{10,}|xapp-[0-9]-[0-9A-Za-z\-]{10,})")
_JWT = re.compile(r"(?<![A-Za-z0-9_\-])eyJ[A-Za-z0-9_\-]{4,}\.eyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]*")
_BEARER = re.compile(r"(?<![A-Za-z0-9_])[Bb][Ee][Aa][Rr][Ee][Rr][ ]+(?P<value>[A-Za-z0-9\-._~+/]{16,}=*)")
# Base64 lines, encryption headers (`Proc-Type: 4,ENCRYPTED`) and JSON-escaped newlines; a `-`
# only when it does not start the next `-----` line, so each key's scan ends there (linear time).
_PEM_BODY = r"(?:[A-Za-z0-9+/=:,\s]|\\[nr]|-(?!----))"
# A key truncated before its END line is still redacted up to the end of its body.
_PEM_LABEL = r"[A-Z ]{0,30}PRIVATE KEY(?: BLOCK)?-----"
_PRIVATE_KEY = re.compile(rf"-----BEGIN{_PEM_LABEL}{_PEM_BODY}*(?:-----END{_PEM_LABEL})?")


def _has_digit(match: re.Match[str]) -> bool:
    return any("0" <= ch <= "9" for ch in match.group())


# --- passport and driver licence: only after a context word -------------------------------
_PASSPORT_CONTEXT = re.compile(r"(?i:passport(?:[ ]?(?:no\.?|number|#))?|여권(?:[ ]?번호)?)")
_PASSPORT_VALUE = re.compile(rf"{_TOKEN_START}(?=[A-Z0-9]{{0,8}}[0-9])[A-Z0-9]{{6,9}}{_TOKEN_END}")
_DRIVER_LICENSE_CONTEXT = re.compile(
    r"(?i:driver'?s?[ ]licen[cs]e(?:[ ]?(?:no\.?|number|#))?)"
    r"|운전[ ]?면허(?:증)?(?:[ ]?번호)?|면허[ ]?번호|(?<![A-Za-z])DL[ ]?#"
)
_DRIVER_LICENSE_VALUE = re.compile(
    rf"{_TOKEN_START}(?:[0-9]{{2}}|[가-힣]{{2}})[\- ]?[0-9]{{2}}[\- ]?[0-9]{{6}}[\- ]?[0-9]{{2}}{_NUM_END}"
    rf"|{_TOKEN_START}(?=(?:[A-Z\-]{{0,19}}[0-9]){{4}})[A-Z0-9][A-Z0-9\-]{{5,19}}{_TOKEN_END}"
)


def _secret(entity: str, pattern: re.Pattern[str], triggers: tuple[str, ...], rank: int = 10) -> PatternDetector:
    return PatternDetector(
        entities=frozenset((entity,)),
        pattern=pattern,
        classify=accept(entity),
        needs_digit=False,
        triggers=triggers,
        rank=rank,
    )


@dataclass(frozen=True)
class NumberShape:
    """One number-shaped entity: `body` is a VERBOSE regex without boundaries, `name` its group
    in the combined regex."""

    name: str
    entities: frozenset[str]
    body: str
    classify: Classifier
    rank: int = 100

    @property
    def pattern(self) -> re.Pattern[str]:
        return _bounded_number(self.body)


def _bounded_number(body: str) -> re.Pattern[str]:
    return re.compile(f"{_NUM_START}(?:{body}){_NUM_END}", re.VERBOSE)


class NumberDetector:
    """Phones, registration numbers, cards, SSNs and IPv4 addresses in one pass.

    Only numeric islands are searched, with one alternation of every shape. When the shape
    that matched first is rejected by its validator (a 13-digit run that is no resident number
    may still be a card), the other shapes are tried at the same position before the search
    moves on by one character.
    """

    needs_digit = True
    triggers: tuple[str, ...] | None = None

    def __init__(self, shapes: Sequence[NumberShape]) -> None:
        self._shapes = tuple(shapes)
        self.entities = frozenset(entity for shape in shapes for entity in shape.entities)
        # One shared boundary check in front of the alternatives: inside a run of digits it
        # fails once per position instead of once per shape.
        self._combined = _bounded_number("|".join(f"(?P<{shape.name}>{shape.body})" for shape in self._shapes))
        self._anchored = tuple(shape.pattern for shape in self._shapes)
        self._by_name = {shape.name: shape for shape in self._shapes}

    def find(self, text: str) -> Iterator[Finding]:
        for island in _NUMERIC_ISLAND.finditer(text):
            end = min(len(text), island.end() + _ISLAND_LOOKAHEAD)
            position = island.start()
            while (match := self._combined.search(text, position, end)) is not None:
                finding = self._classify(match) or self._retry(text, match.start(), end)
                if finding is None:
                    position = match.start() + 1
                else:
                    yield finding
                    position = finding.end

    def _classify(self, match: re.Match[str]) -> Finding | None:
        # The shape's group closes after the groups nested in it, so it is the last one matched.
        shape = self._by_name[match.lastgroup or ""]
        entity = shape.classify(match)
        return None if entity is None else Finding(match.start(), match.end(), entity, shape.rank)

    def _retry(self, text: str, start: int, end: int) -> Finding | None:
        best: Finding | None = None
        for shape, pattern in zip(self._shapes, self._anchored):
            match = pattern.match(text, start, end)
            entity = None if match is None else shape.classify(match)
            if match is not None and entity is not None and (best is None or match.end() > best.end):
                best = Finding(start, match.end(), entity, shape.rank)
        return best


def builtin_detectors(
    entities: frozenset[str], loose_rrn: bool = False
) -> list[PatternDetector | ContextDetector | EmailDetector | NumberDetector | IPv6Detector]:
    """The built-in detectors able to report any of entities.

    loose_rrn: take a bare 13-digit run shaped like a resident number even without checksum
    or context word (the strict preset).
    """

    def classify_bare_ssn(match: re.Match[str]) -> str | None:
        before = match.string[max(0, match.start() - 24) : match.start()]
        if _US_SSN_CONTEXT.search(before) is None:
            return None
        return "US_SSN" if validators.us_ssn_valid(match.group()) else None

    def shape(name: str, entity_names: tuple[str, ...], body: str, classify: Classifier) -> NumberShape:
        return NumberShape(name, frozenset(entity_names), body, classify)

    # Order matters only for speed: the shape that matches first is validated first.
    shapes = [
        shape("kr_phone", ("KR_PHONE",), _KR_PHONE, accept("KR_PHONE")),
        shape("intl_phone", ("PHONE",), _INTL_PHONE, _accept_if("PHONE", validators.e164_length_valid)),
        shape("kr_rrn", ("KR_RRN", "KR_FRN"), _KR_RRN, lambda m: _classify_kr_rrn(m, loose_rrn)),
        shape("kr_brn", ("KR_BRN",), _KR_BRN, _accept_if("KR_BRN", validators.kr_brn_valid)),
        shape("us_ssn", ("US_SSN",), _US_SSN, _accept_if("US_SSN", validators.us_ssn_valid)),
        shape("us_ssn_bare", ("US_SSN",), _US_SSN_BARE, classify_bare_ssn),
        shape("card", ("CREDIT_CARD",), _CARD, _classify_card),
        shape("ipv4", ("IP",), _IPV4, _classify_ipv4),
    ]
    enabled_shapes = [s for s in shapes if s.entities & entities]
    detectors: list[PatternDetector | ContextDetector | EmailDetector | NumberDetector | IPv6Detector] = [
        EmailDetector(),
        NumberDetector(enabled_shapes),
        # IBANs and IPv6 addresses mix letters into the digits, so they have their own scans.
        PatternDetector(frozenset(("IBAN",)), _IBAN, _accept_if("IBAN", validators.iban_valid)),
        IPv6Detector(),
        ContextDetector("PASSPORT", _PASSPORT_CONTEXT, _PASSPORT_VALUE, triggers=("assport", "ASSPORT", "여권")),
        ContextDetector(
            "DRIVER_LICENSE", _DRIVER_LICENSE_CONTEXT, _DRIVER_LICENSE_VALUE, triggers=("icen", "ICEN", "면허", "DL")
        ),
        _secret("ANTHROPIC_KEY", _ANTHROPIC_KEY, ("sk-",), rank=5),
        PatternDetector(
            frozenset(("OPENAI_KEY",)),
            _OPENAI_KEY,
            lambda m: "OPENAI_KEY" if _has_digit(m) else None,
            needs_digit=False,
            triggers=("sk-",),
            rank=10,
        ),
        _secret("AWS_ACCESS_KEY", _AWS_ACCESS_KEY, ("AKIA", "ASIA")),
        _secret("GITHUB_TOKEN", _GITHUB_TOKEN, ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_")),
        _secret("GOOGLE_API_KEY", _GOOGLE_API_KEY, ("AIza",)),
        _secret("SLACK_TOKEN", _SLACK_TOKEN, ("xox", "xapp-")),
        _secret("JWT", _JWT, ("eyJ",)),
        PatternDetector(
            frozenset(("BEARER_TOKEN",)),
            _BEARER,
            accept("BEARER_TOKEN"),
            needs_digit=False,
            triggers=("earer", "EARER"),
            group="value",
            rank=50,
        ),
        _secret("PRIVATE_KEY", _PRIVATE_KEY, ("-----BEGIN",), rank=1),
    ]
    return [d for d in detectors if d.entities & entities]


# --- base64 media ------------------------------------------------------------------------
_MIME_TOKEN = r"[A-Za-z0-9.+\-]+"
DATA_URL = re.compile(
    rf"data:{_MIME_TOKEN}/{_MIME_TOKEN}(?:;{_MIME_TOKEN}={_MIME_TOKEN})*;base64,[A-Za-z0-9+/]+={{0,2}}"
)
# A whole string this long made only of base64 characters is media, not language.
BASE64_MIN_LENGTH = 256
BASE64_WHOLE = re.compile(r"[A-Za-z0-9+/\r\n]+={0,2}")


def blob_placeholder(payload: str) -> str:
    """`<BLOB size=N sha256=...>` for base64 text: N decoded bytes, the first 12 hex digits of
    their SHA-256 (the raw text's when it does not decode)."""
    compact = "".join(payload.split())
    try:
        data = base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True)
    except (binascii.Error, ValueError):
        data = compact.encode("ascii", "replace")
    return blob_bytes_placeholder(data)


def blob_bytes_placeholder(data: bytes) -> str:
    """Media is hashed without a key on purpose: an image cannot be brute-forced from its hash,
    and the plain digest lets a user match a trace to the file they sent."""
    return f"<BLOB size={len(data)} sha256={hashlib.sha256(data).hexdigest()[:12]}>"
