"""The Cohere v2 wire format: POST /v2/chat (plain and streamed) and /v2/embed."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .accounting import content_text, count_words, last_user_text, word_pieces
from .answer import Answer, compose_answer, json_object_schema
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
from .vectors import float32_base64, unit_vector

# Cohere wraps every prompt in its own template: `usage.tokens.input_tokens` counts it, the billed units do not.
PROMPT_TEMPLATE_TOKENS = 8
# `thinking: {"type": "enabled"}` answers this first (a `thinking` content item); its words count as output tokens,
# which Cohere reports without a separate reasoning count.
THINKING_TEXT = "Let me think about how to answer this request step by step."
EMBEDDING_DIMENSIONS = 1024
_EMBEDDING_TYPES = ("float", "int8", "uint8", "binary", "ubinary", "base64")
STREAM_ERROR_MESSAGE = "Stand-in scenario error-event: the server had an error while streaming."


def cohere_response(path: str, body: RequestBody, headers: Mapping[str, str]) -> Reply:
    """Answer one POST to a Cohere v2 path; `headers` keys are lower-case."""
    endpoint = _ENDPOINTS.get(path.partition("?")[0].rstrip("/"))
    if endpoint is None:
        return _error(404, f"Not found: POST {path}", None)
    return serve(endpoint, body, headers, _WIRE)


def _error(status: int, message: str, param: str | None) -> Reply:
    headers = {"content-type": JSON_CONTENT_TYPE, "x-request-id": new_id("")}
    if status == 429:
        headers.update(RATE_LIMIT_HEADERS)
    if param is not None:
        message = f"invalid request: {param}: {message}"
    return Reply(status, headers, encode_json({"id": new_id(""), "message": message}))


def _headers(content_type: str) -> dict[str, str]:
    return {"content-type": content_type, "x-request-id": new_id(""), "num_tokens": "0"}


def _tool_choice(choice: object) -> str:
    if choice == "REQUIRED":
        return REQUIRED
    if choice == "NONE":
        return NONE
    return AUTO


def _json_schema(response_format: object, model: str, chunks: int) -> Mapping[str, Any] | None:
    if not isinstance(response_format, dict) or response_format.get("type") != "json_object":
        return None
    schema = response_format.get("json_schema")
    return schema if isinstance(schema, dict) else json_object_schema(model, chunks)


def _tool_plan(answer: Answer) -> str:
    return "I will call " + " and ".join(call.name for call in answer.tool_calls) + "."


def _chat(request: dict[str, Any], directives: Directives) -> Reply:
    model = required_string(request, "model")
    messages = required_objects(request, "messages")
    limit = optional_int(request, "max_tokens")
    texts = [content_text(message.get("content")) for message in messages]
    words = sum(map(count_words, texts))
    # Prefix caching: a follow-up turn finds everything but its last message in the cache.
    cached = sum(map(count_words, texts[:-1]))
    tools = [
        ToolSpec(tool["function"]["name"], tool["function"].get("parameters") or {})
        for tool in request.get("tools") or []
        if isinstance(tool, dict) and isinstance(tool.get("function"), dict) and "name" in tool["function"]
    ]
    calls = tools_to_call(
        tools,
        _tool_choice(request.get("tool_choice")),
        last_user_text(messages, texts),
        messages[-1].get("role") == "tool",
    )
    thinking = request.get("thinking")
    thinking_text = THINKING_TEXT if isinstance(thinking, dict) and thinking.get("type") == "enabled" else ""
    thinking_tokens = count_words(thinking_text)
    budget = None if limit is None else limit - thinking_tokens
    schema = _json_schema(request.get("response_format"), model, directives.chunks)
    answer = compose_answer(model, directives.chunks, calls, schema, budget)
    plan = _tool_plan(answer) if answer.tool_calls else ""
    output_tokens = answer.output_tokens + thinking_tokens + count_words(plan)
    usage = {
        "billed_units": {"input_tokens": words, "output_tokens": output_tokens},
        "tokens": {"input_tokens": words + PROMPT_TEMPLATE_TOKENS, "output_tokens": output_tokens},
        "cached_tokens": cached,
    }
    finish_reason = "TOOL_CALL" if answer.tool_calls else "MAX_TOKENS" if answer.truncated else "COMPLETE"
    reply_id = new_id("")
    tool_calls = [
        {
            "id": f"{call.name}_{new_id('')[:8]}",
            "type": "function",
            "function": {"name": call.name, "arguments": call.arguments},
        }
        for call in answer.tool_calls
    ]
    if request.get("stream"):
        events = _chat_events(reply_id, answer, thinking_text, plan, tool_calls, finish_reason, usage)
        return Reply(200, _headers(SSE_CONTENT_TYPE), ChunkStream(events))
    message: dict[str, Any] = {"role": "assistant"}
    content = [{"type": "thinking", "thinking": thinking_text}] if thinking_text else []
    if tool_calls:
        message["tool_plan"] = plan
        message["tool_calls"] = tool_calls
    else:
        content.append({"type": "text", "text": answer.text})
    if content:
        message["content"] = content
    body = {"id": reply_id, "message": message, "finish_reason": finish_reason, "usage": usage}
    return Reply(200, _headers(JSON_CONTENT_TYPE), encode_json(body))


def _event(kind: str, **fields: Any) -> bytes:
    return sse_event({"type": kind, **fields}, kind)


def _chat_events(
    reply_id: str,
    answer: Answer,
    thinking: str,
    plan: str,
    tool_calls: list[dict[str, Any]],
    finish_reason: str,
    usage: dict[str, Any],
) -> Iterator[bytes]:
    """The real sequence: message-start; content-start/delta/end per content item, or tool-plan-delta then
    tool-call-start/delta/end per call; message-end with the finish reason and usage."""
    empty = {"role": "assistant", "content": [], "tool_plan": "", "tool_calls": [], "citations": []}
    yield _event("message-start", id=reply_id, delta={"message": empty})
    contents: list[tuple[str, list[str]]] = [("thinking", word_pieces(thinking))] if thinking else []
    if not tool_calls:
        contents.append(("text", answer.pieces))
    for index, (kind, pieces) in enumerate(contents):
        yield _event("content-start", index=index, delta={"message": {"content": {"type": kind, kind: ""}}})
        for piece in pieces:
            yield _event("content-delta", index=index, delta={"message": {"content": {kind: piece}}}, logprobs=None)
        yield _event("content-end", index=index)
    for piece in word_pieces(plan):
        yield _event("tool-plan-delta", delta={"message": {"tool_plan": piece}})
    for index, (call, pieces) in enumerate(zip(tool_calls, answer.tool_pieces, strict=True)):
        start = {**call, "function": {"name": call["function"]["name"], "arguments": ""}}
        yield _event("tool-call-start", index=index, delta={"message": {"tool_calls": start}})
        for piece in pieces:
            fragment = {"function": {"arguments": piece}}
            yield _event("tool-call-delta", index=index, delta={"message": {"tool_calls": fragment}})
        yield _event("tool-call-end", index=index)
    yield _event("message-end", id=reply_id, delta={"finish_reason": finish_reason, "usage": usage})


def _embed(request: dict[str, Any], directives: Directives) -> Reply:
    required_string(request, "model")
    required_string(request, "input_type")
    texts = request.get("texts")
    if not isinstance(texts, list) or not texts or not all(isinstance(text, str) for text in texts):
        raise InvalidRequest("'texts' is required here: a non-empty array of strings (images are not modelled).")
    kinds = request.get("embedding_types") or ["float"]
    unknown = [kind for kind in kinds if kind not in _EMBEDDING_TYPES]
    if unknown:
        raise InvalidRequest(f"unknown embedding_types {unknown}; expected some of {list(_EMBEDDING_TYPES)}.")
    dimensions = optional_int(request, "output_dimension") or EMBEDDING_DIMENSIONS
    vectors = [unit_vector(text, dimensions) for text in texts]
    embeddings = {kind: [_encoded(vector, kind) for vector in vectors] for kind in kinds}
    billed = sum(map(count_words, texts))
    body = {
        "id": new_id(""),
        "embeddings": embeddings,
        "texts": texts,
        "meta": {"api_version": {"version": "2"}, "billed_units": {"input_tokens": billed}},
        "response_type": "embeddings_by_type",
    }
    return Reply(200, _headers(JSON_CONTENT_TYPE), encode_json(body))


def _encoded(vector: list[float], kind: str) -> Any:
    """One vector in an embedding type: int8/uint8 scale each value, binary packs signs 8 per byte."""
    if kind == "float":
        return vector
    if kind == "base64":
        return float32_base64(vector)
    scaled = [max(-128, min(127, round(value * 127 * 8))) for value in vector]
    if kind == "int8":
        return scaled
    if kind == "uint8":
        return [value + 128 for value in scaled]
    packed = []
    for start in range(0, len(vector), 8):
        byte = sum(1 << (7 - bit) for bit, value in enumerate(vector[start : start + 8]) if value > 0)
        packed.append(byte - 128 if kind == "binary" else byte)
    return packed


_ENDPOINTS: dict[str, Builder] = {"/v2/chat": _chat, "/v2/embed": _embed}
# A stream that fails after it started ends with a message-end whose finish reason is ERROR.
_WIRE = WireFormat(
    error=_error,
    malformed_event=b"event: content-delta\ndata: {malformed\n\n",
    stream_error_event=lambda delivered: _event(
        "message-end", delta={"finish_reason": "ERROR", "error": STREAM_ERROR_MESSAGE}
    ),
)
