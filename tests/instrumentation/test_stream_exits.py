"""Every way a caller can leave a stream, for every streaming API (three raw streams and the SDKs' three `.stream()`
helpers): one GenAI span, ended once, and an unchanged stream.

Each case runs the same consumption twice through the real SDK over HTTP to the stand-in: first uninstrumented (the
baseline), then instrumented. The caller must see the same items and the same exception both times, and the
instrumented run must finish exactly one GenAI span at the moment the stream's life ends (exhausted, failed, closed,
context exited, cancelled) or, for a stream the caller merely abandons, once it is garbage-collected.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import anthropic
import openai
import pytest
from opentelemetry import trace
from opentelemetry.trace import StatusCode

from llm_support import API_KEY, CLAUDE, GPT, Telemetry
from llmotel.providers.anthropic import AnthropicInstrumentor
from llmotel.providers.openai import OpenAIInstrumentor
from llmotel.standin import StandinServer

MESSAGES = [{"role": "user", "content": "Say hello to the team"}]
CUT = {"x-standin-scenario": "cut-after-3"}
SLOW = {"x-standin-scenario": "slow-first-chunk-2000"}
Headers = dict[str, str]


class CallerError(Exception):
    """Raised by the caller's own loop body: not the provider's failure."""


# -- the four streaming APIs, each opened sync and async -------------------------------------------------------------


@dataclass(frozen=True)
class StreamingApi:
    name: str
    sdk: str  # which client it needs: "openai" or "anthropic"
    # The object `with` / `async with` enters: the stream itself, or the SDK's stream-helper manager.
    context_sync: Callable[[Any, Headers], Any]
    context_async: Callable[[Any, Headers], Any]  # a coroutine giving that object
    helper: bool = False  # entering the manager is what sends the request and gives the stream

    def open_sync(self, client: Any, headers: Headers) -> Any:
        """The stream, as a caller gets it without a with-block."""
        context = self.context_sync(client, headers)
        return context.__enter__() if self.helper else context

    async def open_async(self, client: Any, headers: Headers) -> Any:
        context = await self.context_async(client, headers)
        return await context.__aenter__() if self.helper else context


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


async def _awaited(result: Any) -> Any:
    return await result


async def _as_is(result: Any) -> Any:
    return result


APIS = [
    StreamingApi("openai-chat", "openai", _chat, lambda c, h: _awaited(_chat(c, h))),
    StreamingApi("openai-responses", "openai", _responses, lambda c, h: _awaited(_responses(c, h))),
    StreamingApi(
        "openai-chat-stream-helper", "openai", _chat_helper, lambda c, h: _as_is(_chat_helper(c, h)), helper=True
    ),
    StreamingApi(
        "openai-responses-stream-helper",
        "openai",
        _responses_helper,
        lambda c, h: _as_is(_responses_helper(c, h)),
        helper=True,
    ),
    StreamingApi("anthropic-create", "anthropic", _messages, lambda c, h: _awaited(_messages(c, h))),
    StreamingApi(
        "anthropic-stream-helper",
        "anthropic",
        _messages_helper,
        lambda c, h: _as_is(_messages_helper(c, h)),
        helper=True,
    ),
]


# -- what the caller observes -----------------------------------------------------------------------------------------


@dataclass
class Observation:
    items: list[tuple[str, str]]  # (kind, text) of every item the caller received, ids left out
    error: str | None = None  # error.type spelling of the exception that reached the caller
    response_id: str | None = None


def _kind(item: Any) -> str:
    return str(getattr(item, "type", None) or item.object)


def _text(item: Any) -> str:
    choices = getattr(item, "choices", None)
    if choices is not None:
        return "".join(choice.delta.content or "" for choice in choices)
    delta = getattr(item, "delta", None)
    if isinstance(delta, str):  # Responses API text deltas
        return delta
    return str(getattr(delta, "text", None) or getattr(item, "text", None) or "")


def _response_id(items: list[Any]) -> str | None:
    if not items:
        return None
    first = items[0]
    for holder in ("message", "response", "chunk"):  # anthropic message_start, response.created, chat helper
        if hasattr(first, holder):
            return str(getattr(first, holder).id)
    return str(first.id)


def _error_type(exc: BaseException) -> str:
    cls = type(exc)
    return f"{cls.__module__.partition('.')[0]}.{cls.__qualname__}"


def _observed(items: list[Any], error: BaseException | None = None) -> Observation:
    return Observation(
        [(_kind(item), _text(item)) for item in items],
        _error_type(error) if error is not None else None,
        _response_id(items),
    )


@pytest.fixture(autouse=True)
def _young_heap() -> Iterator[None]:
    """Full collections scan only what the test allocated: the SDKs' type modules make each one take ~0.3 s."""
    gc.freeze()
    yield
    gc.unfreeze()


