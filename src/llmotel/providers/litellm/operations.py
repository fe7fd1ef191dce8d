"""litellm.completion / embedding and their async twins. LiteLLM answers in OpenAI's shapes whatever the upstream,
so the OpenAI-compatible translation reads them; what differs is who the upstream is, and Anthropic's cache writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from llmotel import semconv
from llmotel.core.adapter import Operation
from llmotel.core.call import Call, Request
from llmotel.providers.litellm.upstream import upstream
from llmotel.providers.openai_compatible import PARAMETERS, CompatibleChat, chat_attributes, compatible_request

_PARAMETERS = {**PARAMETERS, "top_k": semconv.GEN_AI_REQUEST_TOP_K}  # LiteLLM passes top_k on to the providers


class Completion(CompatibleChat):
    positional = ("model", "messages")

    def request(self, instance: Any, kwargs: Mapping[str, Any]) -> Request:
        target = upstream(kwargs)
        endpoint = (target.server_address, target.server_port)
        request = compatible_request(target.provider, kwargs, chat_attributes(kwargs, _PARAMETERS), endpoint)
        request.model = target.model
        return request

    def is_stream(self, request: Request, result: Any) -> bool:
        return request.stream and type(result).__name__ == "CustomStreamWrapper"

    def chunk(self, call: Call, chunk: Any) -> None:
        # LiteLLM's chunks carry `usage` as a pydantic extra, on the usage chunk only. Read from the extras: asking
        # a pydantic model for an absent attribute raises inside pydantic, microseconds per chunk.
        extra = chunk.model_extra
        super().chunk(call, chunk if extra and extra.get("usage") is not None else _NoUsage(chunk))

    def record_usage(self, call: Call, usage: Any) -> None:
        super().record_usage(call, usage)
        # Anthropic's cache writes, which LiteLLM keeps beside OpenAI's fields (its prompt_tokens include them)
        written = getattr(usage, "cache_creation_input_tokens", None)
        if written is not None:
            call.cache_write_tokens = written


class _NoUsage:
    """A stream chunk as the OpenAI-compatible translation reads it, with `usage` None where LiteLLM leaves it out."""

    __slots__ = ("_chunk",)
    usage = None

    def __init__(self, chunk: Any) -> None:
        self._chunk = chunk

    def __getattr__(self, name: str) -> Any:
        return getattr(self._chunk, name)


class Embedding(Operation):
    positional = ("model", "input")

    def request(self, instance: Any, kwargs: Mapping[str, Any]) -> Request:
        target = upstream(kwargs)
        attributes: dict[str, Any] = {}
        encoding = kwargs.get("encoding_format")
        if isinstance(encoding, str):
            attributes[semconv.GEN_AI_REQUEST_ENCODING_FORMATS] = [encoding]
        dimensions = kwargs.get("dimensions")
        if isinstance(dimensions, int):
            attributes[semconv.GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = dimensions
        return Request(
            "embeddings", target.provider, target.model, target.server_address, target.server_port, attributes
        )

    def response(self, call: Call, response: Any) -> None:
        call.response_model = response.model
        usage = getattr(response, "usage", None)
        if usage is not None:
            call.input_tokens = usage.prompt_tokens
        if response.data:
            first = response.data[0]  # LiteLLM keeps OpenAI's items as dicts
            vector = first.get("embedding") if isinstance(first, Mapping) else getattr(first, "embedding", None)
            if isinstance(vector, list):
                call.response_attributes[semconv.GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = len(vector)
