"""The Ollama wire format through the real ollama client: chat, generate, NDJSON streams, tools, thinking, embed."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import ollama
import pytest

from llmotel.standin import StandinServer
from llmotel.standin.ollama_api import EMBEDDING_DIMENSIONS, NDJSON_CONTENT_TYPE, THINKING_TEXT

MODEL = "llama3.2"
REPLY = f"Hello from the llmotel stand-in model {MODEL}"
MESSAGES = [{"role": "user", "content": "Say hello to the tests"}]
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


@pytest.fixture
def client(server: StandinServer) -> Iterator[ollama.Client]:
    with ollama.Client(host=server.url) as client:
        yield client


def test_chat(client: ollama.Client, server: StandinServer) -> None:
    response = client.chat(MODEL, MESSAGES)
    assert server.requests[-1].path == "/api/chat"
    assert server.requests[-1].body["stream"] is False  # the SDK always says
    assert response.message.role == "assistant" and response.message.content == REPLY
    assert response.done and response.done_reason == "stop"
    assert (response.prompt_eval_count, response.eval_count) == (5, 7)
    assert response.total_duration and response.eval_duration


def test_stream_is_the_default_of_the_api(server: StandinServer) -> None:
    """Without a `stream` field the API streams NDJSON: one JSON object per line, the last with done=true."""
    reply = httpx.post(f"{server.url}/api/chat", json={"model": MODEL, "messages": MESSAGES})
    assert reply.headers["content-type"] == NDJSON_CONTENT_TYPE
    lines = [json.loads(line) for line in reply.text.splitlines()]
    assert [line["done"] for line in lines] == [False] * 7 + [True]
    assert "".join(line["message"]["content"] for line in lines) == REPLY
    assert lines[-1]["done_reason"] == "stop" and lines[-1]["eval_count"] == 7


def test_chat_stream(client: ollama.Client) -> None:
    parts = list(client.chat(MODEL, MESSAGES, stream=True, options={"num_predict": 4}))
    assert "".join(part.message.content for part in parts) == "Hello from the llmotel"
    assert not any(part.done for part in parts[:-1])
    last = parts[-1]
    assert last.done and last.done_reason == "length" and last.eval_count == 4
    assert parts[0].eval_count is None


def test_generate(client: ollama.Client, server: StandinServer) -> None:
    response = client.generate(MODEL, "Say hello", system="Be brief.")
    assert server.requests[-1].path == "/api/generate"
    assert response.response == REPLY
    assert response.prompt_eval_count == 4
    assert response.context == [1, 2, 3, 4]
    parts = list(client.generate(MODEL, "Say hello", stream=True))
    assert "".join(part.response for part in parts) == REPLY
    assert parts[-1].done and parts[-1].context == [1, 2]


def test_thinking(client: ollama.Client) -> None:
    response = client.chat(MODEL, MESSAGES, think=True)
    assert response.message.thinking == THINKING_TEXT
    assert response.eval_count == 7 + len(THINKING_TEXT.split())
    parts = list(client.generate(MODEL, "Say hello", think="low", stream=True))
    assert "".join(part.thinking or "" for part in parts) == THINKING_TEXT
    assert "".join(part.response for part in parts) == REPLY


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "stream"])
def test_tool_call(client: ollama.Client, stream: bool) -> None:
    messages = [{"role": "user", "content": "Use get_weather for Paris"}]
    result = client.chat(MODEL, messages, tools=[WEATHER_TOOL], stream=stream)
    parts = list(result) if stream else [result]
    calls = [call for part in parts for call in part.message.tool_calls or ()]
    assert [(call.function.name, dict(call.function.arguments)) for call in calls] == [
        ("get_weather", {"city": "standin"})
    ]
    assert parts[-1].done_reason == "stop"
    answered = client.chat(
        MODEL,
        [*messages, {"role": "assistant", "content": "", "tool_calls": calls}, {"role": "tool", "content": "sunny"}],
        tools=[WEATHER_TOOL],
    )
    assert answered.message.content == REPLY and not answered.message.tool_calls


def test_format(client: ollama.Client) -> None:
    assert json.loads(client.chat(MODEL, MESSAGES, format="json").message.content) == {"answer": REPLY}
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    assert json.loads(client.generate(MODEL, "count", format=schema).response) == {"n": 1}


def test_embed_and_legacy_embeddings(client: ollama.Client, server: StandinServer) -> None:
    response = client.embed("nomic-embed-text", ["hello there", "bye"])
    assert server.requests[-1].path == "/api/embed"
    assert [len(vector) for vector in response.embeddings] == [EMBEDDING_DIMENSIONS] * 2
    assert abs(sum(value * value for value in response.embeddings[0]) - 1) < 1e-9
    assert response.prompt_eval_count == 3
    assert len(client.embed("nomic-embed-text", "hello there", dimensions=64).embeddings[0]) == 64
    legacy = client.embeddings("nomic-embed-text", "hello there")
    assert legacy.embedding == response.embeddings[0]  # equal inputs, equal vectors


def test_errors(client: ollama.Client, server: StandinServer) -> None:
    with pytest.raises(ollama.ResponseError) as limited:
        client.chat("standin-error-429", MESSAGES)
    assert limited.value.status_code == 429 and limited.value.error == "Stand-in scenario error-429."
    with pytest.raises(ollama.ResponseError) as invalid:
        client.chat(MODEL, [])
    assert invalid.value.status_code == 400 and "messages" in invalid.value.error
    unknown = httpx.post(f"{server.url}/api/pull", json={"model": MODEL})
    assert unknown.status_code == 404 and "error" in unknown.json()


def test_stream_faults(client: ollama.Client) -> None:
    received = []
    with pytest.raises(httpx.RemoteProtocolError):
        for part in client.chat("standin-cut-after-3", MESSAGES, stream=True):
            received.append(part)
    assert len(received) == 3
    received.clear()
    with pytest.raises(ollama.ResponseError) as failed:
        for part in client.chat("standin-error-event-after-2", MESSAGES, stream=True):
            received.append(part)
    assert len(received) == 2 and "stopped while streaming" in failed.value.error
    with pytest.raises(json.JSONDecodeError):
        list(client.generate("standin-malformed-json", "hello", stream=True))
    with pytest.raises(json.JSONDecodeError):
        client.generate("standin-malformed-json", "hello")
