"""What every OpenAI operation shares: the endpoint a client talks to, usage, and unwrapping raw responses."""

from __future__ import annotations

from typing import Any

from llmotel import semconv
from llmotel.core.call import Call

RAW_RESPONSE_CLASSES = ("LegacyAPIResponse",)  # `.with_raw_response`: parse() is cached, the caller gets our object


def endpoint(resource: Any) -> tuple[str, str | None, int | None]:
    """(provider, server.address, server.port) of the client behind an SDK resource (host and port only)."""
    client = getattr(resource, "_client", None)
    url = getattr(client, "base_url", None)
    host = getattr(url, "host", None) or None
    port = getattr(url, "port", None)
    if host and port is None:
        port = 443 if getattr(url, "scheme", "https") == "https" else 80
    provider = "azure.ai.openai" if type(client).__name__.startswith(("AzureOpenAI", "AsyncAzureOpenAI")) else "openai"
    return provider, host, port


def unwrap_response(result: Any) -> Any:
    """The parsed model of a result; None for `.with_streaming_response`, whose body the caller reads lazily."""
    name = type(result).__name__
    if name in RAW_RESPONSE_CLASSES:
        return result.parse()
    if name in ("APIResponse", "AsyncAPIResponse"):
        return None
    return result


def record_service(call: Call, response: Any) -> None:
    tier = getattr(response, "service_tier", None)
    if tier:
        call.response_attributes[semconv.OPENAI_RESPONSE_SERVICE_TIER] = tier
    fingerprint = getattr(response, "system_fingerprint", None)
    if fingerprint:
        call.response_attributes[semconv.OPENAI_RESPONSE_SYSTEM_FINGERPRINT] = fingerprint


def request_service_tier(kwargs: Any, attributes: dict[str, Any]) -> None:
    tier = kwargs.get("service_tier")
    if isinstance(tier, str) and tier != "auto":
        attributes[semconv.OPENAI_REQUEST_SERVICE_TIER] = tier


def output_type(response_format: Any) -> str | None:
    """gen_ai.output.type from a response_format (dict, or a pydantic class given to `parse`)."""
    if isinstance(response_format, dict):
        kind = response_format.get("type")
        return "json" if kind in ("json_schema", "json_object") else "text" if kind == "text" else None
    if isinstance(response_format, type):
        return "json"
    return None
