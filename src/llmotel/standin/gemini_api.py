"""The Gemini wire format the google-genai SDK speaks to both backends, under the stand-in prefix `/gemini`.

Gemini API: `/gemini/{v1,v1beta}/models/{model}:{method}`; Vertex AI:
`/gemini/{v1,v1beta1}/projects/{p}/locations/{l}/publishers/google/models/{model}:{method}`. Methods:
`generateContent`, `streamGenerateContent?alt=sse`, `embedContent`, `batchEmbedContents`, and Vertex's `predict`
(text-embedding models). The SDK writes some nested keys in snake_case (`thinking_config` fields, function
declarations' `parameters_json_schema`), so both spellings are read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from .accounting import count_words, last_user_text, word_pieces
from .answer import Answer, compose_answer, json_object_schema
from .body import JSON_CONTENT_TYPE, SSE_CONTENT_TYPE, ChunkStream, Reply, encode_json, sse_event
from .directives import Directives
from .exchange import RATE_LIMIT_HEADERS, Builder, InvalidRequest, RequestBody, WireFormat, new_id, serve
from .tools import AUTO, NONE, REQUIRED, ToolSpec, tools_to_call
from .vectors import unit_vector

GEMINI_PATH_PREFIX = "/gemini"
_PATH = re.compile(
    r"/gemini/v1(?:beta1?)?/(?P<vertex>projects/[^/]+/locations/[^/]+/publishers/google/)?models/"
    r"(?P<model>[^/:]+):(?P<method>[A-Za-z]+)"
)
_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "NOT_IMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
# Thinking (`thinkingConfig` with a non-zero budget, a level, or includeThoughts): these words are the thoughts
# tokens, reported apart from candidatesTokenCount; the text itself is sent only when includeThoughts is true.
THOUGHTS_TEXT = "First I work out what the user asks for, then I answer it briefly."
# `cachedContent` names a cache the stand-in does not keep: it counts this many tokens, part of promptTokenCount.
CACHED_CONTENT_TOKENS = 32
EMBEDDING_DIMENSIONS = 768


def gemini_response(path: str, body: RequestBody, headers: Mapping[str, str]) -> Reply:
    """Answer one POST to a Gemini API or Vertex AI path (query string allowed); `headers` keys are lower-case."""
    match = _PATH.fullmatch(path.partition("?")[0])
    builder = _METHODS.get(match["method"]) if match else None
    if match is None or builder is None:
        return _error(404, f"Not found: POST {path}", None)
    try:
        request = dict(body) if isinstance(body, Mapping) else json.loads(body)
    except ValueError:
        return _error(400, "The request body is not valid JSON.", None)
    if not isinstance(request, dict):
        return _error(400, "The request body must be a JSON object.", None)
    # The model travels in the path; the shared steps read `standin-<directive>` model names from the body.
    request["model"] = match["model"]
    request["_vertex"] = bool(match["vertex"])  # not a Gemini field: which backend's reply shape to give
    return serve(builder, request, headers, _WIRE)


def _error(status: int, message: str, param: str | None) -> Reply:
    headers = {"content-type": JSON_CONTENT_TYPE}
    if status == 429:
        headers.update(RATE_LIMIT_HEADERS)
    if param is not None:
        message = f"Invalid value at '{param}': {message}"
    error = {"code": status, "message": message, "status": _STATUS_NAMES.get(status, "UNKNOWN")}
    return Reply(status, headers, encode_json({"error": error}))


def _get(mapping: object, camel: str) -> Any:
    """A field in either spelling the SDK sends (`includeThoughts` / `include_thoughts`)."""
    if not isinstance(mapping, Mapping):
        return None
    if camel in mapping:
        return mapping[camel]
    return mapping.get(re.sub(r"(?<!^)([A-Z])", r"_\1", camel).lower())


def _part_text(part: Mapping[str, Any]) -> str:
    if isinstance(part.get("text"), str):
        return str(part["text"])
    response = _get(part, "functionResponse")
    if isinstance(response, Mapping):
        return json.dumps(response.get("response"))  # a tool result counts as the words of its JSON
    return ""


def _content_text(content: object) -> str:
    parts = _get(content, "parts") or []
    return " ".join(filter(None, (_part_text(part) for part in parts if isinstance(part, Mapping))))


def _contents(request: Mapping[str, Any]) -> list[dict[str, Any]]:
    contents = request.get("contents")
    if not isinstance(contents, list) or not contents or not all(isinstance(item, dict) for item in contents):
        raise InvalidRequest("contents must not be empty.", "contents")
    return contents


def _tool_choice(request: Mapping[str, Any]) -> str:
    config = _get(_get(request, "toolConfig"), "functionCallingConfig")
    mode = _get(config, "mode")
    if mode == "NONE":
        return NONE
    if mode == "ANY":
        allowed = _get(config, "allowedFunctionNames")
        return str(allowed[0]) if isinstance(allowed, list) and len(allowed) == 1 else REQUIRED
    return AUTO


def _tools(request: Mapping[str, Any]) -> list[ToolSpec]:
    specs = []
    for tool in request.get("tools") or []:
        for declaration in _get(tool, "functionDeclarations") or []:
            schema = _get(declaration, "parametersJsonSchema") or _get(declaration, "parameters") or {}
            specs.append(ToolSpec(declaration["name"], _lower_types(schema)))
    return specs


def _lower_types(schema: Any) -> Any:
    """Gemini's OpenAPI-style schemas spell types in capitals (`STRING`); the shared sampler reads JSON Schema."""
    if isinstance(schema, dict):
        return {
            key: value.lower() if key == "type" and isinstance(value, str) else _lower_types(value)
            for key, value in schema.items()
        }
    if isinstance(schema, list):
        return [_lower_types(item) for item in schema]
    return schema


