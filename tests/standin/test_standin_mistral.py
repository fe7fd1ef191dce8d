"""The Mistral format through the real mistralai client: chat under /mistral/v1 (stream usage in the finish chunk,
whole tool calls per delta), embeddings with an id and output_dimension, Mistral's error bodies and 422."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from mistralai.client import Mistral
from mistralai.client.errors import HTTPValidationError, SDKError

from llmotel.standin import StandinServer
from standin_support import CHAT_MESSAGES

SMALL = "mistral-small-latest"
REPLY = "Hello from the llmotel stand-in model mistral-small-latest"
TOOL = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {}}}}


@pytest.fixture
def client(server: StandinServer) -> Iterator[Mistral]:
    with Mistral(api_key="standin-key", server_url=server.url + "/mistral") as made:
        yield made


def test_completion(client: Mistral, server: StandinServer) -> None:
    response = client.chat.complete(model=SMALL, messages=CHAT_MESSAGES, random_seed=1)
    request = server.requests[-1]
    assert request.path == "/mistral/v1/chat/completions"
    assert request.body["random_seed"] == 1
    assert response.choices[0].message.content == REPLY
    assert (response.usage.prompt_tokens, response.usage.completion_tokens) == (2, 7)


def test_stream_usage_in_the_finish_chunk(client: Mistral) -> None:
    events = list(client.chat.stream(model=SMALL, messages=CHAT_MESSAGES))
    assert "".join(choice.delta.content or "" for event in events for choice in event.data.choices) == REPLY
    final = events[-1].data
    assert final.choices[0].finish_reason == "stop"
    assert final.usage is not None and final.usage.completion_tokens == 7
    assert all(event.data.usage is None for event in events[:-1])


def test_streamed_tool_call_is_whole(client: Mistral) -> None:
    events = list(client.chat.stream(model=SMALL, messages=CHAT_MESSAGES, tools=[TOOL], tool_choice="any"))
    calls = [call for event in events for choice in event.data.choices for call in choice.delta.tool_calls or ()]
    assert len(calls) == 1
    assert calls[0].function.name == "get_weather" and json.loads(calls[0].function.arguments) == {}
    assert events[-1].data.choices[0].finish_reason == "tool_calls"


def test_fim(client: Mistral, server: StandinServer) -> None:
    response = client.fim.complete(model="codestral-latest", prompt="def add(a, b):", suffix="return total")
    assert server.requests[-1].path == "/mistral/v1/fim/completions"
    assert response.choices[0].message.content == "Hello from the llmotel stand-in model codestral-latest"
    assert response.usage.prompt_tokens == 5  # the prompt's and the suffix's words
    events = list(client.fim.stream(model="codestral-latest", prompt="def add(a, b):"))
    assert events[-1].data.usage is not None


def test_embeddings(client: Mistral) -> None:
    response = client.embeddings.create(model="mistral-embed", inputs=["one two", "three"])
    assert response.id
    assert len(response.data) == 2 and len(response.data[0].embedding) == 1024
    assert response.usage.prompt_tokens == 3
    assert len(client.embeddings.create(model="mistral-embed", inputs="a", output_dimension=8).data[0].embedding) == 8


def test_errors(client: Mistral) -> None:
    with pytest.raises(SDKError) as raised:
        client.chat.complete(model=SMALL, messages=CHAT_MESSAGES, http_headers={"x-standin-scenario": "error-429"})
    assert raised.value.status_code == 429
    assert json.loads(raised.value.body)["object"] == "error"
    assert raised.value.headers["retry-after-ms"] == "20"
    with pytest.raises(HTTPValidationError) as invalid:
        client.chat.complete(model=SMALL, messages=[])
    assert invalid.value.data.detail[0].loc == ["body", "messages"]
