"""embed (EmbedResponse) and the legacy embeddings (EmbeddingsResponse: one vector, no counts)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from llmotel import semconv
from llmotel.core.adapter import Operation
from llmotel.core.call import Call, Request
from llmotel.providers.ollama.generation import PROVIDER, endpoint


class Embed(Operation):
    def __init__(self, method: str) -> None:
        # embed(model, input, truncate, options, keep_alive, dimensions) / embeddings(model, prompt, options, ...)
        self.positional = ("model", "input") if method == "embed" else ("model", "prompt")

    def request(self, instance: Any, kwargs: Mapping[str, Any]) -> Request:
        address, port = endpoint(instance)
        attributes: dict[str, Any] = {}
        dimensions = kwargs.get("dimensions")
        if isinstance(dimensions, int):
            attributes[semconv.GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = dimensions
        return Request("embeddings", PROVIDER, str(kwargs.get("model")), address, port, attributes)

    def response(self, call: Call, response: Any) -> None:
        vectors = getattr(response, "embeddings", None)
        if vectors is None:  # the legacy endpoint
            vector = response.embedding
        else:
            call.response_model = response.model
            if response.prompt_eval_count is not None:
                call.input_tokens = response.prompt_eval_count
            vector = vectors[0] if vectors else None
        if vector:
            call.response_attributes[semconv.GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = len(vector)
