"""The Mistral wire format: /v1/chat/completions, /v1/fim/completions and /v1/embeddings, close to OpenAI's.

What differs: a stream always reports usage, in the last chunk (the one with the finish reason), without
`stream_options`, and sends each tool call whole in one delta; embeddings take `output_dimension` (default 1024)
and answer with an `id`; errors are `{"object": "error", "message", "type", "param", "code"}`, and a body that fails
validation gets 422 with FastAPI's `{"detail": [...]}`, which the SDK raises as HTTPValidationError. Clients reach
this format with `server_url=<server url>/mistral`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .body import JSON_CONTENT_TYPE, Reply, encode_json, sse_event
from .directives import Directives
from .exchange import (
    RATE_LIMIT_HEADERS,
    Builder,
    RequestBody,
    WireFormat,
    new_id,
    optional_int,
    required_string,
    serve,
)
from .openai_api import STREAM_ERROR_MESSAGE, ChatDialect, chat_completion, embeddings

MISTRAL_PATH_PREFIX = "/mistral/"
EMBEDDING_DIMENSIONS = 1024  # mistral-embed's

_MISTRAL_CHAT = ChatDialect(stream_usage=lambda usage: {"usage": usage}, whole_tool_calls=True)
_ERROR_TYPES = {400: "invalid_request_error", 401: "unauthorized", 404: "not_found", 429: "rate_limited"}


def mistral_response(path: str, body: RequestBody, headers: Mapping[str, str]) -> Reply:
    """Answer one POST under /mistral/ (query string allowed); `headers` keys are lower-case."""
    endpoint = path.partition("?")[0].removeprefix(MISTRAL_PATH_PREFIX.rstrip("/")).rstrip("/")
    build = _ENDPOINTS.get(endpoint)
    if build is None:
        return _error(404, "Not Found", None)
    return serve(build, body, headers, _WIRE)


def _error(status: int, message: str, param: str | None) -> Reply:
    headers = {"content-type": JSON_CONTENT_TYPE, "mistral-correlation-id": new_id("")}
    if status == 400 and param is not None:  # a field the schema refuses: Mistral's FastAPI validation answers 422
        detail = [{"type": "value_error", "loc": ["body", param], "msg": message, "input": None}]
        return Reply(422, headers, encode_json({"detail": detail}))
    if status == 429:
        headers.update(RATE_LIMIT_HEADERS)
    kind = _ERROR_TYPES.get(status, "internal_server_error" if status >= 500 else "invalid_request_error")
    body = {"object": "error", "message": message, "type": kind, "param": param, "code": str(status)}
    return Reply(status, headers, encode_json(body))


def _chat(request: dict[str, Any], directives: Directives) -> Reply:
    if request.get("tool_choice") == "any":  # Mistral's name for OpenAI's "required"
        request = {**request, "tool_choice": "required"}
    return chat_completion(request, directives, _MISTRAL_CHAT)


def _fim(request: dict[str, Any], directives: Directives) -> Reply:
    """Fill in the middle, answered as a chat turn whose message is the prompt and the suffix."""
    prompt = required_string(request, "prompt")
    suffix = request.get("suffix")
    text = f"{prompt} {suffix}" if isinstance(suffix, str) else prompt
    return _chat({**request, "messages": [{"role": "user", "content": text}]}, directives)


def _embeddings(request: dict[str, Any], directives: Directives) -> Reply:
    dimensions = optional_int(request, "output_dimension") or EMBEDDING_DIMENSIONS
    reply = embeddings({**request, "dimensions": dimensions}, directives)
    assert isinstance(reply.body, bytes)
    return reply._replace(body=encode_json({"id": new_id(""), **json.loads(reply.body)}))


_WIRE = WireFormat(
    error=_error,
    malformed_event=b"data: {malformed\n\n",
    stream_error_event=lambda delivered: sse_event(
        {"object": "error", "message": STREAM_ERROR_MESSAGE, "type": "internal_server_error", "param": None}
    ),
)
_ENDPOINTS: dict[str, Builder] = {
    "/v1/chat/completions": _chat,
    "/v1/fim/completions": _fim,
    "/v1/embeddings": _embeddings,
}
