"""The Cohere v2 wire format through the real cohere client: chat, chat_stream events, tools, thinking, embed,
faults."""

from __future__ import annotations

import base64
import json
import struct
from collections.abc import Iterator
from typing import Any

import cohere
import httpx
import pytest

from llmotel.standin import StandinServer
from llmotel.standin.cohere_api import EMBEDDING_DIMENSIONS, PROMPT_TEMPLATE_TOKENS, THINKING_TEXT

MODEL = "command-a-03-2025"
REPLY = f"Hello from the llmotel stand-in model {MODEL}"
MESSAGES = [{"role": "user", "content": "Say hello to the tests"}]
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
TOOL_MESSAGES = [{"role": "user", "content": "Use get_weather for Paris"}]


@pytest.fixture
def client(server: StandinServer) -> Iterator[cohere.ClientV2]:
    yield cohere.ClientV2(api_key="standin-key", base_url=server.url, max_retries=0)


def scenario(directive: str) -> Any:
    return {"additional_headers": {"x-standin-scenario": directive}}


def test_chat(client: cohere.ClientV2, server: StandinServer) -> None:
    reply = client.chat(model=MODEL, messages=MESSAGES)
    assert server.requests[-1].path == "/v2/chat"
    assert reply.finish_reason == "COMPLETE"
    assert reply.message.content[0].text == REPLY
    assert reply.message.tool_calls is None
    usage = reply.usage
    assert usage.billed_units.input_tokens == 5
    assert usage.tokens.input_tokens == 5 + PROMPT_TEMPLATE_TOKENS
    assert usage.billed_units.output_tokens == usage.tokens.output_tokens == 7
    assert usage.cached_tokens == 0


def test_follow_up_turn_reads_the_cache(client: cohere.ClientV2) -> None:
    reply = client.chat(
        model=MODEL,
        messages=[*MESSAGES, {"role": "assistant", "content": "Hello tests"}, {"role": "user", "content": "Bye now"}],
    )
    assert reply.usage.cached_tokens == 7
    assert reply.usage.billed_units.input_tokens == 9


def test_chat_stream_events(client: cohere.ClientV2) -> None:
    events = list(client.chat_stream(model=MODEL, messages=MESSAGES))
    kinds = [event.type for event in events]
    assert kinds == ["message-start", "content-start", *["content-delta"] * 7, "content-end", "message-end"]
    assert events[0].id == events[-1].id
    text = "".join(event.delta.message.content.text for event in events if event.type == "content-delta")
    assert text == REPLY
    end = events[-1].delta
    assert end.finish_reason == "COMPLETE"
    assert end.usage == client.chat(model=MODEL, messages=MESSAGES).usage


def test_max_tokens(client: cohere.ClientV2) -> None:
    reply = client.chat(model=MODEL, messages=MESSAGES, max_tokens=3)
    assert reply.finish_reason == "MAX_TOKENS"
    assert reply.message.content[0].text == "Hello from the"
    assert reply.usage.tokens.output_tokens == 3


@pytest.mark.parametrize("stream", [False, True], ids=["chat", "chat_stream"])
def test_tool_call(client: cohere.ClientV2, stream: bool) -> None:
    if stream:
        events = list(client.chat_stream(model=MODEL, messages=TOOL_MESSAGES, tools=[WEATHER_TOOL]))
        kinds = [event.type for event in events]
        assert kinds[0] == "message-start" and kinds[-1] == "message-end"
        assert kinds.count("tool-call-start") == kinds.count("tool-call-end") == 1
        assert "content-start" not in kinds
        plan = "".join(event.delta.message.tool_plan for event in events if event.type == "tool-plan-delta")
        start = next(event for event in events if event.type == "tool-call-start").delta.message.tool_calls
        name, call_id = start.function.name, start.id
        arguments = "".join(
            event.delta.message.tool_calls.function.arguments for event in events if event.type == "tool-call-delta"
        )
        reason = events[-1].delta.finish_reason
    else:
        reply = client.chat(model=MODEL, messages=TOOL_MESSAGES, tools=[WEATHER_TOOL])
        (call,) = reply.message.tool_calls
        plan, name, call_id, arguments, reason = (
            reply.message.tool_plan,
            call.function.name,
            call.id,
            call.function.arguments,
            reply.finish_reason,
        )
    assert plan == "I will call get_weather."
    assert name == "get_weather" and call_id.startswith("get_weather_")
    assert json.loads(arguments) == {"city": "standin"}
    assert reason == "TOOL_CALL"


