"""messages.create / stream: Message, and its stream of RawMessageStreamEvent."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from llmotel import semconv
from llmotel.core.adapter import Operation, Parameters, copy_parameters
from llmotel.core.call import Call, InputContent, Message, Request
from llmotel.core.content import text_part, tool_call_part, tool_response_part
from llmotel.providers import stainless
from llmotel.providers.anthropic import sdk_spans

# anthropic 2.x's messages API takes no temperature/top_p/top_k any more
PARAMETERS: Parameters = {
    "max_tokens": semconv.GEN_AI_REQUEST_MAX_TOKENS,
    "stop_sequences": semconv.GEN_AI_REQUEST_STOP_SEQUENCES,
}

# clients of the same SDK that reach Claude through a cloud: each is priced and reported as its own provider
_PROVIDER_OF_CLIENT = {
    "AnthropicBedrock": "aws.bedrock",
    "AsyncAnthropicBedrock": "aws.bedrock",
    "AnthropicVertex": "gcp.vertex_ai",
    "AsyncAnthropicVertex": "gcp.vertex_ai",
}


@dataclass(slots=True)
class _StreamState:
    """Anthropic's raw usage (input excludes cache) and, when capturing, the content blocks by index."""

    input_tokens: int = 0
    cache_read: int | None = None
    cache_write: int | None = None
    blocks: dict[int, list[Any]] = field(default_factory=dict)  # index -> [type, id, name, fragments]


class Messages(Operation):
    def __init__(self, stream_helper: bool = False) -> None:
        self.stream_helper = stream_helper  # `messages.stream()`: always a stream, entered as a context manager

    def request(self, instance: Any, kwargs: Mapping[str, Any]) -> Request:
        sdk_spans.ensure_off(instance)
        client_class = type(getattr(instance, "_client", None)).__name__
        provider = _PROVIDER_OF_CLIENT.get(client_class, "anthropic")
        address, port = stainless.endpoint(instance)
        attributes = copy_parameters(kwargs, PARAMETERS)
        stream = self.stream_helper or kwargs.get("stream") is True
        if stream:
            attributes[semconv.GEN_AI_REQUEST_STREAM] = True
        return Request(
            "chat",
            provider,
            str(kwargs.get("model")),
            address,
            port,
            attributes,
            stream,
            stainless.raw_response_mode(kwargs),
        )

    def input_content(self, kwargs: Mapping[str, Any]) -> InputContent:
        content = InputContent()
        system = kwargs.get("system")
        if isinstance(system, str):
            content.system_instructions = [text_part(system)]
        elif isinstance(system, (list, tuple)):
            content.system_instructions = [text_part(block.get("text", "")) for block in system]
        content.messages = [_input_message(message) for message in kwargs.get("messages") or ()]
        content.tool_definitions = [tool for tool in kwargs.get("tools") or () if isinstance(tool, dict)]
        return content

    def is_stream(self, request: Request, result: Any) -> bool:
        return request.stream and type(result).__name__ in ("Stream", "AsyncStream")

    def response(self, call: Call, message: Any) -> None:
        call.response_id = message.id
        call.response_model = message.model
        if message.stop_reason:
            call.set_finish_reason(0, message.stop_reason)
        usage = message.usage
        _record_usage(
            call,
            usage.input_tokens,
            usage.cache_read_input_tokens,
            usage.cache_creation_input_tokens,
            usage.output_tokens,
            usage.output_tokens_details,
        )
        if call.capture_content:
            parts = [_output_part(block) for block in message.content]
            call.output_messages = [{"role": "assistant", "parts": parts, "finish_reason": message.stop_reason}]

    def chunk(self, call: Call, event: Any) -> None:
        kind = event.type
        if kind == "content_block_delta":
            if call.capture_content:
                delta = event.delta
                fragment = getattr(delta, "text", None) or getattr(delta, "partial_json", None)
                fragment = fragment or getattr(delta, "thinking", None)
                if fragment:
                    call.stream_state.blocks[event.index][3].append(fragment)
        elif kind == "message_start":
            message = event.message
            call.response_id = message.id
            call.response_model = message.model
            usage = message.usage
            call.stream_state = state = _StreamState(
                usage.input_tokens, usage.cache_read_input_tokens, usage.cache_creation_input_tokens
            )
            _record_usage(call, state.input_tokens, state.cache_read, state.cache_write, usage.output_tokens, None)
        elif kind == "content_block_start":
            if call.capture_content:
                block = event.content_block
                call.stream_state.blocks[event.index] = [
                    block.type,
                    getattr(block, "id", None),
                    getattr(block, "name", None),
                    [],
                ]
        elif kind == "message_delta":
            if event.delta.stop_reason:
                call.set_finish_reason(0, event.delta.stop_reason)
            usage = event.usage
            state = call.stream_state
            if usage.input_tokens is not None:  # the final count when the server sends one
                state.input_tokens = usage.input_tokens
            if usage.cache_read_input_tokens is not None:
                state.cache_read = usage.cache_read_input_tokens
            if usage.cache_creation_input_tokens is not None:
                state.cache_write = usage.cache_creation_input_tokens
            _record_usage(
                call,
                state.input_tokens,
                state.cache_read,
                state.cache_write,
                usage.output_tokens,
                usage.output_tokens_details,
            )

    def stream_end(self, call: Call) -> None:
        state: _StreamState | None = call.stream_state
        if not call.capture_content or state is None:
            return
        parts: list[dict[str, Any]] = []
        for index in sorted(state.blocks):
            kind, block_id, name, fragments = state.blocks[index]
            text = "".join(fragments)
            if kind == "tool_use":
                parts.append(tool_call_part(block_id, name, text or "{}"))
            elif kind == "thinking":
                parts.append({"type": "reasoning", "content": text})
            else:
                parts.append(text_part(text))
        reason = call.finish_reasons[0] if call.finish_reasons else "error"
        call.output_messages = [{"role": "assistant", "parts": parts, "finish_reason": reason}]


