"""The Ollama wire format: POST /api/chat, /api/generate (JSON, or NDJSON streams), /api/embed, /api/embeddings."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from typing import Any

from .accounting import content_text, count_words, last_user_text, word_pieces
from .answer import Answer, compose_answer, json_object_schema
from .body import JSON_CONTENT_TYPE, ChunkStream, Reply, encode_json
from .directives import Directives
from .exchange import Builder, InvalidRequest, RequestBody, WireFormat, required_objects, required_string, serve
from .tools import AUTO, NONE, ToolSpec, tools_to_call
from .vectors import unit_vector

NDJSON_CONTENT_TYPE = "application/x-ndjson"
# `think: true` (or an effort level) answers this first, in `thinking`; Ollama counts it in eval_count and reports no
# separate reasoning count.
THINKING_TEXT = "Let me think about how to answer this request step by step."
EMBEDDING_DIMENSIONS = 768
STREAM_ERROR_MESSAGE = "Stand-in scenario error-event: the model runner stopped while streaming."
# The durations Ollama reports, fixed (nanoseconds): only their presence matters to a client.
_TIMINGS = {"total_duration": 2_000_000, "load_duration": 100_000, "prompt_eval_duration": 500_000}


def ollama_response(path: str, body: RequestBody, headers: Mapping[str, str]) -> Reply:
    """Answer one POST to an Ollama /api/ path; `headers` keys are lower-case."""
    endpoint = _ENDPOINTS.get(path.partition("?")[0].rstrip("/"))
    if endpoint is None:
        return _error(404, f"404 page not found: POST {path}", None)
    return serve(endpoint, body, headers, _WIRE)


def _error(status: int, message: str, param: str | None) -> Reply:
    if param is not None:
        message = f"{param}: {message}"
    return Reply(status, {"content-type": JSON_CONTENT_TYPE}, encode_json({"error": message}))


def _line(value: Any) -> bytes:
    return encode_json(value) + b"\n"


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())


def _thinking(request: Mapping[str, Any]) -> str:
    think = request.get("think")
    return THINKING_TEXT if think is True or isinstance(think, str) else ""


def _json_schema(output_format: object, model: str, chunks: int) -> Mapping[str, Any] | None:
    if output_format == "json":
        return json_object_schema(model, chunks)
    return output_format if isinstance(output_format, dict) else None


def _budget(request: Mapping[str, Any], thinking: str) -> int | None:
    options = request.get("options")
    limit = options.get("num_predict") if isinstance(options, dict) else None
    if limit is None or not isinstance(limit, int) or limit < 0:  # -1: no limit
        return None
    return limit - count_words(thinking)


def _reply(
    request: Mapping[str, Any],
    model: str,
    input_tokens: int,
    answer: Answer,
    thinking: str,
    whole: dict[str, Any],
    pieces: list[dict[str, Any]],
    last: dict[str, Any],
) -> Reply:
    """`whole`: the answer's fields in a plain reply; streamed, `pieces` are the parts' fields before the `last`."""
    stats = {
        "done": True,
        "done_reason": "length" if answer.truncated else "stop",
        **_TIMINGS,
        "prompt_eval_count": input_tokens,
        "eval_count": answer.output_tokens + count_words(thinking),
        "eval_duration": 1_000_000,
    }
    if request.get("stream", True) is False:  # the API streams unless told not to
        body = {"model": model, "created_at": _now(), **whole, **stats}
        return Reply(200, {"content-type": JSON_CONTENT_TYPE}, encode_json(body))
    return Reply(200, {"content-type": NDJSON_CONTENT_TYPE}, ChunkStream(_parts(model, pieces, last, stats)))


def _parts(model: str, pieces: list[dict[str, Any]], final: dict[str, Any], stats: dict[str, Any]) -> Iterator[bytes]:
    created = _now()
    for piece in pieces:
        yield _line({"model": model, "created_at": created, **piece, "done": False})
    yield _line({"model": model, "created_at": created, **final, **stats})


def _chat(request: dict[str, Any], directives: Directives) -> Reply:
    model = required_string(request, "model")
    messages = required_objects(request, "messages")
    texts = [content_text(message.get("content")) for message in messages]
    tools = [
        ToolSpec(tool["function"]["name"], tool["function"].get("parameters") or {})
        for tool in request.get("tools") or []
        if isinstance(tool, dict) and isinstance(tool.get("function"), dict) and "name" in tool["function"]
    ]
    # Ollama has no tool_choice: the model calls a tool the last user message names
    calls = tools_to_call(
        tools, AUTO if tools else NONE, last_user_text(messages, texts), messages[-1]["role"] == "tool"
    )
    thinking = _thinking(request)
    schema = _json_schema(request.get("format"), model, directives.chunks)
    answer = compose_answer(model, directives.chunks, calls, schema, _budget(request, thinking))
    message: dict[str, Any] = {"role": "assistant", "content": answer.text}
    if thinking:
        message["thinking"] = thinking
    tool_calls = [{"function": {"name": call.name, "arguments": json.loads(call.arguments)}} for call in calls]
    if tool_calls:
        message["tool_calls"] = tool_calls
    pieces: list[dict[str, Any]] = [
        {"message": {"role": "assistant", "content": "", "thinking": piece}} for piece in word_pieces(thinking)
    ]
    pieces += [{"message": {"role": "assistant", "content": piece}} for piece in answer.pieces]
    if tool_calls:  # Ollama streams tool calls whole, in one part
        pieces.append({"message": {"role": "assistant", "content": "", "tool_calls": tool_calls}})
    last = {"message": {"role": "assistant", "content": ""}}
    input_tokens = sum(map(count_words, texts))
    return _reply(request, model, input_tokens, answer, thinking, {"message": message}, pieces, last)


def _generate(request: dict[str, Any], directives: Directives) -> Reply:
    model = required_string(request, "model")
    prompt = request.get("prompt")
    if not isinstance(prompt, str):
        raise InvalidRequest("'prompt' is required here (loading a model with an empty prompt is not modelled).")
    thinking = _thinking(request)
    schema = _json_schema(request.get("format"), model, directives.chunks)
    answer = compose_answer(model, directives.chunks, [], schema, _budget(request, thinking))
    words = count_words(prompt) + count_words(str(request.get("system") or ""))
    context = list(range(1, words + 1))  # the conversation's token ids, for a follow-up call
    whole: dict[str, Any] = {"response": answer.text, "context": context}
    if thinking:
        whole["thinking"] = thinking
    pieces: list[dict[str, Any]] = [{"response": "", "thinking": piece} for piece in word_pieces(thinking)]
    pieces += [{"response": piece} for piece in answer.pieces]
    return _reply(request, model, words, answer, thinking, whole, pieces, {"response": "", "context": context})


def _embed(request: dict[str, Any], directives: Directives) -> Reply:
    model = required_string(request, "model")
    inputs = request.get("input")
    inputs = [inputs] if isinstance(inputs, str) else inputs
    if not isinstance(inputs, list) or not inputs or not all(isinstance(text, str) for text in inputs):
        raise InvalidRequest("'input' is required: a string or an array of strings.")
    dimensions = request.get("dimensions") or EMBEDDING_DIMENSIONS
    body = {
        "model": model,
        "embeddings": [unit_vector(text, dimensions) for text in inputs],
        **_TIMINGS,
        "prompt_eval_count": sum(map(count_words, inputs)),
    }
    return Reply(200, {"content-type": JSON_CONTENT_TYPE}, encode_json(body))


def _embeddings(request: dict[str, Any], directives: Directives) -> Reply:
    """The legacy endpoint: one prompt, one vector, no counts."""
    required_string(request, "model")
    prompt = request.get("prompt")
    if not isinstance(prompt, str):
        raise InvalidRequest("'prompt' is required.")
    return Reply(
        200, {"content-type": JSON_CONTENT_TYPE}, encode_json({"embedding": unit_vector(prompt, EMBEDDING_DIMENSIONS)})
    )


_ENDPOINTS: dict[str, Builder] = {
    "/api/chat": _chat,
    "/api/generate": _generate,
    "/api/embed": _embed,
    "/api/embeddings": _embeddings,
}
# A runner failing mid-stream sends one `{"error": ...}` line (the SDK raises it as ResponseError).
_WIRE = WireFormat(
    error=_error,
    malformed_event=b"{malformed\n",
    stream_error_event=lambda delivered: _line({"error": STREAM_ERROR_MESSAGE}),
)
