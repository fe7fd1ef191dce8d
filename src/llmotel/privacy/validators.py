"""Check digits and structural checks that turn a pattern match into a confident finding.

Each function takes the matched text as it appeared (separators included) and answers whether
the value is plausible for its entity type. They never raise on odd input.
"""

from __future__ import annotations

import ipaddress
import re

_RRN_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
_BRN_WEIGHTS = (1, 3, 7, 1, 3, 7, 1, 3, 5)


_NOT_DIGIT = re.compile(r"[^0-9]")


def digits_of(text: str) -> str:
    """The ASCII digits of text, in order (separators and letters dropped)."""
    return _NOT_DIGIT.sub("", text)


def luhn_valid(text: str) -> bool:
    """Luhn (mod 10) check used by every payment card scheme."""
    digits = digits_of(text)
    if not digits:
        return False
    total = 0
    for position, ch in enumerate(reversed(digits)):
        value = ord(ch) - 48
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def iban_valid(text: str) -> bool:
    """ISO 13616 check: move the first four characters to the end, letters to numbers, mod 97 == 1."""
    compact = "".join(text.split()).upper()
    if not 15 <= len(compact) <= 34 or not compact.isalnum() or not compact.isascii():
        return False
    rearranged = compact[4:] + compact[:4]
    numeric = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(numeric) % 97 == 1


def kr_rrn_checksum_valid(text: str) -> bool:
    """The pre-October-2020 resident registration check digit.

    Numbers issued since October 2020 carry a random last digit, so a failed check lowers
    confidence but must never be the only reason to keep a number unredacted.
    """
    digits = digits_of(text)
    if len(digits) != 13:
        return False
    total = sum((ord(d) - 48) * w for d, w in zip(digits, _RRN_WEIGHTS))
    return (11 - total % 11) % 10 == ord(digits[12]) - 48


def kr_rrn_date_valid(text: str) -> bool:
    """YYMMDD is a calendar-plausible birth date and the 7th digit a known century/sex code (1-8)."""
    digits = digits_of(text)
    if len(digits) != 13:
        return False
    month = int(digits[2:4])
    day = int(digits[4:6])
    return 1 <= month <= 12 and 1 <= day <= 31 and "1" <= digits[6] <= "8"


def kr_brn_valid(text: str) -> bool:
    """Korean business registration number (사업자등록번호) check digit, keys 1,3,7,1,3,7,1,3,5."""
    digits = digits_of(text)
    if len(digits) != 10:
        return False
    values = [ord(d) - 48 for d in digits]
    total = sum(v * w for v, w in zip(values, _BRN_WEIGHTS))
    total += (values[8] * 5) // 10
    return (10 - total % 10) % 10 == values[9]


def us_ssn_valid(text: str) -> bool:
    """SSA never issues area 000, 666 or 900-999, group 00 or serial 0000."""
    digits = digits_of(text)
    if len(digits) != 9:
        return False
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


def e164_length_valid(text: str) -> bool:
    """International numbers have 8 to 15 digits including the country code (ITU-T E.164)."""
    return 8 <= len(digits_of(text)) <= 15


def ipv6_valid(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True
