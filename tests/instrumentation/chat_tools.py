"""Tool-calling fixtures in OpenAI's chat shape, shared by the tests of the providers that take it (groq, mistralai,
cohere, litellm)."""

from __future__ import annotations

import json
from typing import Any

CAPTURE_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hello to the team"}]
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
TOOL_MESSAGES = [{"role": "user", "content": "Use get_weather for Seoul"}]
TOOL_MESSAGES_CAPTURED = [{"role": "user", "parts": [{"type": "text", "content": "Use get_weather for Seoul"}]}]


def tool_call_output(call_id: str, arguments: str) -> list[dict[str, Any]]:
    """gen_ai.output.messages of a reply that calls get_weather once (id and JSON arguments as the SDK returned)."""
    part = {"type": "tool_call", "id": call_id, "name": "get_weather", "arguments": json.loads(arguments)}
    return [{"role": "assistant", "parts": [part], "finish_reason": "tool_calls"}]
