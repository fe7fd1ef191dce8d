"""responses.create / parse: Response, and its stream of typed events ending in response.completed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from llmotel import semconv
from llmotel.core.adapter import Operation, Parameters, copy_parameters
from llmotel.core.call import Call, InputContent, Message, Request
from llmotel.core.content import parse_arguments, text_part, tool_call_part, tool_response_part
from llmotel.providers.openai.common import (
    chat_request,
    output_type,
    record_service,
)

PARAMETERS: Parameters = {
    "max_output_tokens": semconv.GEN_AI_REQUEST_MAX_TOKENS,
    "temperature": semconv.GEN_AI_REQUEST_TEMPERATURE,
    "top_p": semconv.GEN_AI_REQUEST_TOP_P,
}

# events that carry the final Response object, with usage
_FINAL_EVENTS = frozenset({"response.completed", "response.incomplete", "response.failed"})
_STARTING_EVENTS = frozenset({"response.created", "response.in_progress"})
_INCOMPLETE_REASONS = {"max_output_tokens": "length", "content_filter": "content_filter"}


class Responses(Operation):
    def request(self, instance: Any, kwargs: Mapping[str, Any]) -> Request:
        attributes = copy_parameters(kwargs, PARAMETERS)
        text = kwargs.get("text")
        kind = output_type(text.get("format")) if isinstance(text, dict) else None
        if kwargs.get("text_format") is not None and isinstance(kwargs.get("text_format"), type):
            kind = "json"
        conversation = kwargs.get("conversation")
        if isinstance(conversation, dict):
            conversation = conversation.get("id")
        if isinstance(conversation, str):
            attributes[semconv.GEN_AI_CONVERSATION_ID] = conversation
        return chat_request(instance, kwargs, attributes, "responses", kind)

    def input_content(self, kwargs: Mapping[str, Any]) -> InputContent:
        content = InputContent()
        instructions = kwargs.get("instructions")
        if isinstance(instructions, str):
            content.system_instructions = [text_part(instructions)]
        given = kwargs.get("input")
        if isinstance(given, str):
            content.messages = [{"role": "user", "parts": [text_part(given)]}]
        elif isinstance(given, (list, tuple)):
            content.messages = [_input_item(item) for item in given if isinstance(item, Mapping)]
        content.tool_definitions = [tool for tool in kwargs.get("tools") or () if isinstance(tool, dict)]
        return content

    def is_stream(self, request: Request, result: Any) -> bool:
        return request.stream and type(result).__name__ in ("Stream", "AsyncStream")

    def response(self, call: Call, response: Any) -> None:
        call.response_id = response.id
        call.response_model = response.model
        call.set_finish_reason(0, _finish_reason(response))
        usage = response.usage
        if usage is not None:
            call.input_tokens = usage.input_tokens
            call.output_tokens = usage.output_tokens
            input_details = usage.input_tokens_details
            if input_details is not None:
                call.cache_read_tokens = input_details.cached_tokens
                if getattr(input_details, "cache_write_tokens", None) is not None:
                    call.cache_write_tokens = input_details.cache_write_tokens
            output_details = usage.output_tokens_details
            if output_details is not None:
                call.reasoning_tokens = output_details.reasoning_tokens
        record_service(call, response)
        if call.capture_content:
            call.output_messages = [_output_message(response)]

    def chunk(self, call: Call, chunk: Any) -> None:
        kind = chunk.type
        if kind in _FINAL_EVENTS:
            self.response(call, chunk.response)
        elif kind in _STARTING_EVENTS and call.response_id is None:
            call.response_id = chunk.response.id
            call.response_model = chunk.response.model


def _finish_reason(response: Any) -> str:
    if response.status == "incomplete":
        details = response.incomplete_details
        reason = getattr(details, "reason", None)
        return _INCOMPLETE_REASONS.get(reason or "", reason or "incomplete")
    if response.status == "failed":
        return "error"
    if any(getattr(item, "type", None) == "function_call" for item in response.output):
        return "tool_calls"
    return "stop"


def _input_item(item: Mapping[str, Any]) -> Message:
    kind = item.get("type", "message")
    if kind == "function_call":
        return {
            "role": "assistant",
            "parts": [tool_call_part(item.get("call_id"), item.get("name"), item.get("arguments"))],
        }
    if kind == "function_call_output":
        return {"role": "tool", "parts": [tool_response_part(item.get("call_id"), item.get("output"))]}
    content = item.get("content")
    parts: list[dict[str, Any]] = []
    if isinstance(content, str):
        parts.append(text_part(content))
    else:
        for part in content or ():
            if part.get("type") in ("input_text", "output_text"):
                parts.append(text_part(part.get("text", "")))
            elif part.get("type") == "input_image":
                parts.append({"type": "uri", "modality": "image", "uri": part.get("image_url", "")})
            else:
                parts.append({"type": part.get("type", "unknown")})
    return {"role": item.get("role", "user"), "parts": parts}


def _output_message(response: Any) -> Message:
    parts: list[dict[str, Any]] = []
    for item in response.output:
        kind = getattr(item, "type", None)
        if kind == "message":
            for part in item.content:
                if getattr(part, "type", None) == "output_text":
                    parts.append(text_part(part.text))
        elif kind == "function_call":
            parts.append(tool_call_part(item.call_id, item.name, parse_arguments(item.arguments)))
        elif kind == "reasoning":
            summary = " ".join(getattr(s, "text", "") for s in getattr(item, "summary", None) or ())
            if summary:
                parts.append({"type": "reasoning", "content": summary})
    return {"role": "assistant", "parts": parts, "finish_reason": _finish_reason(response)}
