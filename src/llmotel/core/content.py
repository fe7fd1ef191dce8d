"""Opt-in content: semconv's structured messages, redacted, serialised, and cut to a size cap as valid JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from llmotel import semconv
from llmotel.core.call import Attributes, InputContent, Message
from llmotel.privacy import RedactionCounts, Redactor

_MIN_STRING = 32  # shortest a string is cut to before the whole value is cut


@dataclass(slots=True)
class EncodedContent:
    attributes: Attributes = field(default_factory=dict)
    redactions: dict[str, int] = field(default_factory=dict)


class ContentEncoder:
    def __init__(self, max_bytes: int, redactor: Redactor | None = None) -> None:
        self.max_bytes = max_bytes
        self.redactor = redactor

    def encode(self, input_content: InputContent | None, output_messages: list[Message] | None) -> EncodedContent:
        values: list[tuple[str, Any]] = []
        if input_content is not None:
            values += [
                (semconv.GEN_AI_SYSTEM_INSTRUCTIONS, input_content.system_instructions),
                (semconv.GEN_AI_INPUT_MESSAGES, input_content.messages),
                (semconv.GEN_AI_TOOL_DEFINITIONS, input_content.tool_definitions),
            ]
        if output_messages:
            values.append((semconv.GEN_AI_OUTPUT_MESSAGES, output_messages))
        return self.encode_values(values)

    def encode_values(self, values: list[tuple[str, Any]]) -> EncodedContent:
        """Content attributes from (attribute, JSON-like value) pairs, e.g. a tool call's arguments and result."""
        encoded = EncodedContent()
        truncated = False
        counts = RedactionCounts()
        for key, value in values:
            if not value:
                continue
            if self.redactor is not None:  # before any cut: a cut secret no longer matches its pattern
                value = self.redactor.redact_json(value, counts)
            text, cut = fit_json(value, self.max_bytes)
            encoded.attributes[key] = text
            truncated = truncated or cut
        if truncated:
            encoded.attributes[semconv.LLMOTEL_CONTENT_TRUNCATED] = True
        encoded.redactions = counts.as_dict()
        return encoded


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def fit_json(value: Any, max_bytes: int) -> tuple[str, bool]:
    """Serialise `value` within `max_bytes` of UTF-8, shortening its longest strings so the result stays JSON."""
    text = to_json(value)
    if len(text.encode()) <= max_bytes:
        return text, False
    limit = max(len(text), _MIN_STRING)
    while limit > _MIN_STRING:
        limit //= 2
        text = to_json(_shorten_strings(value, limit))
        if len(text.encode()) <= max_bytes:
            return text, True
    return to_json([{"truncated": True, "bytes": len(to_json(value).encode())}]), True


def _shorten_strings(value: Any, limit: int) -> Any:
    if isinstance(value, str):
        return value if len(value) <= limit else value[:limit] + "…"
    if isinstance(value, list):
        return [_shorten_strings(item, limit) for item in value]
    if isinstance(value, dict):
        return {key: _shorten_strings(item, limit) for key, item in value.items()}
    return value


def text_part(text: str) -> dict[str, Any]:
    return {"type": "text", "content": text}


def tool_call_part(call_id: str | None, name: str | None, arguments: Any) -> dict[str, Any]:
    return {"type": "tool_call", "id": call_id, "name": name, "arguments": parse_arguments(arguments)}


def tool_response_part(call_id: str | None, result: Any) -> dict[str, Any]:
    return {"type": "tool_call_response", "id": call_id, "response": result}


def parse_arguments(arguments: Any) -> Any:
    """Tool arguments arrive as a JSON string; keep them structured when they parse."""
    if isinstance(arguments, str):
        try:
            return json.loads(arguments)
        except ValueError:
            return arguments
    return arguments
