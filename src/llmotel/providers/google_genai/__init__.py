"""Google GenAI (`google-genai` 3.x, `from google import genai`): models.generate_content, its stream and
embed_content, sync (`client.models`) and async (`client.aio.models`), on both backends: the Gemini API
(provider gcp.gemini) and Vertex AI (`vertexai=True`, provider gcp.vertex_ai).

Chats (`client.chats.create(...).send_message`) call models.generate_content, so each turn is one span. With
automatic function calling the span covers the SDK's whole loop (several model requests and the Python functions
it runs, each of those an execute_tool span: tools.py); see models.py. The SDK does not trace itself (checked 3.4.0).

error.type of an API error is Google's canonical status (`RESOURCE_EXHAUSTED`, `INVALID_ARGUMENT`, `UNAVAILABLE`):
the SDK raises one class for every 4xx (ClientError) and one for every 5xx (ServerError), so the class name alone
would not tell a rate limit from a bad request.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from llmotel.core.errors import ErrorCode
from llmotel.core.instrumentor import GenAIInstrumentor, Patch
from llmotel.providers.google_genai import tools
from llmotel.providers.google_genai.models import EmbedContent, GenerateContent

_MODELS = "google.genai.models"


def _status(exc: Any) -> str | None:
    status = getattr(exc, "status", None)
    return status if isinstance(status, str) and status else None


class GoogleGenAIInstrumentor(GenAIInstrumentor):
    scope = tools.SCOPE
    instruments = ("google-genai >= 3.0, < 4",)
    error_codes: ClassVar[Mapping[str, ErrorCode]] = {"google.genai.errors:APIError": _status}

    def patches(self) -> Sequence[Patch]:
        generate, stream, embed = GenerateContent(), GenerateContent(stream=True), EmbedContent()
        return [
            Patch(_MODELS, "Models.generate_content", generate),
            Patch(_MODELS, "AsyncModels.generate_content", generate, is_async=True),
            Patch(_MODELS, "Models.generate_content_stream", stream),
            # an async method whose result, once awaited, is the async iterator of chunks
            Patch(_MODELS, "AsyncModels.generate_content_stream", stream, is_async=True),
            Patch(_MODELS, "Models.embed_content", embed),
            Patch(_MODELS, "AsyncModels.embed_content", embed, is_async=True),
            *tools.helper_patches(self.telemetry),
        ]


__all__ = ["GoogleGenAIInstrumentor"]