def _thinking(generation: Mapping[str, Any]) -> tuple[int, bool]:
    """(thoughts tokens, whether the thought text is sent)."""
    config = _get(generation, "thinkingConfig")
    if not isinstance(config, Mapping):
        return 0, False
    include = _get(config, "includeThoughts") is True
    thinks = include or _get(config, "thinkingBudget") not in (None, 0) or _get(config, "thinkingLevel") is not None
    return (count_words(THOUGHTS_TEXT), include) if thinks else (0, False)


def _json_schema(generation: Mapping[str, Any], model: str, chunks: int) -> Mapping[str, Any] | None:
    if _get(generation, "responseMimeType") != "application/json":
        return None
    schema = _get(generation, "responseJsonSchema") or _get(generation, "responseSchema")
    return _lower_types(schema) if isinstance(schema, dict) else json_object_schema(model, chunks)


def _generate(request: dict[str, Any], directives: Directives, stream: bool = False) -> Reply:
    model = request["model"]
    contents = _contents(request)
    generation = _get(request, "generationConfig") or {}
    texts = [_content_text(content) for content in contents]
    prompt_tokens = sum(map(count_words, texts)) + count_words(_content_text(_get(request, "systemInstruction")))
    cached = CACHED_CONTENT_TOKENS if _get(request, "cachedContent") else 0
    last = contents[-1]
    answers_tool_result = any(_get(part, "functionResponse") for part in last.get("parts") or [])
    calls = tools_to_call(_tools(request), _tool_choice(request), last_user_text(contents, texts), answers_tool_result)
    thoughts, include_thoughts = _thinking(generation)
    budget = _get(generation, "maxOutputTokens")
    answer = compose_answer(model, directives.chunks, calls, _json_schema(generation, model, directives.chunks), budget)
    candidate_count = _get(generation, "candidateCount") or 1
    usage: dict[str, Any] = {
        "promptTokenCount": prompt_tokens + cached,
        "candidatesTokenCount": answer.output_tokens * candidate_count,
        "totalTokenCount": prompt_tokens + cached + answer.output_tokens * candidate_count + thoughts,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": prompt_tokens + cached}],
    }
    if cached:
        usage["cachedContentTokenCount"] = cached
    if thoughts:
        usage["thoughtsTokenCount"] = thoughts
    finish = "MAX_TOKENS" if answer.truncated else "STOP"
    response: dict[str, Any] = {
        "candidates": [],
        "usageMetadata": usage,
        "modelVersion": model,
        "responseId": new_id(""),
    }
    if request["_vertex"]:
        response["createTime"] = "2026-11-22T00:00:00.000000Z"
    thought_parts = [{"text": THOUGHTS_TEXT, "thought": True}] if include_thoughts else []
    answer_parts = _answer_parts(answer)
    for index in range(candidate_count):
        content = {"role": "model", "parts": thought_parts + answer_parts}
        response["candidates"].append({"content": content, "finishReason": finish, "index": index})
    if stream:
        return Reply(200, {"content-type": SSE_CONTENT_TYPE}, ChunkStream(_chunks(response, answer, thought_parts)))
    return Reply(200, {"content-type": JSON_CONTENT_TYPE}, encode_json(response))


