"""Fault scenarios chosen by header or by model name, as the real clients experience them (retries included)."""

from __future__ import annotations

import json
import time

import anthropic
import httpx2
import openai
import pytest

from llmotel.standin import StandinServer
from standin_support import CHAT_MESSAGES, CLAUDE, CLAUDE_MESSAGES, GPT


def scenario(name: str) -> dict[str, str]:
    return {"x-standin-scenario": name}


def test_429_with_default_retries_makes_three_attempts_then_raises(server: StandinServer) -> None:
    client = openai.OpenAI(base_url=server.openai_base_url, api_key="k")  # default max_retries=2

    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model=GPT, messages=CHAT_MESSAGES, extra_headers=scenario("error-429"))

    assert caught.value.status_code == 429
    assert caught.value.code == "rate_limit_exceeded"
    assert caught.value.response.headers["retry-after"] == "1"
    assert [r.headers["x-stainless-retry-count"] for r in server.requests] == ["0", "1", "2"]


def test_429_once_succeeds_on_the_clients_retry(server: StandinServer) -> None:
    client = anthropic.Anthropic(base_url=server.anthropic_base_url, api_key="k", max_retries=1)

    message = client.messages.create(
        model=CLAUDE, max_tokens=50, messages=CLAUDE_MESSAGES, extra_headers=scenario("error-429-once")
    )

    assert message.stop_reason == "end_turn"
    assert [r.headers["x-stainless-retry-count"] for r in server.requests] == ["0", "1"]


def test_model_name_selects_the_scenario_for_unmodified_apps(
    openai_client: openai.OpenAI, anthropic_client: anthropic.Anthropic
) -> None:
    with pytest.raises(openai.RateLimitError):
        openai_client.chat.completions.create(model="standin-error-429", messages=CHAT_MESSAGES)
    with pytest.raises(anthropic.RateLimitError) as caught:
        anthropic_client.messages.create(model="standin-error-429", max_tokens=10, messages=CLAUDE_MESSAGES)

    assert caught.value.body == {
        "type": "error",
        "error": {"type": "rate_limit_error", "message": "Stand-in scenario error-429."},
        "request_id": caught.value.response.headers["request-id"],
    }


@pytest.mark.parametrize(
    ("name", "openai_error", "anthropic_error"),
    [
        ("error-400", openai.BadRequestError, anthropic.BadRequestError),
        ("error-401", openai.AuthenticationError, anthropic.AuthenticationError),
        ("error-404", openai.NotFoundError, anthropic.NotFoundError),
        ("error-500", openai.InternalServerError, anthropic.InternalServerError),
        ("error-529", openai.InternalServerError, anthropic.OverloadedError),
    ],
)
def test_status_errors_raise_the_providers_error_classes(
    openai_client: openai.OpenAI,
    anthropic_client: anthropic.Anthropic,
    name: str,
    openai_error: type[Exception],
    anthropic_error: type[Exception],
) -> None:
    with pytest.raises(openai_error):
        openai_client.chat.completions.create(model=GPT, messages=CHAT_MESSAGES, extra_headers=scenario(name))
    with pytest.raises(anthropic_error):
        anthropic_client.messages.create(
            model=CLAUDE, max_tokens=10, messages=CLAUDE_MESSAGES, extra_headers=scenario(name)
        )


def test_errors_apply_to_streams_and_other_endpoints(openai_client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError):
        openai_client.responses.create(model="standin-error-400", input="hi", stream=True)
    with pytest.raises(openai.InternalServerError):
        openai_client.embeddings.create(model="standin-error-503", input="hi")


def test_malformed_json_body_and_stream(openai_client: openai.OpenAI, anthropic_client: anthropic.Anthropic) -> None:
    with pytest.raises(json.JSONDecodeError):
        openai_client.chat.completions.create(model="standin-malformed-json", messages=CHAT_MESSAGES)
    stream = openai_client.chat.completions.create(
        model=GPT,
        messages=CHAT_MESSAGES,
        stream=True,
        extra_headers=scenario("malformed-json"),
    )
    first = next(iter(stream))
    with pytest.raises(json.JSONDecodeError):
        next(iter(stream))
    with pytest.raises(json.JSONDecodeError):
        anthropic_client.messages.create(model="standin-malformed-json", max_tokens=9, messages=CLAUDE_MESSAGES)
    with pytest.raises(json.JSONDecodeError):
        list(
            anthropic_client.messages.create(
                model="standin-malformed-json", max_tokens=9, messages=CLAUDE_MESSAGES, stream=True
            )
        )

    assert first.choices[0].delta.role == "assistant"


