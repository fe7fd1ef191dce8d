"""One entry point for every stand-in request, used by the socket server and the in-memory transports alike."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from .anthropic_api import anthropic_response
from .bedrock_api import BEDROCK_PATH_PREFIX, bedrock_response
from .body import JSON_CONTENT_TYPE, Reply, encode_json
from .cohere_api import cohere_response
from .exchange import RequestBody
from .gemini_api import GEMINI_PATH_PREFIX, gemini_response
from .groq_api import GROQ_PATH_PREFIX, groq_response
from .mistral_api import MISTRAL_PATH_PREFIX, mistral_response
from .ollama_api import ollama_response
from .openai_api import openai_response

WireResponder = Callable[[str, RequestBody, Mapping[str, str]], Reply]

ANTHROPIC_PATH_PREFIX = "/v1/messages"

# Path prefix -> the wire format answering it, first match wins; anything else is answered as OpenAI (whose paths
# include Azure's /openai/... forms). One line per wire format.
ROUTES: tuple[tuple[str, WireResponder], ...] = (
    (ANTHROPIC_PATH_PREFIX, anthropic_response),
    (BEDROCK_PATH_PREFIX, bedrock_response),
    ("/v2/", cohere_response),
    ("/api/", ollama_response),
    (GEMINI_PATH_PREFIX, gemini_response),
    (GROQ_PATH_PREFIX, groq_response),
    (MISTRAL_PATH_PREFIX, mistral_response),
)


def respond(method: str, path: str, body: RequestBody, headers: Mapping[str, str]) -> Reply:
    """Route by path prefix (ROUTES), everything else to the OpenAI format."""
    if method != "POST":
        message = f"The stand-in answers POST only, not {method} {path}."
        return Reply(405, {"content-type": JSON_CONTENT_TYPE}, encode_json({"error": {"message": message}}))
    for prefix, wire_response in ROUTES:
        if path.startswith(prefix):
            return wire_response(path, body, headers)
    return openai_response(path, body, headers)
