"""Ollama (`ollama` 0.6): chat, generate, embed and the legacy embeddings, sync and async, streams included.

Provider value `ollama`: semconv has none for it. The module-level functions (`ollama.chat(...)`) are methods of a
default Client bound when the package is imported, so they are patched apart from the classes' methods (a bound
method calls the original function: one span per call either way). Names imported from the package before
instrumenting (`from ollama import chat`) keep the unpatched method.
"""

from __future__ import annotations

from collections.abc import Sequence

from llmotel.core.instrumentor import GenAIInstrumentor, Patch
from llmotel.providers.ollama.embed import Embed
from llmotel.providers.ollama.generation import Chat, Generate

_CLIENT = "ollama._client"


class OllamaInstrumentor(GenAIInstrumentor):
    scope = "llmotel.ollama"
    instruments = ("ollama >= 0.4, < 1",)

    def patches(self) -> Sequence[Patch]:
        operations = {
            "chat": Chat(),
            "generate": Generate(),
            "embed": Embed("embed"),
            "embeddings": Embed("embeddings"),
        }
        patches = []
        for method, operation in operations.items():
            patches += [
                Patch(_CLIENT, f"Client.{method}", operation),
                Patch(_CLIENT, f"AsyncClient.{method}", operation, is_async=True),
                Patch("ollama", method, operation),
            ]
        return patches


__all__ = ["OllamaInstrumentor"]
