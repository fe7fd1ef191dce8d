"""The OpenAI wire format: /v1/chat/completions, /v1/responses, /v1/embeddings and the Azure deployment paths."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .accounting import content_text, count_words, last_user_text, reasoning_tokens, response_model
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

SYSTEM_FINGERPRINT = "fp_standin0001"
STREAM_ERROR_MESSAGE = "Stand-in scenario error-event: the server had an error while streaming."
EMBEDDING_DIMENSIONS = {"text-embedding-3-large": 3072}
DEFAULT_EMBEDDING_DIMENSIONS = 1536

_DONE = sse_event(b"[DONE]")
_ERROR_TYPES = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "unsupported_country_region_territory"),
    404: ("invalid_request_error", "model_not_found"),
    409: ("invalid_request_error", "conflict"),
    422: ("invalid_request_error", None),
    429: ("requests", "rate_limit_exceeded"),
}


def openai_response(path: str, body: RequestBody, headers: Mapping[str, str]) -> Reply:
    """Answer one POST to an OpenAI or Azure OpenAI path (query string allowed); `headers` keys are lower-case."""
    endpoint = _ENDPOINTS.get(_canonical_path(path))
    if endpoint is None:
        return _error(404, f"Invalid URL (POST {path})", None)
    build, wire = endpoint
    return serve(build, body, headers, wire)


def _canonical_path(path: str) -> str:
    """/v1/<endpoint> for OpenAI, Azure deployment (/openai/deployments/{d}/...) and Azure v1 (/openai/v1/...) paths."""
    path = path.partition("?")[0].rstrip("/")
    if path.startswith("/openai/deployments/"):
        return "/v1/" + path.split("/", 4)[4] if path.count("/") >= 4 else path
    # Azure's non-deployment endpoints (/openai/responses?api-version=...) have no version segment.
    path = path.removeprefix("/openai")
    return path if path.startswith("/v1/") else "/v1" + path


def _error(status: int, message: str, param: str | None) -> Reply:
    kind, code = _ERROR_TYPES.get(status, ("server_error", None))
    headers = _headers(JSON_CONTENT_TYPE)
    if status == 429:
        headers.update(RATE_LIMIT_HEADERS)
        headers["x-ratelimit-remaining-requests"] = "0"
    body = {"error": {"message": message, "type": kind, "param": param, "code": code}}
    return Reply(status, headers, encode_json(body))


def _headers(content_type: str) -> dict[str, str]:
    return {"content-type": content_type, "x-request-id": new_id("req_"), "openai-processing-ms": "1"}


def _service_tier(request: Mapping[str, Any]) -> str:
    tier = request.get("service_tier")
    return tier if isinstance(tier, str) and tier != "auto" else "default"


def _text_budget(limit: int | None, reasoning: int) -> int | None:
    return None if limit is None else max(0, limit - reasoning)


def _json_schema(output_format: object, model: str, chunks: int) -> Mapping[str, Any] | None:
    """The schema a response_format / text.format asks the answer to satisfy, None for prose."""
    if not isinstance(output_format, dict):
        return None
    if output_format.get("type") == "json_object":
        return json_object_schema(model, chunks)
    if output_format.get("type") == "json_schema":
        # Chat nests the schema under json_schema; Responses puts it in the format itself.
        holder = output_format.get("json_schema", output_format)
        schema = holder.get("schema") if isinstance(holder, dict) else None
        return schema if isinstance(schema, dict) else {"type": "object"}
    return None


def _tool_choice(choice: object) -> str:
    if isinstance(choice, str):
        return choice if choice in (AUTO, NONE, REQUIRED) else AUTO
    if isinstance(choice, dict):
        # Chat: {"type": "function", "function": {"name": ...}}; Responses: {"type": "function", "name": ...}.
        function = choice.get("function")
        name = function.get("name") if isinstance(function, dict) else choice.get("name")
        if isinstance(name, str):
            return name
    return AUTO


# --- chat completions ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChatDialect:
    """How an OpenAI-compatible provider's chat completions differ from OpenAI's on the wire."""

    # fields added to the usage object (Groq's timings)
    usage_extras: Mapping[str, Any] = field(default_factory=dict)
    # Streams: the fields that carry the usage on the last finish chunk, sent whether or not stream_options asks
    # (Mistral: {"usage": ...}; Groq: {"x_groq": {"usage": ...}}). None: OpenAI's include_usage chunk only.
    stream_usage: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    # Streams: each tool call in one delta with its whole arguments (Mistral), not as argument fragments
    whole_tool_calls: bool = False


OPENAI_CHAT = ChatDialect()


def chat_completion(request: dict[str, Any], directives: Directives, dialect: ChatDialect = OPENAI_CHAT) -> Reply:
    """POST /v1/chat/completions in OpenAI's format, or in an OpenAI-compatible provider's `dialect`."""
    model = required_string(request, "model")
    messages = required_objects(request, "messages")
    choices = optional_int(request, "n") or 1
    limit = optional_int(request, "max_completion_tokens") or optional_int(request, "max_tokens")
    texts = [content_text(message.get("content")) for message in messages]
    input_tokens = sum(map(count_words, texts))
    cached = sum(map(count_words, texts[:-1])) if request.get("prompt_cache_key") else 0
    reasoning = reasoning_tokens(request.get("reasoning_effort"))
    last_user = last_user_text(messages, texts)
    tools = [
        ToolSpec(tool["function"]["name"], tool["function"].get("parameters") or {})
        for tool in request.get("tools") or []
        if isinstance(tool, dict) and isinstance(tool.get("function"), dict) and "name" in tool["function"]
    ]
    calls = tools_to_call(
        tools, _tool_choice(request.get("tool_choice")), last_user, messages[-1].get("role") == "tool"
    )
    answer = compose_answer(
        model,
        directives.chunks,
        calls,
        _json_schema(request.get("response_format"), model, directives.chunks),
        _text_budget(limit, reasoning),
    )
    output_tokens = choices * answer.output_tokens + reasoning
    usage = {
        "prompt_tokens": input_tokens,
        "completion_tokens": output_tokens,
        "total_tokens": input_tokens + output_tokens,
        "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": reasoning,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
        **dialect.usage_extras,
    }
    envelope = {
        "id": new_id("chatcmpl-"),
        "created": int(time.time()),
        "model": response_model(model),
        "service_tier": _service_tier(request),
        "system_fingerprint": SYSTEM_FINGERPRINT,
    }
    finish_reason = "tool_calls" if answer.tool_calls else "length" if answer.truncated else "stop"
    if request.get("stream"):
        options = request.get("stream_options")
        include_usage = isinstance(options, dict) and bool(options.get("include_usage"))
        finish_fields = dialect.stream_usage(usage) if dialect.stream_usage is not None else {}
        chunks = _chat_chunks(
            envelope,
            answer,
            choices,
            finish_reason,
            usage if include_usage else None,
            finish_fields,
            dialect.whole_tool_calls,
        )
        return Reply(200, _headers(SSE_CONTENT_TYPE), ChunkStream(chunks))
    call_ids = [new_id("call_") for _ in answer.tool_calls]
    message: dict[str, Any] = {"role": "assistant", "content": None, "refusal": None, "annotations": []}
    if answer.tool_calls:
        message["tool_calls"] = [
            {"id": call_id, "type": "function", "function": {"name": call.name, "arguments": call.arguments}}
            for call_id, call in zip(call_ids, answer.tool_calls, strict=True)
        ]
    else:
        message["content"] = answer.text
    completion = {
        **envelope,
        "object": "chat.completion",
        "choices": [
            {"index": index, "message": message, "logprobs": None, "finish_reason": finish_reason}
            for index in range(choices)
        ],
        "usage": usage,
    }
    return Reply(200, _headers(JSON_CONTENT_TYPE), encode_json(completion))


def _chat_chunks(
    envelope: dict[str, Any],
    answer: Answer,
    choices: int,
    finish_reason: str,
    usage: dict[str, Any] | None,
    finish_fields: dict[str, Any],
    whole_tool_calls: bool,
) -> Iterator[bytes]:
    """The chunk sequence of the real API: role, content (or tool-call) deltas, finish, usage, [DONE]."""
    template = {**envelope, "object": "chat.completion.chunk"}
    if usage is not None:
        # With include_usage every chunk carries "usage": null until the last, choice-less one.
        template["usage"] = None

    # The envelope is the same in every chunk: encode it once, then splice each chunk's choice into it.
    opening = b"data: " + encode_json(template)[:-1] + b',"choices":['

    def chunk(index: int, delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}
        return opening + encode_json(choice) + b"]}\n\n"

    deltas: list[dict[str, Any]] = [{"role": "assistant", "content": None if answer.tool_calls else ""}]
    for position, (call, pieces) in enumerate(zip(answer.tool_calls, answer.tool_pieces, strict=True)):
        function = {"name": call.name, "arguments": call.arguments if whole_tool_calls else ""}
        deltas.append(
            {"tool_calls": [{"index": position, "id": new_id("call_"), "type": "function", "function": function}]}
        )
        if not whole_tool_calls:
            deltas.extend({"tool_calls": [{"index": position, "function": {"arguments": piece}}]} for piece in pieces)
    deltas.extend({"content": piece} for piece in answer.pieces)
    for delta in deltas:
        for index in range(choices):
            yield chunk(index, delta)
    for index in range(choices - 1 if finish_fields else choices):
        yield chunk(index, {}, finish_reason)
    if finish_fields:
        last = {"index": choices - 1, "delta": {}, "logprobs": None, "finish_reason": finish_reason}
        yield sse_event({**template, "choices": [last], **finish_fields})
    if usage is not None:
        yield sse_event({**template, "choices": [], "usage": usage})
    yield _DONE


# --- responses ----------------------------------------------------------------------------------------------


def _responses(request: dict[str, Any], directives: Directives) -> Reply:
    model = required_string(request, "model")
    items = _input_items(request.get("input"))
    instructions = request.get("instructions")
    limit = optional_int(request, "max_output_tokens")
    texts = [content_text(item.get("content", item.get("output"))) for item in items]
    input_tokens = count_words(instructions if isinstance(instructions, str) else "") + sum(map(count_words, texts))
    cached = input_tokens - count_words(texts[-1]) if request.get("prompt_cache_key") else 0
    reasoning_config = request.get("reasoning")
    effort = reasoning_config.get("effort") if isinstance(reasoning_config, dict) else None
    reasoning = reasoning_tokens(effort)
    last_user = last_user_text(items, texts)
    tools = [
        ToolSpec(tool["name"], tool.get("parameters") or {})
        for tool in request.get("tools") or []
        if isinstance(tool, dict) and tool.get("type") == "function" and "name" in tool
    ]
    answers_tool_result = items[-1].get("type") == "function_call_output"
    calls = tools_to_call(tools, _tool_choice(request.get("tool_choice")), last_user, answers_tool_result)
    text_config = request.get("text")
    output_format = text_config.get("format") if isinstance(text_config, dict) else None
    answer = compose_answer(
        model,
        directives.chunks,
        calls,
        _json_schema(output_format, model, directives.chunks),
        _text_budget(limit, reasoning),
    )
    output_tokens = answer.output_tokens + reasoning
    usage = {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": cached, "cache_write_tokens": 0},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": reasoning},
        "total_tokens": input_tokens + output_tokens,
    }
    created_at = int(time.time())
    status = "incomplete" if answer.truncated else "completed"
    response = {
        "id": new_id("resp_"),
        "object": "response",
        "created_at": created_at,
        "status": status,
        "completed_at": created_at,
        "error": None,
        "incomplete_details": {"reason": "max_output_tokens"} if answer.truncated else None,
        "instructions": instructions if isinstance(instructions, str) else None,
        "max_output_tokens": limit,
        "metadata": request.get("metadata") or {},
        "model": response_model(model),
        "output": _output_items(answer, reasoning, status),
        "parallel_tool_calls": request.get("parallel_tool_calls", True),
        "previous_response_id": request.get("previous_response_id"),
        "prompt_cache_key": request.get("prompt_cache_key"),
        "reasoning": {"effort": effort, "summary": None},
        "service_tier": _service_tier(request),
        "store": request.get("store", True),
        "temperature": request.get("temperature", 1.0),
        "text": {"format": output_format or {"type": "text"}, "verbosity": "medium"},
        "tool_choice": request.get("tool_choice", "auto"),
        "tools": [{"description": None, "strict": True, **tool} for tool in request.get("tools") or []],
        "top_p": request.get("top_p", 1.0),
        "truncation": request.get("truncation", "disabled"),
        "usage": usage,
        "user": request.get("user"),
    }
    if request.get("stream"):
        return Reply(200, _headers(SSE_CONTENT_TYPE), ChunkStream(_response_events(response, answer)))
    return Reply(200, _headers(JSON_CONTENT_TYPE), encode_json(response))


def _input_items(value: object) -> list[dict[str, Any]]:
    if isinstance(value, str) and value:
        return [{"type": "message", "role": "user", "content": value}]
    if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        return value
    raise InvalidRequest("'input' is required and must be a non-empty string or array of input items.", "input")


def _output_items(answer: Answer, reasoning: int, status: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    if reasoning:
        items.append({"id": new_id("rs_"), "type": "reasoning", "summary": []})
    items.extend(
        {
            "id": new_id("fc_"),
            "type": "function_call",
            "status": "completed",
            "call_id": new_id("call_"),
            "name": call.name,
            "arguments": call.arguments,
        }
        for call in answer.tool_calls
    )
    if not answer.tool_calls:
        part = {"type": "output_text", "text": answer.text, "annotations": [], "logprobs": []}
        items.append(
            {"id": new_id("msg_"), "type": "message", "status": status, "role": "assistant", "content": [part]}
        )
    return items


def _response_events(response: dict[str, Any], answer: Answer) -> Iterator[bytes]:
    """The real event sequence: created, in_progress, per output item added/deltas/done, completed."""
    sequence = 0

    def event(kind: str, **fields: Any) -> bytes:
        nonlocal sequence
        payload = {"type": kind, "sequence_number": sequence, **fields}
        sequence += 1
        return sse_event(payload, kind)

    in_flight = {**response, "status": "in_progress", "output": [], "usage": None, "completed_at": None}
    in_flight["incomplete_details"] = None
    yield event("response.created", response=in_flight)
    yield event("response.in_progress", response=in_flight)
    tool_pieces = iter(answer.tool_pieces)
    for index, item in enumerate(response["output"]):
        position = {"output_index": index, "item_id": item["id"]}
        if item["type"] == "message":
            yield event(
                "response.output_item.added", output_index=index, item={**item, "status": "in_progress", "content": []}
            )
            part = item["content"][0]
            yield event("response.content_part.added", **position, content_index=0, part={**part, "text": ""})
            for piece in answer.pieces:
                yield event("response.output_text.delta", **position, content_index=0, delta=piece, logprobs=[])
            yield event("response.output_text.done", **position, content_index=0, text=part["text"], logprobs=[])
            yield event("response.content_part.done", **position, content_index=0, part=part)
        elif item["type"] == "function_call":
            yield event(
                "response.output_item.added",
                output_index=index,
                item={**item, "status": "in_progress", "arguments": ""},
            )
            for piece in next(tool_pieces):
                yield event("response.function_call_arguments.delta", **position, delta=piece)
            yield event(
                "response.function_call_arguments.done", **position, name=item["name"], arguments=item["arguments"]
            )
        else:
            yield event("response.output_item.added", output_index=index, item=item)
        yield event("response.output_item.done", output_index=index, item=item)
    yield event(f"response.{response['status']}", response=response)


# --- embeddings ---------------------------------------------------------------------------------------------


def embeddings(request: dict[str, Any], directives: Directives) -> Reply:
    model = required_string(request, "model")
    inputs = request.get("input")
    if isinstance(inputs, str) or (isinstance(inputs, list) and inputs and isinstance(inputs[0], int)):
        inputs = [inputs]
    if not isinstance(inputs, list) or not inputs:
        raise InvalidRequest("'input' is required: a string, an array of strings or of token arrays.", "input")
    dimensions = optional_int(request, "dimensions") or EMBEDDING_DIMENSIONS.get(model, DEFAULT_EMBEDDING_DIMENSIONS)
    as_base64 = request.get("encoding_format") == "base64"
    data = []
    tokens = 0
    for index, item in enumerate(inputs):
        # Token arrays count one token per entry; text counts words.
        tokens += count_words(item) if isinstance(item, str) else len(item)
        vector = unit_vector(repr(item), dimensions)
        encoded: object = float32_base64(vector) if as_base64 else vector
        data.append({"object": "embedding", "index": index, "embedding": encoded})
    body = {
        "object": "list",
        "data": data,
        "model": model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
    return Reply(200, _headers(JSON_CONTENT_TYPE), encode_json(body))


_MALFORMED_EVENT = b"data: {malformed\n\n"
_CHAT_STREAM_ERROR = sse_event(
    {"error": {"message": STREAM_ERROR_MESSAGE, "type": "server_error", "param": None, "code": None}}
)
# Chat streams fail with an `error` object, which the SDK raises as APIError; Responses streams with a typed
# `error` event, which the SDK yields as ResponseErrorEvent.
CHAT_WIRE = WireFormat(
    error=_error,
    malformed_event=_MALFORMED_EVENT,
    stream_error_event=lambda delivered: _CHAT_STREAM_ERROR,
)
_RESPONSES_WIRE = WireFormat(
    error=_error,
    malformed_event=_MALFORMED_EVENT,
    stream_error_event=lambda delivered: sse_event(
        {
            "type": "error",
            "code": "server_error",
            "message": STREAM_ERROR_MESSAGE,
            "param": None,
            "sequence_number": delivered,
        },
        "error",
    ),
)
_ENDPOINTS: dict[str, tuple[Builder, WireFormat]] = {
    "/v1/chat/completions": (chat_completion, CHAT_WIRE),
    "/v1/responses": (_responses, _RESPONSES_WIRE),
    "/v1/embeddings": (embeddings, CHAT_WIRE),
}