def _collect_garbage() -> None:
    gc.collect()
    gc.collect()  # a second pass for objects freed by the first one's finalizers


async def _collect_async_garbage() -> None:
    """Collect, then let the loop run the aclose() it schedules for collected async generators (the SDK's
    iterators are async generators, so an abandoned async stream is only released after that), and collect again."""
    _collect_garbage()
    for _ in range(5):
        await asyncio.sleep(0)
    _collect_garbage()


# -- the exit paths ---------------------------------------------------------------------------------------------------

Checkpoint = Callable[[], None]  # asserts the GenAI span has ended by now; a no-op in the uninstrumented run

SYNC_PATHS = [
    "full",
    "break-then-drop",
    "close",
    "with-early-exit",
    "drop-unread",
    "caller-exception",
    "provider-cut",
]
ASYNC_PATHS = [*SYNC_PATHS, "cancel"]


def run_sync(api: StreamingApi, path: str, client: Any, ended: Checkpoint) -> Observation:
    items: list[Any] = []
    if path == "full":
        stream = api.open_sync(client, {})
        items = list(stream)
        ended()  # exhaustion alone ends the span, while the caller still holds the stream
        return _observed(items)
    if path == "break-then-drop":
        stream = api.open_sync(client, {})
        for item in stream:
            items.append(item)
            if len(items) == 2:
                break
        del stream
        _collect_garbage()
        ended()
        return _observed(items)
    if path == "close":
        stream = api.open_sync(client, {})
        for item in stream:
            items.append(item)
            if len(items) == 2:
                break
        stream.close()
        ended()
        return _observed(items)
    if path == "with-early-exit":
        with api.context_sync(client, {}) as stream:
            for item in stream:
                items.append(item)
                break
        ended()  # `stream` is still referenced here: leaving the block is what must end the span
        return _observed(items)
    if path == "drop-unread":
        stream = api.open_sync(client, {})
        del stream
        _collect_garbage()
        ended()
        return _observed(items)
    if path == "caller-exception":
        stream = api.open_sync(client, {})
        try:
            for item in stream:
                items.append(item)
                raise CallerError("the caller's own bug")
        except CallerError as exc:
            error: BaseException = exc
        del stream
        _collect_garbage()
        ended()
        return _observed(items, error)
    if path == "provider-cut":
        stream = api.open_sync(client, CUT)
        try:
            for item in stream:
                items.append(item)
        except Exception as exc:
            error = exc
        else:
            raise AssertionError("the cut stream did not raise")
        ended()
        return _observed(items, error)
    raise AssertionError(path)


