"""embeddings.create: CreateEmbeddingResponse."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from llmotel.core.call import Request
from llmotel.providers.openai.common import endpoint
from llmotel.providers.openai_compatible import CompatibleEmbeddings
from llmotel.providers.stainless import raw_response_mode


class Embeddings(CompatibleEmbeddings):
    def request(self, instance: Any, kwargs: Mapping[str, Any]) -> Request:
        provider, address, port = endpoint(instance)
        return self.embeddings_request(provider, kwargs, (address, port), raw_response_mode(kwargs))