def test_tool_choice_and_tool_result_turn(client: cohere.ClientV2) -> None:
    forced = client.chat(model=MODEL, messages=MESSAGES, tools=[WEATHER_TOOL], tool_choice="REQUIRED")
    assert forced.finish_reason == "TOOL_CALL"
    assert client.chat(model=MODEL, messages=TOOL_MESSAGES, tools=[WEATHER_TOOL], tool_choice="NONE").message.content
    (call,) = forced.message.tool_calls
    answered = client.chat(
        model=MODEL,
        tools=[WEATHER_TOOL],
        messages=[
            *TOOL_MESSAGES,
            {"role": "assistant", "tool_plan": forced.message.tool_plan, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": call.id, "content": [{"type": "text", "text": "sunny"}]},
        ],
    )
    assert answered.finish_reason == "COMPLETE"


def test_json_object(client: cohere.ClientV2) -> None:
    plain = client.chat(model=MODEL, messages=MESSAGES, response_format={"type": "json_object"})
    assert json.loads(plain.message.content[0].text) == {"answer": REPLY}
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    shaped = client.chat(model=MODEL, messages=MESSAGES, response_format={"type": "json_object", "json_schema": schema})
    assert json.loads(shaped.message.content[0].text) == {"n": 1}


def test_thinking(client: cohere.ClientV2) -> None:
    reply = client.chat(model=MODEL, messages=MESSAGES, thinking={"type": "enabled", "token_budget": 100})
    thinking, text = reply.message.content
    assert thinking.type == "thinking" and thinking.thinking == THINKING_TEXT
    assert text.text == REPLY
    assert reply.usage.tokens.output_tokens == 7 + len(THINKING_TEXT.split())
    events = list(client.chat_stream(model=MODEL, messages=MESSAGES, thinking={"type": "enabled"}))
    starts = [event.delta.message.content.type for event in events if event.type == "content-start"]
    assert starts == ["thinking", "text"]


# -- embed -------------------------------------------------------------------------------------------------------------


def test_embed_types_and_determinism(client: cohere.ClientV2, server: StandinServer) -> None:
    kinds = ["float", "int8", "uint8", "binary", "ubinary", "base64"]
    response = client.embed(
        model="embed-v4.0", input_type="search_document", texts=["hello there", "bye"], embedding_types=kinds
    )
    assert server.requests[-1].path == "/v2/embed"
    embeddings = response.embeddings
    vector = embeddings.float_[0]
    assert len(vector) == EMBEDDING_DIMENSIONS
    assert abs(sum(value * value for value in vector) - 1) < 1e-9
    assert len(embeddings.int8[0]) == len(embeddings.uint8[0]) == EMBEDDING_DIMENSIONS
    assert all(-128 <= value <= 127 for value in embeddings.int8[0])
    assert all(0 <= value <= 255 for value in embeddings.uint8[0])
    assert len(embeddings.binary[0]) == len(embeddings.ubinary[0]) == EMBEDDING_DIMENSIONS // 8
    decoded = struct.unpack(f"<{EMBEDDING_DIMENSIONS}f", base64.b64decode(embeddings.base64[0]))
    assert decoded == pytest.approx(vector, abs=1e-6)
    assert response.meta.billed_units.input_tokens == 3
    again = client.embed(model="embed-v4.0", input_type="search_query", texts=["hello there"], output_dimension=256)
    assert again.embeddings.float_[0] != vector  # another dimension count, another vector
    same = client.embed(model="embed-v4.0", input_type="search_query", texts=["hello there"], embedding_types=["float"])
    assert same.embeddings.float_[0] == vector
    assert len(again.embeddings.float_[0]) == 256


# -- errors and faults -------------------------------------------------------------------------------------------------


def test_errors(client: cohere.ClientV2) -> None:
    with pytest.raises(cohere.TooManyRequestsError) as limited:
        client.chat(model=MODEL, messages=MESSAGES, request_options=scenario("error-429"))
    assert limited.value.body["message"] == "Stand-in scenario error-429."
    assert limited.value.headers["retry-after-ms"] == "20"
    with pytest.raises(cohere.BadRequestError) as invalid:
        client.chat(model=MODEL, messages=[])
    assert "messages" in invalid.value.body["message"]
    with pytest.raises(cohere.InternalServerError):
        client.embed(model="standin-error-500", input_type="search_query", texts=["x"])


def test_stream_faults(client: cohere.ClientV2) -> None:
    received: list[Any] = []
    with pytest.raises(httpx.RemoteProtocolError):
        for event in client.chat_stream(model=MODEL, messages=MESSAGES, request_options=scenario("cut-after-3")):
            received.append(event)
    assert [event.type for event in received] == ["message-start", "content-start", "content-delta"]
    failed = list(client.chat_stream(model=MODEL, messages=MESSAGES, request_options=scenario("error-event-after-2")))
    assert [event.type for event in failed] == ["message-start", "content-start", "message-end"]
    assert failed[-1].delta.finish_reason == "ERROR" and failed[-1].delta.error
    # The SDK skips an event it cannot parse (with a warning) and goes on.
    skipped = list(client.chat_stream(model=MODEL, messages=MESSAGES, request_options=scenario("malformed-json")))
    assert [event.type for event in skipped][-1] == "message-end"
