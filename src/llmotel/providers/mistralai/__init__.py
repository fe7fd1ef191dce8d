"""Mistral (`mistralai` >= 2: `from mistralai.client import Mistral`): chat.complete, chat.stream (an EventStream
of CompletionEvent, whose `data` is the chunk), fim.complete / fim.stream (text_completion) and embeddings.create,
each sync and `_async`.

Mistral's objects are close to openai's, so the translation is the OpenAI-compatible one
(providers/openai_compatible.py). Mistral's own: `random_seed`, the server URL in the SDK configuration (or a
call's `server_url`), usage details the SDK does not model (cached and reasoning tokens arrive as plain dicts), and
`chat.parse*` going through `complete`/`stream`, which are the patched methods. Every HTTP error is the SDK's
`SDKError` (422: `HTTPValidationError`), so that is the error.type.

mistralai 3.x can trace itself (its TracingHook), but only when asked (`MISTRAL_SDK_TELEMETRY` or the client's
`telemetry` setting), so by default a call makes one span, ours; opted in, the SDK's span nests under it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from llmotel import semconv
from llmotel.core.adapter import Parameters
from llmotel.core.call import Call, InputContent, Request
from llmotel.core.content import text_part
from llmotel.core.instrumentor import GenAIInstrumentor, Patch
from llmotel.providers.openai_compatible import (
    CompatibleChat,
    CompatibleEmbeddings,
    chat_attributes,
    compatible_request,
)

PROVIDER = "mistral_ai"
_CHAT = "mistralai.client.chat"
_EMBEDDINGS = "mistralai.client.embeddings"
_FIM = "mistralai.client.fim"
PARAMETERS: Parameters = {
    "max_tokens": semconv.GEN_AI_REQUEST_MAX_TOKENS,
    "temperature": semconv.GEN_AI_REQUEST_TEMPERATURE,
    "top_p": semconv.GEN_AI_REQUEST_TOP_P,
    "top_k": semconv.GEN_AI_REQUEST_TOP_K,
    "frequency_penalty": semconv.GEN_AI_REQUEST_FREQUENCY_PENALTY,
    "presence_penalty": semconv.GEN_AI_REQUEST_PRESENCE_PENALTY,
    "random_seed": semconv.GEN_AI_REQUEST_SEED,
    "stop": semconv.GEN_AI_REQUEST_STOP_SEQUENCES,
}


def endpoint(resource: Any, kwargs: Mapping[str, Any]) -> tuple[str | None, int | None]:
    """(server.address, server.port) of the call's `server_url`, else of the client's configured server."""
    url = kwargs.get("server_url")
    if not isinstance(url, str):
        url, _ = resource.sdk_configuration.get_server_details()
    return _host_and_port(url)


@lru_cache(maxsize=64)
def _host_and_port(url: str) -> tuple[str | None, int | None]:
    parts = urlsplit(url)
    return parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)


def _count(details: Any, name: str) -> int | None:
    value = details.get(name) if isinstance(details, Mapping) else getattr(details, name, None)
    return value if isinstance(value, int) else None


class MistralChat(CompatibleChat):
    operation = "chat"

    def __init__(self, stream: bool) -> None:
        self.stream = stream  # .stream / .stream_async always stream; .complete never does

    def request(self, instance: Any, kwargs: Mapping[str, Any]) -> Request:
        attributes = chat_attributes(kwargs, PARAMETERS)
        where = endpoint(instance, kwargs)
        return compatible_request(PROVIDER, kwargs, attributes, where, stream=self.stream, operation=self.operation)

    def is_stream(self, request: Request, result: Any) -> bool:
        return request.stream

    def chunk(self, call: Call, event: Any) -> None:
        super().chunk(call, event.data)

    def record_usage(self, call: Call, usage: Any) -> None:
        if usage is None:
            return
        call.input_tokens = usage.prompt_tokens  # cached tokens are part of the prompt count, as with openai
        call.output_tokens = usage.completion_tokens
        extra = usage.additional_properties or {}
        cached = _count(extra.get("prompt_tokens_details"), "cached_tokens")
        if cached is not None:
            call.cache_read_tokens = cached
        reasoning = _count(extra.get("completion_tokens_details"), "reasoning_tokens")
        if reasoning is not None:
            call.reasoning_tokens = reasoning


class MistralFim(MistralChat):
    """fim.complete / fim.stream (fill in the middle): a chat completion's shapes for a prompt and its suffix."""

    operation = "text_completion"

    def input_content(self, kwargs: Mapping[str, Any]) -> InputContent:
        texts = [kwargs.get("prompt"), kwargs.get("suffix")]  # the code before the gap, then the code after it
        parts = [text_part(text) for text in texts if isinstance(text, str)]
        return InputContent(messages=[{"role": "user", "parts": parts}])


class MistralEmbeddings(CompatibleEmbeddings):
    dimensions_keyword = "output_dimension"

    def request(self, instance: Any, kwargs: Mapping[str, Any]) -> Request:
        return self.embeddings_request(PROVIDER, kwargs, endpoint(instance, kwargs), None)


class MistralAIInstrumentor(GenAIInstrumentor):
    scope = "llmotel.mistralai"
    instruments = ("mistralai >= 2.0, < 4",)

    def patches(self) -> Sequence[Patch]:
        complete, stream, embeddings = MistralChat(stream=False), MistralChat(stream=True), MistralEmbeddings()
        fim_complete, fim_stream = MistralFim(stream=False), MistralFim(stream=True)
        return [
            Patch(_CHAT, "Chat.complete", complete),
            Patch(_CHAT, "Chat.complete_async", complete, is_async=True),
            Patch(_CHAT, "Chat.stream", stream),
            Patch(_CHAT, "Chat.stream_async", stream, is_async=True),
            Patch(_FIM, "Fim.complete", fim_complete),
            Patch(_FIM, "Fim.complete_async", fim_complete, is_async=True),
            Patch(_FIM, "Fim.stream", fim_stream),
            Patch(_FIM, "Fim.stream_async", fim_stream, is_async=True),
            Patch(_EMBEDDINGS, "Embeddings.create", embeddings),
            Patch(_EMBEDDINGS, "Embeddings.create_async", embeddings, is_async=True),
        ]


__all__ = ["MistralAIInstrumentor"]
