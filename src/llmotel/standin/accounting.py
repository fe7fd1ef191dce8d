"""Deterministic reply text and token accounting, so a test can predict every number the stand-in reports.

Rules (README.md repeats them for users):
- a token is a whitespace-separated word;
- input tokens = words of every text the request carries in its messages (system/instructions included);
- the reply is the first `chunks` words of `REPLY_OPENING` + the model name + `REPLY_FILLER` repeated;
  output tokens = words of the reply (or of the JSON arguments of each tool call) + reasoning tokens;
- reasoning tokens are set by the requested effort (REASONING_TOKENS), counted once per request.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

REPLY_OPENING = ("Hello", "from", "the", "llmotel", "stand-in", "model")
REPLY_FILLER = ("and", "here", "is", "some", "more", "deterministic", "text.")

REASONING_TOKENS = {"none": 0, "minimal": 0, "low": 8, "medium": 16, "high": 32, "xhigh": 64}

# Aliases answered with a dated snapshot, as the real APIs do, so "response model != request model" is testable.
DATED_SNAPSHOTS = {
    "gpt-4o": "gpt-4o-2024-08-06",
    "gpt-4o-mini": "gpt-4o-mini-2024-07-18",
    "gpt-4.1": "gpt-4.1-2025-04-14",
    "gpt-4.1-mini": "gpt-4.1-mini-2025-04-14",
    "gpt-4.1-nano": "gpt-4.1-nano-2025-04-14",
    "gpt-5": "gpt-5-2025-08-07",
    "gpt-5-mini": "gpt-5-mini-2025-08-07",
    "gpt-5-nano": "gpt-5-nano-2025-08-07",
    "o3": "o3-2025-04-16",
    "o3-mini": "o3-mini-2025-01-31",
    "o4-mini": "o4-mini-2025-04-16",
    "claude-3-5-haiku-latest": "claude-3-5-haiku-20241022",
    "claude-3-7-sonnet-latest": "claude-3-7-sonnet-20250219",
    "claude-sonnet-4-0": "claude-sonnet-4-20250514",
    "claude-opus-4-1": "claude-opus-4-1-20250805",
    "claude-sonnet-4-5": "claude-sonnet-4-5-20250929",
    "claude-haiku-4-5": "claude-haiku-4-5-20251001",
    "claude-opus-4-5": "claude-opus-4-5-20251101",
}

_WORD = re.compile(r"\S+")


def count_words(text: str) -> int:
    return len(text.split())


def response_model(request_model: str) -> str:
    return DATED_SNAPSHOTS.get(request_model, request_model)


def reply_text(request_model: str, words: int) -> str:
    """The deterministic answer: `words` words, the model name as the seventh."""
    sequence: Iterator[str] = itertools.chain(REPLY_OPENING, (request_model,), itertools.cycle(REPLY_FILLER))
    return " ".join(itertools.islice(sequence, words))


def truncate_words(text: str, budget: int) -> str:
    """The text up to the end of its `budget`-th word (a max-tokens limit)."""
    if budget <= 0:
        return ""
    for index, match in enumerate(_WORD.finditer(text), start=1):
        if index == budget:
            return text[: match.end()]
    return text


def word_pieces(text: str) -> list[str]:
    """Stream pieces of a prose reply: one word each, with its leading space."""
    words = text.split(" ")
    return [words[0], *(" " + word for word in words[1:])] if text else []


def even_pieces(text: str, count: int) -> list[str]:
    """Stream pieces of JSON text: `count` slices of near-equal length (fewer if the text is shorter)."""
    count = max(1, min(count, len(text)))
    size, extra = divmod(len(text), count)
    pieces = []
    start = 0
    for index in range(count):
        end = start + size + (1 if index < extra else 0)
        pieces.append(text[start:end])
        start = end
    return pieces


def reasoning_tokens(effort: object) -> int:
    return REASONING_TOKENS.get(effort, REASONING_TOKENS["medium"]) if isinstance(effort, str) else 0


def last_user_text(messages: Sequence[Mapping[str, Any]], texts: Sequence[str]) -> str:
    """The text of the last user message (`texts[i]` is the text of `messages[i]`), where tool names are looked for."""
    return next(
        (
            text
            for message, text in zip(reversed(messages), reversed(texts), strict=True)
            if message.get("role") == "user"
        ),
        "",
    )


def content_text(content: object) -> str:
    """The text a message's content carries: a string, text parts, tool results (nested), tool outputs."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(filter(None, (content_text(part) for part in content)))
    if isinstance(content, dict):
        for key in ("text", "content", "output"):
            if key in content:
                return content_text(content[key])
    return ""
