"""Cheap checks that decide which detectors need to look at a text at all.

Testing twenty substrings with `in` costs about 2 us each on a 4 KB prompt. One regex whose
every branch starts with a literal character lets the regex engine skip through the text in C
and stop only where a trigger (or a digit) really is; choosing a rare character of each trigger
as that first character (the `-` of `sk-`, the `J` of `eyJ`) keeps the stops few.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# English letters from rarest to most common.
_LOWER_BY_RARITY = "zqxjkvbpygfwmucldrhsnioate"
_DIGITS = "0123456789"
# A branch anchored on a common lower-case letter is tried at every such letter of the text;
# a trigger with nothing rarer than `j` is cheaper as a plain `in` test.
_RAREST_LOWER = 60 + _LOWER_BY_RARITY.index("j")


def _rarity(ch: str) -> int:
    lowered = ch.lower()
    if ch != lowered and lowered in _LOWER_BY_RARITY:
        return 30 + _LOWER_BY_RARITY.index(lowered)
    if ch in _LOWER_BY_RARITY:
        return 60 + _LOWER_BY_RARITY.index(ch)
    if ch.isspace():
        return 100
    # Punctuation, and digits inside a trigger: rarer than letters in prose.
    return 0


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
            anchor = min(ascii_positions, key=lambda i: (_rarity(trigger[i]), i), default=-1)
            if anchor < 0 or _rarity(trigger[anchor]) > _RAREST_LOWER:
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