def _stream(request: dict[str, Any], directives: Directives) -> Reply:
    return _generate(request, directives, stream=True)


def _answer_parts(answer: Answer) -> list[dict[str, Any]]:
    if answer.tool_calls:
        return [{"functionCall": {"name": call.name, "args": json.loads(call.arguments)}} for call in answer.tool_calls]
    return [{"text": answer.text}]


def _chunks(response: dict[str, Any], answer: Answer, thought_parts: list[dict[str, Any]]) -> Iterator[bytes]:
    """Thoughts, then one chunk per word (or one per function call); every chunk carries the prompt count, the last
    one the finish reason and the full usage."""
    pieces: list[list[dict[str, Any]]] = [[part] for part in thought_parts]
    if answer.tool_calls:
        pieces += [[part] for part in _answer_parts(answer)]
    else:
        pieces += [[{"text": piece}] for piece in word_pieces(answer.text)] or [[{"text": ""}]]
    usage = response["usageMetadata"]
    partial_usage = {"promptTokenCount": usage["promptTokenCount"], "totalTokenCount": usage["promptTokenCount"]}
    for position, parts in enumerate(pieces):
        final = position == len(pieces) - 1
        candidates = []
        for candidate in response["candidates"]:
            chunk_candidate: dict[str, Any] = {
                "content": {"role": "model", "parts": parts},
                "index": candidate["index"],
            }
            if final:
                chunk_candidate["finishReason"] = candidate["finishReason"]
            candidates.append(chunk_candidate)
        chunk = {**response, "candidates": candidates, "usageMetadata": usage if final else partial_usage}
        yield sse_event(chunk)


def _embed_texts(request: Mapping[str, Any]) -> list[str]:
    if isinstance(request.get("instances"), list):  # Vertex :predict
        return [str(instance.get("content", "")) for instance in request["instances"]]
    if isinstance(request.get("requests"), list):  # :batchEmbedContents
        return [_content_text(_get(item, "content")) for item in request["requests"]]
    if "content" in request:
        return [_content_text(request["content"])]
    raise InvalidRequest("content is required.", "content")


def _embed(request: dict[str, Any], directives: Directives) -> Reply:
    texts = _embed_texts(request)
    # Vertex :predict puts it under `parameters`, Vertex embed requests under `embedContentConfig`.
    first = request["requests"][0] if request.get("requests") else request
    dimensions = (
        _get(request.get("parameters"), "outputDimensionality")
        or _get(first, "outputDimensionality")
        or _get(_get(first, "embedContentConfig"), "outputDimensionality")
        or EMBEDDING_DIMENSIONS
    )
    vectors = [unit_vector(text, int(dimensions)) for text in texts]
    tokens = sum(map(count_words, texts))
    body: dict[str, Any]
    if "instances" in request:
        predictions = [
            {"embeddings": {"values": vector, "statistics": {"token_count": count_words(text), "truncated": False}}}
            for text, vector in zip(texts, vectors, strict=True)
        ]
        body = {"predictions": predictions, "metadata": {"billableCharacterCount": sum(map(len, texts))}}
    elif "requests" in request:
        body = {"embeddings": [{"values": vector} for vector in vectors]}
    else:
        body = {"embedding": {"values": vectors[0]}}
    if request["_vertex"] and "instances" not in request:
        body["usageMetadata"] = {"promptTokenCount": tokens, "totalTokenCount": tokens}
    return Reply(200, {"content-type": JSON_CONTENT_TYPE}, encode_json(body))


_METHODS: dict[str, Builder] = {
    "generateContent": _generate,
    "streamGenerateContent": _stream,
    "embedContent": _embed,
    "batchEmbedContents": _embed,
    "predict": _embed,
}
# Gemini's mid-stream failure: a `data:` event holding the error object (the SDK raises it as an APIError).
_STREAM_ERROR = sse_event({"error": {"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}})
_WIRE = WireFormat(
    error=_error,
    malformed_event=b"data: {malformed\n\n",
    stream_error_event=lambda delivered: _STREAM_ERROR,
)
