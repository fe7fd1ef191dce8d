"""embeddings.create: CreateEmbeddingResponse."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from llmotel import semconv
from llmotel.core.adapter import Operation
from llmotel.core.call import Call, Request
from llmotel.providers.openai.common import endpoint
from llmotel.providers.stainless import raw_response_mode


class Embeddings(Operation):
    def request(self, instance: Any, kwargs: Mapping[str, Any]) -> Request:
        provider, address, port = endpoint(instance)
        attributes: dict[str, Any] = {}
        encoding = kwargs.get("encoding_format")
        if isinstance(encoding, str):
            attributes[semconv.GEN_AI_REQUEST_ENCODING_FORMATS] = [encoding]
        dimensions = kwargs.get("dimensions")
        if isinstance(dimensions, int):
            attributes[semconv.GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = dimensions
        return Request(
            "embeddings",
            provider,
            str(kwargs.get("model")),
            address,
            port,
            attributes,
            False,
            raw_response_mode(kwargs),
        )

    def response(self, call: Call, response: Any) -> None:
        call.response_model = response.model
        if response.usage is not None:
            call.input_tokens = response.usage.prompt_tokens
        if response.data and isinstance(response.data[0].embedding, list):
            call.response_attributes[semconv.GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = len(response.data[0].embedding)
