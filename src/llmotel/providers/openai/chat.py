"""chat.completions.create / parse: ChatCompletion and its stream of ChatCompletionChunk."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
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
    "max_tokens": semconv.GEN_AI_REQUEST_MAX_TOKENS,
    "max_completion_tokens": semconv.GEN_AI_REQUEST_MAX_TOKENS,
    "temperature": semconv.GEN_AI_REQUEST_TEMPERATURE,
    "top_p": semconv.GEN_AI_REQUEST_TOP_P,
    "frequency_penalty": semconv.GEN_AI_REQUEST_FREQUENCY_PENALTY,
    "presence_penalty": semconv.GEN_AI_REQUEST_PRESENCE_PENALTY,
    "seed": semconv.GEN_AI_REQUEST_SEED,
    "stop": semconv.GEN_AI_REQUEST_STOP_SEQUENCES,
}


@dataclass(slots=True)
class _Choice:
    """One choice of a stream, accumulated only when content is captured."""

    text: list[str] = field(default_factory=list)
    tool_calls: dict[int, list[Any]] = field(default_factory=dict)  # index -> [id, name, argument fragments]
    finish_reason: str | None = None


class ChatCompletions(Operation):
    def request(self, instance: Any, kwargs: Mapping[str, Any]) -> Request:
        attributes = copy_parameters(kwargs, PARAMETERS)
        stop = kwargs.get("stop")
        if isinstance(stop, str):
            attributes[semconv.GEN_AI_REQUEST_STOP_SEQUENCES] = [stop]
        choices = kwargs.get("n")
        if isinstance(choices, int) and choices != 1:
            attributes[semconv.GEN_AI_REQUEST_CHOICE_COUNT] = choices
        output = output_type(kwargs.get("response_format"))
        return chat_request(instance, kwargs, attributes, "chat_completions", output)

    def input_content(self, kwargs: Mapping[str, Any]) -> InputContent:
        messages = [_input_message(message) for message in kwargs.get("messages") or ()]
        tools = [tool for tool in kwargs.get("tools") or () if isinstance(tool, dict)]
        return InputContent(messages=messages, tool_definitions=tools)

    def is_stream(self, request: Request, result: Any) -> bool:
        return request.stream and type(result).__name__ in ("Stream", "AsyncStream")

    def response(self, call: Call, completion: Any) -> None:
        call.response_id = completion.id
        call.response_model = completion.model
        for choice in completion.choices:
            call.set_finish_reason(choice.index, choice.finish_reason or "error")
        record_usage(call, completion.usage)
        record_service(call, completion)
        if call.capture_content:
            call.output_messages = [_output_message(choice) for choice in completion.choices]

    def chunk(self, call: Call, chunk: Any) -> None:
        if call.response_id is None:
            call.response_id = chunk.id
            call.response_model = chunk.model
            record_service(call, chunk)
        for choice in chunk.choices:
            if choice.finish_reason:
                call.set_finish_reason(choice.index, choice.finish_reason)
            if call.capture_content:
                _accumulate(call, choice)
        if chunk.usage is not None:
            record_usage(call, chunk.usage)

    def stream_end(self, call: Call) -> None:
        state: dict[int, _Choice] | None = call.stream_state
        if not call.capture_content or not state:
            return
        messages: list[Message] = []
        for index in sorted(state):
            choice = state[index]
            parts: list[dict[str, Any]] = []
            if choice.text:
                parts.append(text_part("".join(choice.text)))
            for call_id, name, fragments in choice.tool_calls.values():
                parts.append(tool_call_part(call_id, name, "".join(fragments)))
            messages.append({"role": "assistant", "parts": parts, "finish_reason": choice.finish_reason or "error"})
        call.output_messages = messages


def record_usage(call: Call, usage: Any) -> None:
    if usage is None:
        return
    call.input_tokens = usage.prompt_tokens  # OpenAI's prompt count already includes cached tokens
    call.output_tokens = usage.completion_tokens
    prompt_details = usage.prompt_tokens_details
    if prompt_details is not None:
        if prompt_details.cached_tokens is not None:
            call.cache_read_tokens = prompt_details.cached_tokens
        if getattr(prompt_details, "cache_write_tokens", None) is not None:
            call.cache_write_tokens = prompt_details.cache_write_tokens
    completion_details = usage.completion_tokens_details
    if completion_details is not None and completion_details.reasoning_tokens is not None:
        call.reasoning_tokens = completion_details.reasoning_tokens


def _accumulate(call: Call, choice: Any) -> None:
    state: dict[int, _Choice] = call.stream_state if call.stream_state is not None else {}
    call.stream_state = state
    accumulated = state.get(choice.index)
    if accumulated is None:
        accumulated = state[choice.index] = _Choice()
    if choice.finish_reason:
        accumulated.finish_reason = choice.finish_reason
    delta = choice.delta
    if delta is None:
        return
    if delta.content:
        accumulated.text.append(delta.content)
    for tool_call in delta.tool_calls or ():
        entry = accumulated.tool_calls.setdefault(tool_call.index, [None, None, []])
        if tool_call.id:
            entry[0] = tool_call.id
        function = tool_call.function
        if function is not None:
            if function.name:
                entry[1] = function.name
            if function.arguments:
                entry[2].append(function.arguments)


def _input_message(message: Any) -> Message:
    if not isinstance(message, Mapping):
        message = message.model_dump(exclude_none=True) if hasattr(message, "model_dump") else {}
    role = message.get("role", "user")
    parts: list[dict[str, Any]] = []
    if role == "tool":
        parts.append(tool_response_part(message.get("tool_call_id"), message.get("content")))
    else:
        parts += _content_parts(message.get("content"))
    for tool_call in message.get("tool_calls") or ():
        function = tool_call.get("function") or {}
        parts.append(tool_call_part(tool_call.get("id"), function.get("name"), function.get("arguments")))
    return {"role": role, "parts": parts}


def _content_parts(content: Any) -> list[dict[str, Any]]:
    if content is None:
        return []
    if isinstance(content, str):
        return [text_part(content)]
    parts: list[dict[str, Any]] = []
    for part in content:
        kind = part.get("type")
        if kind == "text":
            parts.append(text_part(part.get("text", "")))
        elif kind == "image_url":
            url = (part.get("image_url") or {}).get("url", "")
            parts.append({"type": "uri", "modality": "image", "uri": url})
        elif kind == "input_audio":
            audio = part.get("input_audio") or {}
            parts.append({"type": "blob", "modality": "audio", "content": audio.get("data", "")})
        else:
            parts.append({"type": kind or "unknown"})
    return parts


def _output_message(choice: Any) -> Message:
    message = choice.message
    parts: list[dict[str, Any]] = []
    if message.content:
        parts.append(text_part(message.content))
    for tool_call in message.tool_calls or ():
        function = getattr(tool_call, "function", None)
        if function is not None:
            parts.append(tool_call_part(tool_call.id, function.name, parse_arguments(function.arguments)))
    return {"role": message.role or "assistant", "parts": parts, "finish_reason": choice.finish_reason or "error"}