async def run_async(api: StreamingApi, path: str, client: Any, ended: Checkpoint) -> Observation:
    items: list[Any] = []
    if path == "full":
        stream = await api.open_async(client, {})
        items = [item async for item in stream]
        ended()
        return _observed(items)
    if path == "break-then-drop":
        stream = await api.open_async(client, {})
        async for item in stream:
            items.append(item)
            if len(items) == 2:
                break
        del stream
        await _collect_async_garbage()
        ended()
        return _observed(items)
    if path == "close":
        stream = await api.open_async(client, {})
        async for item in stream:
            items.append(item)
            if len(items) == 2:
                break
        await stream.close()
        ended()
        return _observed(items)
    if path == "with-early-exit":
        async with await api.context_async(client, {}) as stream:
            async for item in stream:
                items.append(item)
                break
        ended()
        return _observed(items)
    if path == "drop-unread":
        stream = await api.open_async(client, {})
        del stream
        await _collect_async_garbage()
        ended()
        return _observed(items)
    if path == "caller-exception":
        stream = await api.open_async(client, {})
        try:
            async for item in stream:
                items.append(item)
                raise CallerError("the caller's own bug")
        except CallerError as exc:
            error: BaseException = exc
        del stream
        await _collect_async_garbage()
        ended()
        return _observed(items, error)
    if path == "provider-cut":
        stream = await api.open_async(client, CUT)
        try:
            async for item in stream:
                items.append(item)
        except Exception as exc:
            error = exc
        else:
            raise AssertionError("the cut stream did not raise")
        ended()
        return _observed(items, error)
    if path == "cancel":
        opened = asyncio.Event()

        async def consume() -> None:
            stream = await api.open_async(client, SLOW)  # headers arrive at once, the first chunk after 2 s
            opened.set()
            async for item in stream:
                items.append(item)

        task = asyncio.create_task(consume())
        await asyncio.wait_for(opened.wait(), 5)
        await asyncio.sleep(0.05)  # let the task reach its await of the first chunk
        task.cancel()
        try:
            await task
        except asyncio.CancelledError as exc:
            error = exc
        else:
            raise AssertionError("the task was not cancelled")
        ended()
        return _observed(items, error)
    raise AssertionError(path)


# -- assertions -------------------------------------------------------------------------------------------------------


def _one_span_now(telemetry: Telemetry) -> Checkpoint:
    def check() -> None:
        spans = telemetry.genai_spans()
        assert len(spans) == 1, f"expected the GenAI span to have ended by now, finished: {[s.name for s in spans]}"

    return check


def _no_op() -> None:
    pass


def assert_one_span_ended_once(
    telemetry: Telemetry, observation: Observation, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    _collect_garbage()  # nothing left over may end a second span
    span = telemetry.only_span()
    assert span.end_time is not None and span.start_time is not None and span.end_time > span.start_time
    assert "Calling end() on an ended span." not in caplog.text
    durations = telemetry.metrics()["gen_ai.client.operation.duration"]
    assert sum(p.count for p in durations) == 1  # llmotel ended the call once, not once per exit hook
    attributes = span.attributes or {}
    assert attributes["gen_ai.request.stream"] is True
    if path in ("provider-cut", "cancel"):
        assert span.status.status_code is StatusCode.ERROR
        assert attributes["error.type"] == observation.error
    else:
        assert span.status.status_code is StatusCode.UNSET, span.status
        assert "error.type" not in attributes
    if observation.response_id is not None:
        assert attributes["gen_ai.response.id"] == observation.response_id
    if path == "full":
        assert attributes["gen_ai.response.finish_reasons"] in (("stop",), ("end_turn",))
        assert attributes["gen_ai.usage.output_tokens"] > 0


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


def exit_cases(paths: list[str]) -> list[Any]:
    return [pytest.param(api, path, id=f"{api.name}-{path}") for api in APIS for path in paths]


def api_cases() -> list[Any]:
    return [pytest.param(api, id=api.name) for api in APIS]


@pytest.mark.parametrize(("api", "path"), exit_cases(SYNC_PATHS))
def test_sync_exit_path(
    api: StreamingApi,
    path: str,
    instrument: Callable[[], Telemetry],
    sync_clients: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    client = sync_clients[api.sdk]
    baseline = run_sync(api, path, client, _no_op)
    telemetry = instrument()
    observation = run_sync(api, path, client, _one_span_now(telemetry))
    assert observation.items == baseline.items
    assert observation.error == baseline.error
    if path == "caller-exception":
        assert observation.error == f"{__name__.partition('.')[0]}.CallerError"
    assert_one_span_ended_once(telemetry, observation, path, caplog)


@pytest.mark.parametrize(("api", "path"), exit_cases(ASYNC_PATHS))
async def test_async_exit_path(
    api: StreamingApi,
    path: str,
    instrument: Callable[[], Telemetry],
    server: StandinServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    async with async_client(api, server) as client:
        baseline = await run_async(api, path, client, _no_op)
        telemetry = instrument()
        observation = await run_async(api, path, client, _one_span_now(telemetry))
    assert observation.items == baseline.items
    assert observation.error == baseline.error
    if path == "cancel":
        assert observation.error == "asyncio.CancelledError"
    assert_one_span_ended_once(telemetry, observation, path, caplog)


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
    _collect_garbage()
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
