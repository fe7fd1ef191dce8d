"""Cheap checks that decide which detectors need to look at a text at all.

Testing twenty substrings with `in` costs about 2 us each on a 4 KB prompt. One regex whose
every branch starts with a literal character lets the regex engine skip through the text in C
and stop only where a trigger (or a digit) really is; choosing a rare character of each trigger
as that first character (the `-` of `sk-`, the `J` of `eyJ`) keeps the stops few.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Letter frequency in English prose, per thousand letters; capitals are assumed 20 times rarer.
_LETTER_PER_MILLE = dict(
    zip(
        "etaoinshrdlcumwfgypbvkjxqz",
        (127, 91, 82, 75, 70, 67, 63, 61, 60, 43, 40, 28, 28, 24, 24, 22, 20, 20, 19, 15, 10, 8, 1.5, 1.5, 1, 0.7),
    )
)
_DIGITS = "0123456789"
# Each stop of the regex costs about as much as scanning 1/40 of a 4 KB text with `in`: a
# trigger whose rarest character is more frequent than this is cheaper as a plain `in` test.
_MAX_ANCHOR_PER_MILLE = 13.0


def _per_mille(ch: str) -> float:
    """How often ch occurs in prose; punctuation and digits inside a trigger count as rare."""
    if ch.isspace():
        return 150.0
    lowered = ch.lower()
    if lowered in _LETTER_PER_MILLE:
        return _LETTER_PER_MILLE[lowered] / (20 if ch != lowered else 1)
    return 0.0


def _branch(trigger: str, anchor: int) -> str:
    """A regex matching at trigger[anchor] only where the whole trigger surrounds it."""
    before, after = trigger[:anchor], trigger[anchor + 1 :]
    branch = re.escape(trigger[anchor])
    if before:
        branch += f"(?<={re.escape(before + trigger[anchor])})"
    if after:
        branch += f"(?={re.escape(after)})"
    return branch


class TriggerScanner:
    """Answers "might anything match?" and "which triggers occur?" for one set of triggers.

    Triggers with no rare ASCII character (Hangul context words, `earer`, `icen`) are tested
    with `in`: a Hangul first character makes every character check of the regex slower, and
    a common letter makes the regex stop at every occurrence of it.
    """

    def __init__(self, triggers: Iterable[str], any_digit: bool) -> None:
        self._by_anchor: dict[str, list[tuple[str, int]]] = {}
        self._plain: list[str] = []
        branches: list[str] = []
        for trigger in sorted(set(triggers)):
            ascii_positions = [i for i, ch in enumerate(trigger) if ch.isascii()]
            anchor = min(ascii_positions, key=lambda i: (_per_mille(trigger[i]), i), default=-1)
            if anchor < 0 or _per_mille(trigger[anchor]) > _MAX_ANCHOR_PER_MILLE:
                self._plain.append(trigger)
                continue
            self._by_anchor.setdefault(trigger[anchor], []).append((trigger, anchor))
            branches.append(_branch(trigger, anchor))
        # Single characters spelled out as branches, not a class: the compiler derives the
        # first-character set only from branches that each start with a literal.
        digit_branches = list(_DIGITS) if any_digit else []
        self._each = re.compile("|".join(branches)) if branches else None
        self._any = re.compile("|".join(digit_branches + branches)) if digit_branches or branches else None

    def might_match(self, text: str) -> bool:
        """True when text has a digit (if any_digit) or any trigger."""
        if self._any is not None and self._any.search(text) is not None:
            return True
        return any(trigger in text for trigger in self._plain)

    def present(self, text: str) -> frozenset[str]:
        """The triggers that occur in text."""
        found = {trigger for trigger in self._plain if trigger in text}
        if self._each is not None:
            for match in self._each.finditer(text):
                position = match.start()
                for trigger, anchor in self._by_anchor[text[position]]:
                    if text.startswith(trigger, position - anchor):
                        found.add(trigger)
        return frozenset(found)
