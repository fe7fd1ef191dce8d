"""A local stand-in for the OpenAI and Anthropic HTTP APIs, for tests, examples, benchmarks and demos.

Stdlib only. See README.md beside this file for endpoints, token accounting and fault scenarios.
"""

from .anthropic_api import anthropic_response
from .body import ChunkStream, ConnectionCut, Reply
from .directives import CHUNKS_HEADER, DEFAULT_CHUNKS, SCENARIO_HEADER
from .openai_api import openai_response
from .routing import respond
from .server import RecordedRequest, RequestLog, StandinServer

__all__ = [
    "CHUNKS_HEADER",
    "DEFAULT_CHUNKS",
    "SCENARIO_HEADER",
    "ChunkStream",
    "ConnectionCut",
    "RecordedRequest",
    "Reply",
    "RequestLog",
    "StandinServer",
    "anthropic_response",
    "openai_response",
    "respond",
]
