"""The provider, model and server LiteLLM really calls, resolved by LiteLLM's own routing rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

# LiteLLM's provider name -> semconv's gen_ai.provider.name; a name not listed is kept as LiteLLM spells it (groq,
# deepseek, perplexity and cohere are already semconv's; ollama and the others have no semconv value).
_SEMCONV_PROVIDERS = {
    "text-completion-openai": "openai",
    "anthropic_text": "anthropic",
    "bedrock": "aws.bedrock",
    "vertex_ai": "gcp.vertex_ai",
    "vertex_ai_beta": "gcp.vertex_ai",
    "gemini": "gcp.gemini",
    "cohere_chat": "cohere",
    "mistral": "mistral_ai",
    "azure": "azure.ai.openai",
    "azure_text": "azure.ai.openai",
    "azure_ai": "azure.ai.inference",
    "ollama_chat": "ollama",
    "xai": "x_ai",
    "watsonx": "ibm.watsonx.ai",
    "watsonx_text": "ibm.watsonx.ai",
}
_UNROUTABLE = "litellm"  # LiteLLM could not tell the provider either (the call fails the same way)


@dataclass(frozen=True, slots=True)
class Upstream:
    provider: str
    model: str  # without LiteLLM's provider prefix
    server_address: str | None
    server_port: int | None


def upstream(kwargs: Mapping[str, Any]) -> Upstream:
    """The upstream of a litellm.completion/embedding call, from its keyword arguments."""
    provider = kwargs.get("custom_llm_provider")
    api_base = kwargs.get("api_base") or kwargs.get("base_url")
    return resolve(
        str(kwargs.get("model")),
        provider if isinstance(provider, str) else None,
        api_base if isinstance(api_base, str) else None,
    )


# LiteLLM's resolution costs ~10 us per call (string rules over ~150 providers); calls repeat a few models.
@lru_cache(maxsize=256)
def resolve(model: str, custom_llm_provider: str | None, api_base: str | None) -> Upstream:
    from litellm import get_llm_provider  # imported late: litellm takes seconds to import

    try:
        bare_model, provider, _, resolved_base = get_llm_provider(
            model, custom_llm_provider=custom_llm_provider, api_base=api_base
        )
    except Exception:
        return Upstream(custom_llm_provider or _UNROUTABLE, model, *_server(api_base))
    # LiteLLM knows the base URL of some providers it routes (groq, deepseek, ...), none for openai or anthropic.
    return Upstream(_SEMCONV_PROVIDERS.get(provider, provider), bare_model, *_server(resolved_base or api_base))


def _server(url: str | None) -> tuple[str | None, int | None]:
    """(server.address, server.port): host and port only, never the URL."""
    if not url:
        return None, None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None, None
    if parts.hostname and port is None:
        port = 80 if parts.scheme == "http" else 443
    return parts.hostname, port if parts.hostname else None