def test_cut_stream_delivers_k_events_then_a_connection_error(
    openai_client: openai.OpenAI, anthropic_client: anthropic.Anthropic
) -> None:
    received: list[object] = []
    stream = openai_client.chat.completions.create(
        model=GPT,
        messages=CHAT_MESSAGES,
        stream=True,
        extra_headers=scenario("cut-after-3"),
    )
    with pytest.raises(openai.APIConnectionError):
        for chunk in stream:
            received.append(chunk)
    events: list[str] = []
    # anthropic's stream lets the transport error through unwrapped.
    with pytest.raises(httpx2.RemoteProtocolError):
        for event in anthropic_client.messages.create(
            model="standin-cut-after-4", max_tokens=9, messages=CLAUDE_MESSAGES, stream=True
        ):
            events.append(event.type)

    assert len(received) == 3
    # Four events went out (message_start, content_block_start, ping, one delta); the SDK drops the ping.
    assert events == ["message_start", "content_block_start", "content_block_delta"]


def test_error_event_mid_stream_as_each_sdk_reports_it(
    openai_client: openai.OpenAI, anthropic_client: anthropic.Anthropic
) -> None:
    chunks: list[object] = []
    with pytest.raises(openai.APIError) as chat_error:
        for chunk in openai_client.chat.completions.create(
            model="standin-error-event-after-3", messages=CHAT_MESSAGES, stream=True
        ):
            chunks.append(chunk)
    events = list(openai_client.responses.create(model="standin-error-event-after-3", input="hi", stream=True))
    claude_events: list[str] = []
    with pytest.raises(anthropic.APIStatusError) as claude_error:
        for event in anthropic_client.messages.create(
            model=CLAUDE,
            max_tokens=9,
            messages=CLAUDE_MESSAGES,
            stream=True,
            extra_headers=scenario("error-event-after-2"),
        ):
            claude_events.append(event.type)

    assert len(chunks) == 3
    assert "error while streaming" in chat_error.value.message
    # The Responses SDK yields the typed error event instead of raising.
    last = events[-1]
    assert [e.type for e in events[:-1]] == ["response.created", "response.in_progress", "response.output_item.added"]
    assert last.type == "error" and last.code == "server_error" and last.sequence_number == 3
    assert claude_events == ["message_start", "content_block_start"]
    assert claude_error.value.body == {
        "type": "error",
        "error": {"type": "overloaded_error", "message": "Overloaded"},
        "request_id": None,
    }


def test_cut_never_sends_the_terminating_event(openai_client: openai.OpenAI) -> None:
    stream = openai_client.responses.create(model=GPT, input="hi", stream=True, extra_headers=scenario("cut-after-999"))
    types: list[str] = []
    with pytest.raises(openai.APIConnectionError):
        for event in stream:
            types.append(event.type)

    assert types[-1] == "response.output_item.done"


def test_cut_non_stream_is_a_connection_error_and_retried(server: StandinServer) -> None:
    client = anthropic.Anthropic(base_url=server.anthropic_base_url, api_key="k", max_retries=1)

    with pytest.raises(anthropic.APIConnectionError):
        client.messages.create(model="standin-cut-after-1", max_tokens=9, messages=CLAUDE_MESSAGES)

    assert len(server.requests) == 2


async def test_async_cut_stream(async_openai_client: openai.AsyncOpenAI) -> None:
    stream = await async_openai_client.chat.completions.create(
        model=GPT,
        messages=CHAT_MESSAGES,
        stream=True,
        extra_headers=scenario("cut-after-2"),
    )
    received = 0
    with pytest.raises(openai.APIConnectionError):
        async for _ in stream:
            received += 1

    assert received == 2


def test_slow_first_chunk_delays_the_first_event_not_the_headers(openai_client: openai.OpenAI) -> None:
    started = time.perf_counter()
    stream = openai_client.chat.completions.create(
        model=GPT,
        messages=CHAT_MESSAGES,
        stream=True,
        extra_headers=scenario("slow-first-chunk-400"),
    )
    returned = time.perf_counter()
    next(iter(stream))
    first_chunk = time.perf_counter()
    stream.close()

    assert first_chunk - started >= 0.4
    # The server sleeps after sending the headers: create() returns well before the first chunk arrives.
    assert first_chunk - returned >= 0.25


async def test_slow_first_chunk_async_anthropic(async_anthropic_client: anthropic.AsyncAnthropic) -> None:
    started = time.perf_counter()
    message = await async_anthropic_client.messages.create(
        model="standin-slow-first-chunk-200", max_tokens=9, messages=CLAUDE_MESSAGES
    )

    assert time.perf_counter() - started >= 0.2
    assert message.stop_reason == "end_turn"


def test_combined_directives_and_unknown_directive(openai_client: openai.OpenAI) -> None:
    stream = openai_client.chat.completions.create(
        model="standin-chunks-20",
        messages=CHAT_MESSAGES,
        stream=True,
        extra_headers=scenario("slow-first-chunk-10, cut-after-15"),
    )
    received = 0
    with pytest.raises(openai.APIConnectionError):
        for _ in stream:
            received += 1
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.chat.completions.create(model=GPT, messages=CHAT_MESSAGES, extra_headers=scenario("explode"))

    assert received == 15
    assert "x-standin-scenario" in str(caught.value) and "error-<4xx|5xx status>" in str(caught.value)
