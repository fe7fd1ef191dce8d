"""LiteLLM (`litellm` >= 1.83): completion, acompletion (plain and streamed) and embedding, aembedding.

The span names the upstream LiteLLM routes to (`anthropic/claude-haiku-4-5` -> provider anthropic, model
claude-haiku-4-5), resolved by LiteLLM's own `get_llm_provider`. When LiteLLM calls an SDK llmotel also
instruments (the openai client for `openai/...` models), that inner call is not recorded again: one logical call,
one span, also when LiteLLM retries (`num_retries` calls `litellm.acompletion` again inside the call).

The module attributes are patched (`litellm.completion`, ...), which is where user code and LiteLLM's Router call.
A name bound before the patch (`from litellm import completion` after `import litellm` but before instrument())
keeps the unpatched function; patching the defining module `litellm.main` would not change that (the importer
holds the function object itself), so it is not patched. Instrumenting before litellm is imported (as
opentelemetry-instrument does) patches it on import, so such names are patched too.
"""

from __future__ import annotations

from collections.abc import Sequence

from llmotel.core.instrumentor import GenAIInstrumentor, Patch
from llmotel.providers.litellm.operations import Completion, Embedding


class LiteLLMInstrumentor(GenAIInstrumentor):
    scope = "llmotel.litellm"
    instruments = ("litellm >= 1.83, < 2",)

    def patches(self) -> Sequence[Patch]:
        completion, embedding = Completion(), Embedding()
        return [
            Patch("litellm", "completion", completion),
            Patch("litellm", "acompletion", completion, is_async=True),
            Patch("litellm", "embedding", embedding),
            Patch("litellm", "aembedding", embedding, is_async=True),
        ]


__all__ = ["LiteLLMInstrumentor"]
