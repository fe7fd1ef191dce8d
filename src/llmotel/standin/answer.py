"""The content of one reply, provider-neutral: prose or JSON text, or tool calls, with its stream pieces."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .accounting import count_words, even_pieces, reply_text, truncate_words, word_pieces
from .schema_sample import sample_json
from .tools import ToolCall


@dataclass(frozen=True)
class Answer:
    text: str
    # Stream pieces of `text`, or of each tool call's arguments.
    pieces: list[str]
    tool_calls: list[ToolCall]
    tool_pieces: list[list[str]]
    # The max-tokens limit cut the text short.
    truncated: bool
    # Words of the text plus words of every tool call's arguments; reasoning not included.
    output_tokens: int


def compose_answer(
    model: str,
    chunks: int,
    tool_calls: list[ToolCall],
    json_schema: Mapping[str, Any] | None,
    text_budget: int | None,
) -> Answer:
    """`json_schema` asks for a JSON answer satisfying it; `text_budget` is the max-tokens limit left for text."""
    if tool_calls:
        return Answer(
            text="",
            pieces=[],
            tool_calls=tool_calls,
            tool_pieces=[even_pieces(call.arguments, chunks) for call in tool_calls],
            truncated=False,
            output_tokens=sum(count_words(call.arguments) for call in tool_calls),
        )
    if json_schema is None:
        text = reply_text(model, chunks)
    else:
        text = json.dumps(sample_json(json_schema))
    truncated = text_budget is not None and count_words(text) > text_budget
    if truncated:
        assert text_budget is not None
        text = truncate_words(text, text_budget)
    pieces = word_pieces(text) if json_schema is None else even_pieces(text, chunks)
    return Answer(text, pieces, [], [], truncated, count_words(text))


def json_object_schema(model: str, chunks: int) -> Mapping[str, Any]:
    """The schema of the answer to a plain JSON-mode request: {"answer": <the prose reply>}."""
    return {"type": "object", "properties": {"answer": {"const": reply_text(model, chunks)}}}
