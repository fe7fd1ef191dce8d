"""What every OpenAI operation shares: the endpoint a client talks to, service tier, output type."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from llmotel import semconv
from llmotel.core.call import Call, Request
from llmotel.providers import stainless
from llmotel.providers.openai_compatible import output_type


def endpoint(resource: Any) -> tuple[str, str | None, int | None]:
    """(provider, server.address, server.port); Azure clients are their own provider."""
    client_class = type(getattr(resource, "_client", None)).__name__
    provider = "azure.ai.openai" if client_class in ("AzureOpenAI", "AsyncAzureOpenAI") else "openai"
    return (provider, *stainless.endpoint(resource))


def record_service(call: Call, response: Any) -> None:
    tier = getattr(response, "service_tier", None)
    if tier:
        call.response_attributes[semconv.OPENAI_RESPONSE_SERVICE_TIER] = tier
    fingerprint = getattr(response, "system_fingerprint", None)
    if fingerprint:
        call.response_attributes[semconv.OPENAI_RESPONSE_SYSTEM_FINGERPRINT] = fingerprint


def chat_request(
    instance: Any, kwargs: Mapping[str, Any], attributes: dict[str, Any], api_type: str, output: str | None
) -> Request:
    """The Request of a chat-like call (chat completions, responses) once its API-specific attributes are set."""
    provider, address, port = endpoint(instance)
    if output:
        attributes[semconv.GEN_AI_OUTPUT_TYPE] = output
    tier = kwargs.get("service_tier")
    if isinstance(tier, str) and tier != "auto":
        attributes[semconv.OPENAI_REQUEST_SERVICE_TIER] = tier
    attributes[semconv.OPENAI_API_TYPE] = api_type
    stream = kwargs.get("stream") is True
    if stream:
        attributes[semconv.GEN_AI_REQUEST_STREAM] = True
    model = str(kwargs.get("model"))
    return Request("chat", provider, model, address, port, attributes, stream, stainless.raw_response_mode(kwargs))


__all__ = ["chat_request", "endpoint", "output_type", "record_service"]
