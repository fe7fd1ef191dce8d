"""The Anthropic wire format: POST /v1/messages (plain and streamed) and /v1/messages/count_tokens."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from .accounting import content_text, count_words, last_user_text, response_model, word_pieces
from .answer import Answer, compose_answer
from .body import JSON_CONTENT_TYPE, SSE_CONTENT_TYPE, ChunkStream, Reply, encode_json, sse_event
from .directives import Directives
from .exchange import (
    RATE_LIMIT_HEADERS,
    Builder,
    InvalidRequest,
    RequestBody,
    WireFormat,
    new_id,
    optional_int,
    required_objects,
    required_string,
    serve,
)
from .tools import AUTO, NONE, REQUIRED, ToolSpec, tools_to_call

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    529: "overloaded_error",
}
# Extended thinking (`thinking: {"type": "enabled" | "adaptive"}`) answers this text first; its words are the
# thinking tokens, counted inside output_tokens.
THINKING_TEXT = "Let me think about how to answer this request step by step."
THINKING_SIGNATURE = "standin-thinking-signature"
_CUMULATIVE_USAGE = (
    "input_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
    "output_tokens",
    "output_tokens_details",
)
# Anthropic's mid-stream failure: an `error` event (the SDK raises it as APIStatusError).
_STREAM_ERROR = sse_event(
    {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}, "request_id": None}, "error"
)
_PING = sse_event({"type": "ping"}, "ping")
_MESSAGE_STOP = sse_event({"type": "message_stop"}, "message_stop")


def anthropic_response(path: str, body: RequestBody, headers: Mapping[str, str]) -> Reply:
    """Answer one POST to an Anthropic path (query string allowed); `headers` keys are lower-case."""
    endpoint = _ENDPOINTS.get(path.partition("?")[0].rstrip("/"))
    if endpoint is None:
        return _error(404, f"Not found: POST {path}", None)
    return serve(endpoint, body, headers, _WIRE)


def _error(status: int, message: str, param: str | None) -> Reply:
    request_id = new_id("req_")
    headers = {"content-type": JSON_CONTENT_TYPE, "request-id": request_id}
    if status == 429:
        headers.update(RATE_LIMIT_HEADERS)
        headers["anthropic-ratelimit-requests-remaining"] = "0"
    if param is not None:
        message = f"{param}: {message}"
    error = {"type": _ERROR_TYPES.get(status, "api_error"), "message": message}
    return Reply(status, headers, encode_json({"type": "error", "error": error, "request_id": request_id}))


class _Prompt:
    """Word counts of a messages request, with the cached prefix its cache_control breakpoints mark."""

    def __init__(self, request: Mapping[str, Any]) -> None:
        messages = required_objects(request, "messages")
        system = request.get("system")
        blocks: list[Any] = [system] if isinstance(system, str) else list(system or [])
        for message in messages:
            content = message.get("content")
            blocks.extend([content] if isinstance(content, str) else content or [])
        self.total = 0
        self.cached_prefix = 0
        self.cache_ttl = "5m"
        for block in blocks:
            self.total += count_words(content_text(block))
            control = block.get("cache_control") if isinstance(block, dict) else None
            if isinstance(control, dict):
                self.cached_prefix = self.total
                self.cache_ttl = control.get("ttl", "5m")
        # The first turn of a conversation writes the cache; a later turn (one with an assistant reply) reads it.
        self.cache_read = any(message.get("role") == "assistant" for message in messages)
        last = messages[-1]
        last_content = last.get("content")
        self.answers_tool_result = isinstance(last_content, list) and any(
            isinstance(block, dict) and block.get("type") == "tool_result" for block in last_content
        )
        self.last_user_text = last_user_text(messages, [content_text(message.get("content")) for message in messages])


def _messages(request: dict[str, Any], directives: Directives) -> Reply:
    model = required_string(request, "model")
    max_tokens = optional_int(request, "max_tokens")
    if max_tokens is None:
        raise InvalidRequest("Field required.", "max_tokens")
    prompt = _Prompt(request)
    tools = [
        ToolSpec(tool["name"], tool.get("input_schema") or {})
        for tool in request.get("tools") or []
        if isinstance(tool, dict) and "name" in tool and "input_schema" in tool
    ]
    calls = tools_to_call(
        tools, _tool_choice(request.get("tool_choice")), prompt.last_user_text, prompt.answers_tool_result
    )
    thinking_tokens = count_words(THINKING_TEXT) if _thinking_enabled(request) else 0
    answer = compose_answer(model, directives.chunks, calls, None, max_tokens - thinking_tokens)
    stop_reason = "tool_use" if answer.tool_calls else "max_tokens" if answer.truncated else "end_turn"
    cache_read = prompt.cached_prefix if prompt.cache_read else 0
    cache_write = 0 if prompt.cache_read else prompt.cached_prefix
    usage: dict[str, Any] = {
        "input_tokens": prompt.total - prompt.cached_prefix,
        "cache_creation_input_tokens": cache_write,
        "cache_read_input_tokens": cache_read,
        "cache_creation": {
            "ephemeral_5m_input_tokens": 0 if prompt.cache_ttl == "1h" else cache_write,
            "ephemeral_1h_input_tokens": cache_write if prompt.cache_ttl == "1h" else 0,
        },
        "output_tokens": answer.output_tokens + thinking_tokens,
        "service_tier": "standard",
    }
    if thinking_tokens:
        usage["output_tokens_details"] = {"thinking_tokens": thinking_tokens}
    blocks = _content_blocks(answer, bool(thinking_tokens))
    message = {
        "id": new_id("msg_"),
        "type": "message",
        "role": "assistant",
        "model": response_model(model),
        "content": [block.final for block in blocks],
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": usage,
    }
    headers = {"request-id": new_id("req_")}
    if request.get("stream"):
        headers["content-type"] = SSE_CONTENT_TYPE
        return Reply(200, headers, ChunkStream(_message_events(message, blocks)))
    headers["content-type"] = JSON_CONTENT_TYPE
    return Reply(200, headers, encode_json(message))


def _count_tokens(request: dict[str, Any], directives: Directives) -> Reply:
    required_string(request, "model")
    body = {"input_tokens": _Prompt(request).total}
    return Reply(200, {"content-type": JSON_CONTENT_TYPE, "request-id": new_id("req_")}, encode_json(body))


def _tool_choice(choice: object) -> str:
    if not isinstance(choice, dict):
        return AUTO
    kind = choice.get("type")
    if kind == "any":
        return REQUIRED
    if kind == "none":
        return NONE
    if kind == "tool" and isinstance(choice.get("name"), str):
        return str(choice["name"])
    return AUTO


class _Block(NamedTuple):
    """One content block: as the plain reply holds it, as its stream starts, and its stream deltas."""

    final: dict[str, Any]
    start: dict[str, Any]
    deltas: list[dict[str, Any]]


def _thinking_enabled(request: Mapping[str, Any]) -> bool:
    thinking = request.get("thinking")
    return isinstance(thinking, dict) and thinking.get("type") in ("enabled", "adaptive")


def _content_blocks(answer: Answer, thinking: bool) -> list[_Block]:
    """Thinking (when enabled), then the tool_use blocks or the text block."""
    blocks = []
    if thinking:
        thinking_deltas: list[dict[str, Any]] = [
            {"type": "thinking_delta", "thinking": piece} for piece in word_pieces(THINKING_TEXT)
        ]
        thinking_deltas.append({"type": "signature_delta", "signature": THINKING_SIGNATURE})
        blocks.append(
            _Block(
                {"type": "thinking", "thinking": THINKING_TEXT, "signature": THINKING_SIGNATURE},
                {"type": "thinking", "thinking": "", "signature": ""},
                thinking_deltas,
            )
        )
    for call, pieces in zip(answer.tool_calls, answer.tool_pieces, strict=True):
        tool_use = {"type": "tool_use", "id": new_id("toolu_"), "name": call.name, "input": json.loads(call.arguments)}
        json_deltas = [{"type": "input_json_delta", "partial_json": piece} for piece in pieces]
        blocks.append(_Block(tool_use, {**tool_use, "input": {}}, json_deltas))
    if not answer.tool_calls:
        text_deltas = [{"type": "text_delta", "text": piece} for piece in answer.pieces]
        blocks.append(_Block({"type": "text", "text": answer.text}, {"type": "text", "text": ""}, text_deltas))
    return blocks


def _message_events(message: dict[str, Any], blocks: list[_Block]) -> Iterator[bytes]:
    """The real sequence: message_start, per block start/(ping)/deltas/stop, message_delta, message_stop."""
    usage = message["usage"]
    # message_start reports the input side and a first output token; message_delta carries the cumulative totals.
    start_usage = {**usage, "output_tokens": 1}
    start_usage.pop("output_tokens_details", None)
    yield sse_event(
        {"type": "message_start", "message": {**message, "content": [], "stop_reason": None, "usage": start_usage}},
        "message_start",
    )
    for index, block in enumerate(blocks):
        yield sse_event(
            {"type": "content_block_start", "index": index, "content_block": block.start}, "content_block_start"
        )
        if index == 0:
            yield _PING
        for delta in block.deltas:
            yield sse_event({"type": "content_block_delta", "index": index, "delta": delta}, "content_block_delta")
        yield sse_event({"type": "content_block_stop", "index": index}, "content_block_stop")
    delta_usage = {key: usage[key] for key in _CUMULATIVE_USAGE if key in usage}
    yield sse_event(
        {
            "type": "message_delta",
            "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
            "usage": delta_usage,
        },
        "message_delta",
    )
    yield _MESSAGE_STOP


_ENDPOINTS: dict[str, Builder] = {"/v1/messages": _messages, "/v1/messages/count_tokens": _count_tokens}
_WIRE = WireFormat(
    error=_error,
    malformed_event=b"event: content_block_delta\ndata: {malformed\n\n",
    stream_error_event=lambda delivered: _STREAM_ERROR,
)
