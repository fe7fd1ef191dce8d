"""Conventions shared by the Stainless-generated SDKs (openai, anthropic, ...)."""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import Any

RAW_RESPONSE_HEADER = "X-Stainless-Raw-Response"  # set by `.with_raw_response` ("raw") and `.with_streaming_response`


def raw_response_mode(kwargs: Mapping[str, Any]) -> str | None:
    headers = kwargs.get("extra_headers")
    if isinstance(headers, Mapping):
        mode = headers.get(RAW_RESPONSE_HEADER)
        return mode if isinstance(mode, str) else None
    return None


Endpoint = tuple[str | None, int | None]

# client -> (its base URL object, the endpoint parsed from it): parsing a URL on every call costs microseconds
_endpoints: weakref.WeakKeyDictionary[Any, tuple[Any, Endpoint]] = weakref.WeakKeyDictionary()


def endpoint(resource: Any) -> Endpoint:
    """(server.address, server.port) of the client behind an SDK resource: host and port only, never the URL."""
    client = getattr(resource, "_client", None)
    # The public base_url property costs microseconds per read; the attribute behind it tells whether it changed.
    current = getattr(client, "_base_url", None)
    try:
        cached_url, parsed = _endpoints[client]
        if current is not None and cached_url is current:
            return parsed
    except (KeyError, TypeError):  # not seen yet, or a client that cannot be weakly referenced
        pass
    url = getattr(client, "base_url", None)
    host = getattr(url, "host", None) or None
    port = getattr(url, "port", None)
    if host and port is None:
        port = 443 if getattr(url, "scheme", "https") == "https" else 80
    try:
        _endpoints[client] = (current, (host, port))
    except TypeError:
        pass
    return host, port
