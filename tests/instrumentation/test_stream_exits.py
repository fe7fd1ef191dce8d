"""Every way a caller can leave a stream, for every OpenAI and Anthropic streaming API (three raw streams and the
SDKs' three `.stream()` helpers): one GenAI span, ended once, and an unchanged stream (the matrix: exit_matrix.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import anthropic
import openai
import pytest
from opentelemetry import trace

from exit_matrix import (
    ASYNC_PATHS,
    SYNC_PATHS,
    Headers,
    StreamingApi,
    as_is,
    awaited,
    check_async_exit,
    check_sync_exit,
    collect_garbage,
    exit_cases,
)
from llm_support import API_KEY, CLAUDE, GPT, Telemetry
from llmotel.providers.anthropic import AnthropicInstrumentor
from llmotel.providers.openai import OpenAIInstrumentor
from llmotel.standin import StandinServer

pytestmark = pytest.mark.usefixtures("young_heap")

MESSAGES = [{"role": "user", "content": "Say hello to the team"}]


def _chat(client: Any, headers: Headers) -> Any:
    return client.chat.completions.create(
        model=GPT, messages=MESSAGES, stream=True, stream_options={"include_usage": True}, extra_headers=headers
    )


def _responses(client: Any, headers: Headers) -> Any:
    return client.responses.create(model=GPT, input="Say hello to the team", stream=True, extra_headers=headers)


def _messages(client: Any, headers: Headers) -> Any:
    return client.messages.create(model=CLAUDE, max_tokens=100, messages=MESSAGES, stream=True, extra_headers=headers)


def _chat_helper(client: Any, headers: Headers) -> Any:
    return client.chat.completions.stream(
        model=GPT, messages=MESSAGES, stream_options={"include_usage": True}, extra_headers=headers
    )


def _responses_helper(client: Any, headers: Headers) -> Any:
    return client.responses.stream(model=GPT, input="Say hello to the team", extra_headers=headers)


def _messages_helper(client: Any, headers: Headers) -> Any:
    return client.messages.stream(model=CLAUDE, max_tokens=100, messages=MESSAGES, extra_headers=headers)


APIS = [
    StreamingApi("openai-chat", "openai", _chat, lambda c, h: awaited(_chat(c, h))),
    StreamingApi("openai-responses", "openai", _responses, lambda c, h: awaited(_responses(c, h))),
    StreamingApi(
        "openai-chat-stream-helper", "openai", _chat_helper, lambda c, h: as_is(_chat_helper(c, h)), helper=True
    ),
    StreamingApi(
        "openai-responses-stream-helper",
        "openai",
        _responses_helper,
        lambda c, h: as_is(_responses_helper(c, h)),
        helper=True,
    ),
    StreamingApi("anthropic-create", "anthropic", _messages, lambda c, h: awaited(_messages(c, h))),
    StreamingApi(
        "anthropic-stream-helper",
        "anthropic",
        _messages_helper,
        lambda c, h: as_is(_messages_helper(c, h)),
        helper=True,
    ),
]


# -- what the caller observes -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sync_clients(standin: StandinServer) -> Iterator[dict[str, Any]]:
    """One sync client per SDK for the whole module: constructing one costs ~50 ms, and this module runs ~100 tests."""
    with (
        openai.OpenAI(base_url=standin.openai_base_url, api_key=API_KEY, max_retries=0) as openai_client,
        anthropic.Anthropic(base_url=standin.anthropic_base_url, api_key=API_KEY, max_retries=0) as anthropic_client,
    ):
        yield {"openai": openai_client, "anthropic": anthropic_client}


def async_client(api: StreamingApi, server: StandinServer) -> Any:
    """A fresh async client of the one SDK the test needs (async clients belong to the test's event loop)."""
    if api.sdk == "openai":
        return openai.AsyncOpenAI(base_url=server.openai_base_url, api_key=API_KEY, max_retries=0)
    return anthropic.AsyncAnthropic(base_url=server.anthropic_base_url, api_key=API_KEY, max_retries=0)


def api_cases() -> list[Any]:
    return [pytest.param(api, id=api.name) for api in APIS]


@pytest.mark.parametrize(("api", "path"), exit_cases(APIS, SYNC_PATHS))
def test_sync_exit_path(
    api: StreamingApi,
    path: str,
    instrument: Callable[[], Telemetry],
    sync_clients: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    check_sync_exit(api, path, sync_clients[api.sdk], instrument, caplog)


@pytest.mark.parametrize(("api", "path"), exit_cases(APIS, ASYNC_PATHS))
async def test_async_exit_path(
    api: StreamingApi,
    path: str,
    instrument: Callable[[], Telemetry],
    server: StandinServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with async_client(api, server) as client:
        await check_async_exit(api, path, client, instrument, caplog)


# -- the span is not current while the caller consumes --------------------------------------------------------------


@pytest.mark.parametrize("api", api_cases())
def test_sync_caller_spans_do_not_nest_under_the_llm_span(
    api: StreamingApi,
    telemetry: Telemetry,
    sync_clients: dict[str, Any],
) -> None:
    tracer = telemetry.tracer_provider.get_tracer("t")
    client = sync_clients[api.sdk]
    with tracer.start_as_current_span("request handler") as outer:
        with api.context_sync(client, {}) as stream:
            for index, _ in enumerate(stream):
                assert trace.get_current_span() is outer
                with tracer.start_as_current_span(f"caller work {index}"):
                    pass
        assert trace.get_current_span() is outer
    _assert_siblings(telemetry, outer)


@pytest.mark.parametrize("api", api_cases())
async def test_async_caller_spans_do_not_nest_under_the_llm_span(
    api: StreamingApi,
    telemetry: Telemetry,
    server: StandinServer,
) -> None:
    tracer = telemetry.tracer_provider.get_tracer("t")
    async with async_client(api, server) as client:
        with tracer.start_as_current_span("request handler") as outer:
            index = 0
            async with await api.context_async(client, {}) as stream:
                async for _ in stream:
                    assert trace.get_current_span() is outer
                    with tracer.start_as_current_span(f"caller work {index}"):
                        index += 1
            assert trace.get_current_span() is outer
    _assert_siblings(telemetry, outer)


def _assert_siblings(telemetry: Telemetry, outer: Any) -> None:
    llm = telemetry.only_span()
    outer_id = outer.get_span_context().span_id
    assert llm.parent is not None and llm.parent.span_id == outer_id
    work = [span for span in telemetry.spans() if span.name.startswith("caller work")]
    assert len(work) >= 3
    for span in work:
        assert span.parent is not None
        assert span.parent.span_id == outer_id, f"{span.name} nested under {span.parent.span_id:x}"


# -- after uninstrument ---------------------------------------------------------------------------------------------


def test_uninstrument_gives_plain_sdk_streams(
    telemetry: Telemetry, openai_client: openai.OpenAI, anthropic_client: anthropic.Anthropic
) -> None:
    instrumented = _chat(openai_client, {})
    assert type(instrumented) is not openai.Stream  # proxied while instrumented...
    assert isinstance(instrumented, openai.Stream)  # ...yet still an openai.Stream to the caller
    instrumented.close()
    assert len(telemetry.genai_spans()) == 1

    OpenAIInstrumentor().uninstrument()  # the same singletons the fixture instrumented
    AnthropicInstrumentor().uninstrument()

    chat = _chat(openai_client, {})
    responses = _responses(openai_client, {})
    messages = _messages(anthropic_client, {})
    assert type(chat) is openai.Stream
    assert type(responses) is openai.Stream
    assert type(messages) is anthropic.Stream
    for stream in (chat, responses, messages):
        list(stream)
    manager = _messages_helper(anthropic_client, {})
    assert type(manager) is anthropic.lib.streaming.MessageStreamManager
    with manager as helper:
        assert type(helper) is anthropic.lib.streaming.MessageStream
        assert type(helper._raw_stream) is anthropic.Stream
        helper.get_final_message()
    collect_garbage()
    assert len(telemetry.genai_spans()) == 1  # nothing new


async def test_uninstrument_gives_plain_async_sdk_streams(
    telemetry: Telemetry, async_openai_client: openai.AsyncOpenAI, async_anthropic_client: anthropic.AsyncAnthropic
) -> None:
    OpenAIInstrumentor().uninstrument()
    AnthropicInstrumentor().uninstrument()
    chat = await _chat(async_openai_client, {})
    messages = await _messages(async_anthropic_client, {})
    assert type(chat) is openai.AsyncStream
    assert type(messages) is anthropic.AsyncStream
    await chat.close()
    await messages.close()
    async with _messages_helper(async_anthropic_client, {}) as helper:
        assert type(helper) is anthropic.lib.streaming.AsyncMessageStream
        assert type(helper._raw_stream) is anthropic.AsyncStream
    assert telemetry.genai_spans() == []
