"""Groq (`groq` >= 1): chat.completions.create (plain and streamed) and embeddings.create, sync and async.

The groq SDK is Stainless-generated like openai's and its objects have openai's shapes, so the translation is the
OpenAI-compatible one (providers/openai_compatible.py). Groq's own: its usage timings (groq.usage.*), and a
stream's usage, which Groq sends unasked on the last chunk under `x_groq.usage` (or, with `stream_options`
passed through `extra_body`, as openai does: in `usage`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from llmotel import semconv
from llmotel.core.call import Call, Request
from llmotel.core.instrumentor import GenAIInstrumentor, Patch
from llmotel.providers import stainless
from llmotel.providers.openai_compatible import (
    PARAMETERS,
    CompatibleChat,
    CompatibleEmbeddings,
    chat_attributes,
    compatible_request,
    record_usage,
)

PROVIDER = "groq"
_CHAT = "groq.resources.chat.completions"
_EMBEDDINGS = "groq.resources.embeddings"
_TIMINGS = (
    ("queue_time", semconv.GROQ_USAGE_QUEUE_TIME),
    ("prompt_time", semconv.GROQ_USAGE_PROMPT_TIME),
    ("completion_time", semconv.GROQ_USAGE_COMPLETION_TIME),
)


class GroqChat(CompatibleChat):
    def request(self, instance: Any, kwargs: Mapping[str, Any]) -> Request:
        attributes = chat_attributes(kwargs, PARAMETERS)
        endpoint = stainless.endpoint(instance)
        return compatible_request(PROVIDER, kwargs, attributes, endpoint, stainless.raw_response_mode(kwargs))

    def chunk(self, call: Call, chunk: Any) -> None:
        super().chunk(call, chunk)
        extra = chunk.x_groq
        if extra is not None and extra.usage is not None:
            self.record_usage(call, extra.usage)

    def record_usage(self, call: Call, usage: Any) -> None:
        record_usage(call, usage)
        for field, attribute in _TIMINGS:
            value = getattr(usage, field, None)
            if value is not None:
                call.response_attributes[attribute] = value


class GroqEmbeddings(CompatibleEmbeddings):
    def request(self, instance: Any, kwargs: Mapping[str, Any]) -> Request:
        endpoint = stainless.endpoint(instance)
        return self.embeddings_request(PROVIDER, kwargs, endpoint, stainless.raw_response_mode(kwargs))


class GroqInstrumentor(GenAIInstrumentor):
    scope = "llmotel.groq"
    instruments = ("groq >= 1.0, < 2",)

    def patches(self) -> Sequence[Patch]:
        chat, embeddings = GroqChat(), GroqEmbeddings()
        return [
            Patch(_CHAT, "Completions.create", chat),
            Patch(_CHAT, "AsyncCompletions.create", chat, is_async=True),
            Patch(_EMBEDDINGS, "Embeddings.create", embeddings),
            Patch(_EMBEDDINGS, "AsyncEmbeddings.create", embeddings, is_async=True),
        ]


__all__ = ["GroqInstrumentor"]
