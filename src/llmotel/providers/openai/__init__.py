"""OpenAI (`openai` >= 3): chat completions, the Responses API and embeddings, sync and async; Azure clients too."""

from __future__ import annotations

from collections.abc import Sequence

from llmotel.core.instrumentor import GenAIInstrumentor, Patch
from llmotel.providers.openai.chat import ChatCompletions
from llmotel.providers.openai.embeddings import Embeddings
from llmotel.providers.openai.responses import Responses

_CHAT = "openai.resources.chat.completions.completions"
_RESPONSES = "openai.resources.responses.responses"
_EMBEDDINGS = "openai.resources.embeddings"


class OpenAIInstrumentor(GenAIInstrumentor):
    scope = "llmotel.openai"
    instruments = ("openai >= 3.0, < 4",)

    def patches(self) -> Sequence[Patch]:
        chat, responses, embeddings = ChatCompletions(), Responses(), Embeddings()
        # `parse` posts directly instead of calling `create`, so it is patched too. The `.stream()` helpers call
        # `create`, which starts the call; they are patched only so that closing the helper ends it.
        return [
            Patch(_CHAT, "Completions.create", chat),
            Patch(_CHAT, "Completions.parse", chat),
            Patch(_CHAT, "AsyncCompletions.create", chat, is_async=True),
            Patch(_CHAT, "AsyncCompletions.parse", chat, is_async=True),
            Patch(_RESPONSES, "Responses.create", responses),
            Patch(_RESPONSES, "Responses.parse", responses),
            Patch(_RESPONSES, "AsyncResponses.create", responses, is_async=True),
            Patch(_RESPONSES, "AsyncResponses.parse", responses, is_async=True),
            Patch(_CHAT, "Completions.stream", None, stream_manager=True),
            Patch(_CHAT, "AsyncCompletions.stream", None, is_async=True, stream_manager=True),
            Patch(_RESPONSES, "Responses.stream", None, stream_manager=True),
            Patch(_RESPONSES, "AsyncResponses.stream", None, is_async=True, stream_manager=True),
            Patch(_EMBEDDINGS, "Embeddings.create", embeddings),
            Patch(_EMBEDDINGS, "AsyncEmbeddings.create", embeddings, is_async=True),
        ]


__all__ = ["OpenAIInstrumentor"]
