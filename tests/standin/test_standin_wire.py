"""The plain response functions: every body and event validates strictly against the SDKs' own models."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anthropic.types
import openai.types
import openai.types.chat
import openai.types.responses
import pydantic
import pytest

from llmotel.standin import ChunkStream, ConnectionCut, Reply, anthropic_response, openai_response, respond

HEADERS: dict[str, str] = {}
CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Use get_weather please"}]}
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
]
RESPONSE_TOOLS = [{"type": "function", "name": "get_weather", "parameters": {"type": "object", "properties": {}}}]
MESSAGE = {"model": "claude-haiku-4-5", "max_tokens": 50, "messages": [{"role": "user", "content": "Use get_weather"}]}
ANTHROPIC_TOOLS = [
    {"name": "get_weather", "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}
]


def events(reply: Reply) -> Iterator[tuple[str | None, Any]]:
    """(event name, parsed data) of each SSE event; the OpenAI `[DONE]` sentinel as the string."""
    assert isinstance(reply.body, ChunkStream)
    assert reply.headers["content-type"].startswith("text/event-stream")
    for chunk in reply.body:
        assert chunk.endswith(b"\n\n")
        fields = dict(line.split(": ", 1) for line in chunk.decode().strip().split("\n"))
        data = fields["data"]
        yield fields.get("event"), data if data == "[DONE]" else json.loads(data)


def body(reply: Reply) -> Any:
    assert isinstance(reply.body, bytes)
    assert reply.headers["content-type"] == "application/json"
    return json.loads(reply.body)


@pytest.mark.parametrize("extra", [{}, {"tools": TOOLS}, {"n": 2, "response_format": {"type": "json_object"}}])
def test_chat_bodies_and_chunks_validate(extra: dict[str, Any]) -> None:
    request = {**CHAT, **extra}
    completion = openai.types.chat.ChatCompletion.model_validate(
        body(openai_response("/v1/chat/completions", request, HEADERS))
    )
    streamed = list(
        events(
            openai_response(
                "/v1/chat/completions", {**request, "stream": True, "stream_options": {"include_usage": True}}, HEADERS
            )
        )
    )

    assert completion.usage is not None
    assert streamed[-1] == (None, "[DONE]")
    chunks = [openai.types.chat.ChatCompletionChunk.model_validate(data) for _, data in streamed[:-1]]
    assert chunks[-1].usage == completion.usage


@pytest.mark.parametrize(
    "extra", [{}, {"tools": RESPONSE_TOOLS}, {"reasoning": {"effort": "minimal"}}, {"max_output_tokens": 2}]
)
def test_responses_bodies_and_events_validate(extra: dict[str, Any]) -> None:
    request = {"model": "gpt-4.1", "input": "Use get_weather now", **extra}
    response = openai.types.responses.Response.model_validate(body(openai_response("/v1/responses", request, HEADERS)))
    adapter: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(openai.types.responses.ResponseStreamEvent)
    streamed = [
        (name, adapter.validate_python(data))
        for name, data in events(openai_response("/v1/responses", {**request, "stream": True}, HEADERS))
    ]

    assert all(name == event.type for name, event in streamed)
    assert streamed[-1][1].response.usage == response.usage
    assert response.model == "gpt-4.1-2025-04-14"


def test_embeddings_body_validates() -> None:
    result = openai.types.CreateEmbeddingResponse.model_validate(
        body(openai_response("/v1/embeddings", {"model": "text-embedding-3-small", "input": "a b"}, HEADERS))
    )

    assert result.usage.prompt_tokens == 2


@pytest.mark.parametrize(
    "extra", [{}, {"tools": ANTHROPIC_TOOLS}, {"max_tokens": 3}, {"thinking": {"type": "enabled", "budget_tokens": 9}}]
)
def test_anthropic_bodies_and_events_validate(extra: dict[str, Any]) -> None:
    request = {**MESSAGE, **extra}
    message = anthropic.types.Message.model_validate(body(anthropic_response("/v1/messages", request, HEADERS)))
    adapter: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(anthropic.types.RawMessageStreamEvent)
    streamed = list(events(anthropic_response("/v1/messages?beta=true", {**request, "stream": True}, HEADERS)))

    names = [name for name, _ in streamed]
    assert names[:3] == ["message_start", "content_block_start", "ping"]
    assert names[-2:] == ["message_delta", "message_stop"]
    parsed = [adapter.validate_python(data) for name, data in streamed if name != "ping"]
    assert parsed[-2].delta.stop_reason == message.stop_reason
    assert parsed[-2].usage.output_tokens == message.usage.output_tokens


@pytest.mark.parametrize(
    ("status", "provider_type"),
    [
        (400, "invalid_request_error"),
        (404, "not_found_error"),
        (429, "rate_limit_error"),
        (529, "overloaded_error"),
        (502, "api_error"),
    ],
)
def test_anthropic_error_bodies(status: int, provider_type: str) -> None:
    reply = anthropic_response("/v1/messages", MESSAGE, {"x-standin-scenario": f"error-{status}"})

    assert reply.status == status
    assert body(reply)["error"]["type"] == provider_type
    assert reply.headers["request-id"] == body(reply)["request_id"]


def test_openai_error_body_and_retry_headers() -> None:
    reply = openai_response("/v1/chat/completions", CHAT, {"x-standin-scenario": "error-429"})

    assert reply.status == 429
    assert body(reply)["error"] == {
        "message": "Stand-in scenario error-429.",
        "type": "requests",
        "param": None,
        "code": "rate_limit_exceeded",
    }
    assert (reply.headers["retry-after"], reply.headers["retry-after-ms"]) == ("1", "20")


def test_once_errors_only_the_first_attempt() -> None:
    scenario = {"x-standin-scenario": "error-500-once"}

    assert openai_response("/v1/chat/completions", CHAT, scenario).status == 500
    assert openai_response("/v1/chat/completions", CHAT, {**scenario, "x-stainless-retry-count": "1"}).status == 200


@pytest.mark.parametrize(
    ("request_body", "field"),
    [
        ({"messages": CHAT["messages"]}, "model"),
        ({"model": "gpt-4o-mini", "messages": []}, "messages"),
        ({**CHAT, "n": 0}, "n"),
        ({**CHAT, "tools": TOOLS, "tool_choice": {"type": "function", "function": {"name": "nope"}}}, "tool_choice"),
    ],
)
def test_invalid_requests_name_the_field(request_body: dict[str, Any], field: str) -> None:
    reply = openai_response("/v1/chat/completions", request_body, HEADERS)

    assert reply.status == 400
    assert body(reply)["error"]["param"] == field


def test_missing_max_tokens_and_bad_json_are_bad_requests() -> None:
    missing = anthropic_response("/v1/messages", {k: v for k, v in MESSAGE.items() if k != "max_tokens"}, HEADERS)
    not_json = anthropic_response("/v1/messages", b"{not json", HEADERS)

    assert missing.status == 400 and "max_tokens" in body(missing)["error"]["message"]
    assert not_json.status == 400 and "not valid JSON" in body(not_json)["error"]["message"]


def test_bad_chunks_header_names_the_header() -> None:
    reply = openai_response("/v1/chat/completions", CHAT, {"x-standin-chunks": "many"})

    assert reply.status == 400
    assert "x-standin-chunks" in body(reply)["error"]["message"]


def test_routing_and_azure_paths() -> None:
    azure = openai_response("/openai/deployments/dep/chat/completions?api-version=2025-01-01", CHAT, HEADERS)
    azure_v1 = openai_response("/openai/v1/chat/completions", CHAT, HEADERS)
    routed = respond("POST", "/v1/messages", MESSAGE, HEADERS)

    assert (azure.status, azure_v1.status) == (200, 200)
    assert body(routed)["type"] == "message"
    assert openai_response("/v1/unknown", CHAT, HEADERS).status == 404
    assert respond("GET", "/v1/models", b"", HEADERS).status == 405


def test_cut_stream_raises_after_k_chunks_and_keeps_the_terminator() -> None:
    reply = openai_response("/v1/chat/completions", {**CHAT, "stream": True}, {"x-standin-scenario": "cut-after-3"})
    assert isinstance(reply.body, ChunkStream)
    received: list[bytes] = []

    with pytest.raises(ConnectionCut):
        for chunk in reply.body:
            received.append(chunk)

    assert len(received) == 3 and b"[DONE]" not in b"".join(received)


def test_bodies_are_deterministic_apart_from_ids_and_time() -> None:
    def stable(reply: Reply) -> Any:
        data = body(reply)
        for key in ("id", "created"):
            data.pop(key)
        return data

    first = openai_response("/v1/chat/completions", CHAT, HEADERS)
    second = openai_response("/v1/chat/completions", CHAT, HEADERS)

    assert stable(first) == stable(second)
    assert body(first)["id"] != body(second)["id"]
