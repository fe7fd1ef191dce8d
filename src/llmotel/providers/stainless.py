"""Conventions shared by the Stainless-generated SDKs (openai, anthropic, ...)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

RAW_RESPONSE_HEADER = "X-Stainless-Raw-Response"  # set by `.with_raw_response` ("raw") and `.with_streaming_response`


def raw_response_mode(kwargs: Mapping[str, Any]) -> str | None:
    headers = kwargs.get("extra_headers")
    if isinstance(headers, Mapping):
        mode = headers.get(RAW_RESPONSE_HEADER)
        return mode if isinstance(mode, str) else None
    return None


def endpoint(resource: Any) -> tuple[str | None, int | None]:
    """(server.address, server.port) of the client behind an SDK resource: host and port only, never the URL."""
    client = getattr(resource, "_client", None)
    url = getattr(client, "base_url", None)
    host = getattr(url, "host", None) or None
    port = getattr(url, "port", None)
    if host and port is None:
        port = 443 if getattr(url, "scheme", "https") == "https" else 80
    return host, port
