"""What chat and embed share: the endpoint a client talks to, and Cohere's usage (token counts and billed units)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from llmotel import semconv
from llmotel.core.call import Call

PROVIDER = "cohere"
# The public methods pass every parameter on to the raw client, those the caller left out as the SDK's OMIT (`...`).
OMIT: Any = ...

_BILLED_UNITS = (
    ("input_tokens", semconv.COHERE_USAGE_BILLED_UNITS_INPUT_TOKENS),
    ("output_tokens", semconv.COHERE_USAGE_BILLED_UNITS_OUTPUT_TOKENS),
    ("search_units", semconv.COHERE_USAGE_BILLED_UNITS_SEARCH_UNITS),
    ("classifications", semconv.COHERE_USAGE_BILLED_UNITS_CLASSIFICATIONS),
)


def endpoint(client: Any) -> tuple[str | None, int | None]:
    """(server.address, server.port) of a V2Client: its base URL is a string, parsed once per distinct URL."""
    # ClientV2 holds the wrapper itself; the v1 client's `.v2` (a bare V2Client) only through its raw client
    wrapper = getattr(client, "_client_wrapper", None) or client._raw_client._client_wrapper
    return _parse(wrapper.get_base_url())


@lru_cache(maxsize=64)
def _parse(url: str) -> tuple[str | None, int | None]:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80 if parts.scheme == "http" else None)
    return parts.hostname, port


def record_usage(call: Call, usage: Any) -> None:
    """`usage` of a chat reply or `meta` of an embed reply: the token counts Cohere's model processed (its prompt
    template included) are semconv's; the billed units, what Cohere invoices, are kept beside them."""
    if usage is None:
        return
    tokens = usage.tokens
    billed = usage.billed_units
    if tokens is not None:
        if tokens.input_tokens is not None:
            call.input_tokens = int(tokens.input_tokens)
        if tokens.output_tokens is not None:
            call.output_tokens = int(tokens.output_tokens)
    elif billed is not None and billed.input_tokens is not None:  # embed reports billed units only
        call.input_tokens = int(billed.input_tokens)
    if usage.cached_tokens is not None:  # the prompt tokens that hit Cohere's cache: part of tokens.input_tokens
        call.cache_read_tokens = int(usage.cached_tokens)
    if billed is not None:
        for field, attribute in _BILLED_UNITS:
            value = getattr(billed, field, None)
            if value is not None:
                call.response_attributes[attribute] = int(value)
