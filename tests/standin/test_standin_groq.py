"""The Groq format through the real groq client: OpenAI's shapes under /groq/openai/v1, Groq's timings in usage,
a stream's usage unasked in `x_groq.usage` of its last chunk; the OpenAI format itself is unchanged."""

from __future__ import annotations

from collections.abc import Iterator

import groq
import openai
import pytest

from llmotel.standin import StandinServer
from llmotel.standin.groq_api import TIMINGS
from standin_support import CHAT_MESSAGES

LLAMA = "llama-3.1-8b-instant"
REPLY = "Hello from the llmotel stand-in model llama-3.1-8b-instant"


@pytest.fixture
def client(server: StandinServer) -> Iterator[groq.Groq]:
    with groq.Groq(base_url=server.url + "/groq", api_key="standin-key", max_retries=0) as made:
        yield made


def test_completion_with_timings(client: groq.Groq, server: StandinServer) -> None:
    completion = client.chat.completions.create(model=LLAMA, messages=CHAT_MESSAGES)
    assert server.requests[-1].path == "/groq/openai/v1/chat/completions"
    assert completion.choices[0].message.content == REPLY
    usage = completion.usage
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (2, 7, 9)
    assert (usage.queue_time, usage.prompt_time, usage.completion_time, usage.total_time) == (
        TIMINGS["queue_time"],
        TIMINGS["prompt_time"],
        TIMINGS["completion_time"],
        TIMINGS["total_time"],
    )


def test_stream_reports_usage_in_x_groq_of_the_finish_chunk(client: groq.Groq) -> None:
    chunks = list(client.chat.completions.create(model=LLAMA, messages=CHAT_MESSAGES, stream=True))
    assert "".join(chunk.choices[0].delta.content or "" for chunk in chunks) == REPLY
    final = chunks[-1]
    assert final.choices[0].finish_reason == "stop"
    assert final.usage is None
    assert final.x_groq is not None and final.x_groq.id and final.x_groq.usage is not None
    assert final.x_groq.usage.completion_tokens == 7
    assert final.x_groq.usage.queue_time == TIMINGS["queue_time"]
    assert all(chunk.x_groq is None for chunk in chunks[:-1])


def test_embeddings(client: groq.Groq) -> None:
    response = client.embeddings.create(model="nomic-embed-text-v1_5", input=["one two", "three"])
    assert [item.index for item in response.data] == [0, 1]
    assert response.usage.prompt_tokens == 3


def test_errors_are_groq_classes(client: groq.Groq) -> None:
    with pytest.raises(groq.RateLimitError):
        client.chat.completions.create(model="standin-error-429", messages=CHAT_MESSAGES)
    with pytest.raises(groq.NotFoundError):
        client.post("/openai/v1/nowhere", cast_to=object, body={})


def test_openai_streams_keep_no_usage_unless_asked(openai_client: openai.OpenAI) -> None:
    chunks = list(openai_client.chat.completions.create(model="gpt-4o-mini", messages=CHAT_MESSAGES, stream=True))
    assert all(chunk.usage is None for chunk in chunks)
    assert all(getattr(chunk, "x_groq", None) is None for chunk in chunks)
