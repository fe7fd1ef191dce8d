"""One entry point for every stand-in request, used by the socket server and the in-memory transports alike."""

from __future__ import annotations

from collections.abc import Mapping

from .anthropic_api import anthropic_response
from .body import JSON_CONTENT_TYPE, Reply, encode_json
from .exchange import RequestBody
from .openai_api import openai_response

ANTHROPIC_PATH_PREFIX = "/v1/messages"


def respond(method: str, path: str, body: RequestBody, headers: Mapping[str, str]) -> Reply:
    """Route by path: /v1/messages... to the Anthropic format, everything else to the OpenAI format."""
    if method != "POST":
        message = f"The stand-in answers POST only, not {method} {path}."
        return Reply(405, {"content-type": JSON_CONTENT_TYPE}, encode_json({"error": {"message": message}}))
    if path.startswith(ANTHROPIC_PATH_PREFIX):
        return anthropic_response(path, body, headers)
    return openai_response(path, body, headers)
