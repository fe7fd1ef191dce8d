"""The Groq wire format: OpenAI's chat completions and embeddings under /openai/v1, with Groq's usage.

Groq's usage adds its timings (queue, prompt, completion, total; seconds), and a stream reports it without being
asked: on the last chunk, the one with the finish reason, under `x_groq.usage` (`stream_options` is not needed).
Clients reach this format with `base_url=<server url>/groq`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .body import Reply
from .directives import Directives
from .exchange import Builder, RequestBody, new_id, serve
from .openai_api import CHAT_WIRE, ChatDialect, chat_completion, embeddings

GROQ_PATH_PREFIX = "/groq/"
# Fixed timings, so tests can predict them.
TIMINGS = {"queue_time": 0.0125, "prompt_time": 0.0025, "completion_time": 0.0075, "total_time": 0.01}

_GROQ_CHAT = ChatDialect(
    usage_extras=TIMINGS,
    stream_usage=lambda usage: {"x_groq": {"id": new_id("req_"), "usage": usage}},
)


def groq_response(path: str, body: RequestBody, headers: Mapping[str, str]) -> Reply:
    """Answer one POST under /groq/ (query string allowed); `headers` keys are lower-case."""
    endpoint = path.partition("?")[0].removeprefix(GROQ_PATH_PREFIX.rstrip("/")).rstrip("/")
    build = _ENDPOINTS.get(endpoint)
    if build is None:
        return CHAT_WIRE.error(404, f"Unknown request URL: POST {endpoint}. Please check the URL for typos.", None)
    return serve(build, body, headers, CHAT_WIRE)


def _chat(request: dict[str, Any], directives: Directives) -> Reply:
    return chat_completion(request, directives, _GROQ_CHAT)


_ENDPOINTS: dict[str, Builder] = {"/openai/v1/chat/completions": _chat, "/openai/v1/embeddings": embeddings}
