"""Request messages in the OpenAI chat shape (`{role, content, tool_calls, tool_call_id}`) as semconv messages.

OpenAI chat completions, Cohere v2 chat and Ollama chat all take this shape, so their adapters share it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from llmotel.core.call import Message
from llmotel.core.content import text_part, tool_call_part, tool_response_part


def as_mapping(value: Any) -> Mapping[str, Any]:
    """A message or part given as a dict or as one of the SDK's pydantic models."""
    if isinstance(value, Mapping):
        return value
    return value.model_dump(exclude_none=True) if hasattr(value, "model_dump") else {}


def input_message(message: Any) -> Message:
    message = as_mapping(message)
    role = message.get("role", "user")
    parts: list[dict[str, Any]] = []
    if role == "tool":
        parts.append(tool_response_part(message.get("tool_call_id"), message.get("content")))
    else:
        parts += content_parts(message.get("content"))
    for tool_call in message.get("tool_calls") or ():
        function = as_mapping(tool_call).get("function") or {}
        parts.append(tool_call_part(as_mapping(tool_call).get("id"), function.get("name"), function.get("arguments")))
    return {"role": role, "parts": parts}


def content_parts(content: Any) -> list[dict[str, Any]]:
    if content is None or content == "":  # an assistant turn that only calls tools
        return []
    if isinstance(content, str):
        return [text_part(content)]
    parts: list[dict[str, Any]] = []
    for part in content:
        part = as_mapping(part)
        kind = part.get("type")
        if kind == "text":
            parts.append(text_part(part.get("text", "")))
        elif kind == "image_url":
            image = part.get("image_url") or {}
            url = image if isinstance(image, str) else image.get("url", "")
            parts.append({"type": "uri", "modality": "image", "uri": url})
        elif kind == "input_audio":
            audio = part.get("input_audio") or {}
            parts.append({"type": "blob", "modality": "audio", "content": audio.get("data", "")})
        else:
            parts.append({"type": kind or "unknown"})
    return parts