def _record_usage(
    call: Call,
    input_tokens: int,
    cache_read: int | None,
    cache_write: int | None,
    output_tokens: int,
    output_details: Any,
) -> None:
    # Anthropic's input count excludes cache reads and writes; semconv's includes both.
    call.input_tokens = input_tokens + (cache_read or 0) + (cache_write or 0)
    call.output_tokens = output_tokens
    call.cache_read_tokens = cache_read
    call.cache_write_tokens = cache_write
    thinking = getattr(output_details, "thinking_tokens", None)
    if thinking is not None:
        call.reasoning_tokens = thinking


def _input_message(message: Any) -> Message:
    role = message.get("role", "user")
    content = message.get("content")
    if isinstance(content, str):
        return {"role": role, "parts": [text_part(content)]}
    parts: list[dict[str, Any]] = []
    for block in content or ():
        if not isinstance(block, Mapping):
            block = block.model_dump(exclude_none=True) if hasattr(block, "model_dump") else {}
        kind = block.get("type")
        if kind == "text":
            parts.append(text_part(block.get("text", "")))
        elif kind == "tool_use":
            parts.append(tool_call_part(block.get("id"), block.get("name"), block.get("input")))
        elif kind == "tool_result":
            parts.append(tool_response_part(block.get("tool_use_id"), block.get("content")))
        elif kind == "image":
            source = block.get("source") or {}
            if source.get("type") == "base64":
                parts.append({"type": "blob", "modality": "image", "content": source.get("data", "")})
            else:
                parts.append({"type": "uri", "modality": "image", "uri": source.get("url", "")})
        elif kind == "thinking":
            parts.append({"type": "reasoning", "content": block.get("thinking", "")})
        else:
            parts.append({"type": kind or "unknown"})
    return {"role": role, "parts": parts}


def _output_part(block: Any) -> dict[str, Any]:
    kind = block.type
    if kind == "text":
        return text_part(block.text)
    if kind == "tool_use":
        return tool_call_part(block.id, block.name, block.input)
    if kind == "thinking":
        return {"type": "reasoning", "content": block.thinking}
    return {"type": kind}
