"""embed: EmbedByTypeResponse (one list of vectors per requested embedding type)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from llmotel import semconv
from llmotel.core.adapter import Operation
from llmotel.core.call import Call, Request
from llmotel.providers.cohere.usage import PROVIDER, endpoint, record_usage


class Embed(Operation):
    def request(self, instance: Any, kwargs: Mapping[str, Any]) -> Request:
        address, port = endpoint(instance)
        attributes: dict[str, Any] = {}
        kinds = kwargs.get("embedding_types")
        if isinstance(kinds, (list, tuple)) and all(isinstance(kind, str) for kind in kinds):
            attributes[semconv.GEN_AI_REQUEST_ENCODING_FORMATS] = list(kinds)
        dimensions = kwargs.get("output_dimension")
        if isinstance(dimensions, int):
            attributes[semconv.GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = dimensions
        input_type = kwargs.get("input_type")
        if isinstance(input_type, str):
            attributes[semconv.COHERE_REQUEST_INPUT_TYPE] = input_type
        return Request("embeddings", PROVIDER, str(kwargs.get("model")), address, port, attributes)

    def response(self, call: Call, http_response: Any) -> None:
        response = http_response.data  # the raw client's HttpResponse, parsed already
        call.response_id = response.id
        record_usage(call, response.meta)
        embeddings = response.embeddings
        # binary/ubinary pack 8 dimensions per value and base64 is bytes: only these give the dimension count
        for vectors in (embeddings.float_, embeddings.int8, embeddings.uint8):
            if vectors:
                call.response_attributes[semconv.GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = len(vectors[0])
                break
