"""The exit-path matrix: every way a caller can leave a stream, run through the real SDK twice (uninstrumented as the
baseline, then instrumented), with the checks that the caller saw the same items and exception both times and that
exactly one GenAI span ended, once, at the moment the stream's life ended.

A provider's tests describe each streaming API as a `StreamingApi` and call `check_sync_exit` / `check_async_exit`
for every path in `SYNC_PATHS` / `ASYNC_PATHS`, with conftest's `young_heap` fixture in use. Faults reach the
stand-in as headers (`CUT`, `SLOW`); an API whose SDK cannot send per-call headers maps them to the equivalent
`standin-<directive>` model name.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from opentelemetry.trace import StatusCode

from llm_support import Telemetry

CUT = {"x-standin-scenario": "cut-after-3"}
SLOW = {"x-standin-scenario": "slow-first-chunk-2000"}
Headers = dict[str, str]


class CallerError(Exception):
    """Raised by the caller's own loop body: not the provider's failure."""


def item_kind(item: Any) -> str:
    return str(getattr(item, "type", None) or item.object)


def item_text(item: Any) -> str:
    choices = getattr(item, "choices", None)
    if choices is not None:
        return "".join(choice.delta.content or "" for choice in choices)
    delta = getattr(item, "delta", None)
    if isinstance(delta, str):  # Responses API text deltas
        return delta
    return str(getattr(delta, "text", None) or getattr(item, "text", None) or "")


def first_item_id(items: list[Any]) -> str | None:
    if not items:
        return None
    first = items[0]
    for holder in ("message", "response", "chunk"):  # anthropic message_start, response.created, chat helper
        if hasattr(first, holder):
            return str(getattr(first, holder).id)
    return str(first.id)


@dataclass(frozen=True)
class StreamingApi:
    name: str
    sdk: str  # which client it needs
    # The object `with` / `async with` enters: the stream itself, or the SDK's stream-helper manager.
    context_sync: Callable[[Any, Headers], Any]
    context_async: Callable[[Any, Headers], Any]  # a coroutine giving that object
    helper: bool = False  # entering the manager is what sends the request and gives the stream
    # How the caller's view of an item is compared between the two runs (ids differ run to run, so they are left out)
    kind: Callable[[Any], str] = item_kind
    text: Callable[[Any], str] = item_text
    # The response id the span must carry, read from the items the caller got; None: the stream carries no id
    response_id: Callable[[list[Any]], str | None] = first_item_id
    finish_reasons: tuple[str, ...] = ("stop", "end_turn")  # what a fully read stream may end with

    def open_sync(self, client: Any, headers: Headers) -> Any:
        """The stream, as a caller gets it without a with-block."""
        context = self.context_sync(client, headers)
        return context.__enter__() if self.helper else context

    async def open_async(self, client: Any, headers: Headers) -> Any:
        context = await self.context_async(client, headers)
        return await context.__aenter__() if self.helper else context


async def awaited(result: Any) -> Any:
    return await result


async def as_is(result: Any) -> Any:
    return result


@dataclass
class Observation:
    items: list[tuple[str, str]]  # (kind, text) of every item the caller received, ids left out
    error: str | None = None  # error.type spelling of the exception that reached the caller
    response_id: str | None = None


def _error_type(exc: BaseException) -> str:
    cls = type(exc)
    return f"{cls.__module__.partition('.')[0]}.{cls.__qualname__}"


def _observed(api: StreamingApi, items: list[Any], error: BaseException | None = None) -> Observation:
    return Observation(
        [(api.kind(item), api.text(item)) for item in items],
        _error_type(error) if error is not None else None,
        api.response_id(items),
    )


def collect_garbage() -> None:
    gc.collect()
    gc.collect()  # a second pass for objects freed by the first one's finalizers


async def _collect_async_garbage() -> None:
    """Collect, then let the loop run the aclose() it schedules for collected async generators (the SDK's
    iterators are async generators, so an abandoned async stream is only released after that), and collect again."""
    collect_garbage()
    for _ in range(5):
        await asyncio.sleep(0)
    collect_garbage()


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
        return _observed(api, items)
    if path == "break-then-drop":
        stream = api.open_sync(client, {})
        for item in stream:
            items.append(item)
            if len(items) == 2:
                break
        del stream
        collect_garbage()
        ended()
        return _observed(api, items)
    if path == "close":
        stream = api.open_sync(client, {})
        for item in stream:
            items.append(item)
            if len(items) == 2:
                break
        stream.close()
        ended()
        return _observed(api, items)
    if path == "with-early-exit":
        with api.context_sync(client, {}) as stream:
            for item in stream:
                items.append(item)
                break
        ended()  # `stream` is still referenced here: leaving the block is what must end the span
        return _observed(api, items)
    if path == "drop-unread":
        stream = api.open_sync(client, {})
        del stream
        collect_garbage()
        ended()
        return _observed(api, items)
    if path == "caller-exception":
        stream = api.open_sync(client, {})
        try:
            for item in stream:
                items.append(item)
                raise CallerError("the caller's own bug")
        except CallerError as exc:
            error: BaseException = exc
        del stream
        collect_garbage()
        ended()
        return _observed(api, items, error)
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
        return _observed(api, items, error)
    raise AssertionError(path)


async def run_async(api: StreamingApi, path: str, client: Any, ended: Checkpoint) -> Observation:
    items: list[Any] = []
    if path == "full":
        stream = await api.open_async(client, {})
        items = [item async for item in stream]
        ended()
        return _observed(api, items)
    if path == "break-then-drop":
        stream = await api.open_async(client, {})
        async for item in stream:
            items.append(item)
            if len(items) == 2:
                break
        del stream
        await _collect_async_garbage()
        ended()
        return _observed(api, items)
    if path == "close":
        stream = await api.open_async(client, {})
        async for item in stream:
            items.append(item)
            if len(items) == 2:
                break
        # an SDK stream's close() is a coroutine; an SDK handing out an async generator gives aclose()
        await (stream.aclose() if inspect.isasyncgen(stream) else stream.close())
        ended()
        return _observed(api, items)
    if path == "with-early-exit":
        async with await api.context_async(client, {}) as stream:
            async for item in stream:
                items.append(item)
                break
        ended()
        return _observed(api, items)
    if path == "drop-unread":
        stream = await api.open_async(client, {})
        del stream
        await _collect_async_garbage()
        ended()
        return _observed(api, items)
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
        return _observed(api, items, error)
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
        return _observed(api, items, error)
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
        return _observed(api, items, error)
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
    api: StreamingApi, telemetry: Telemetry, observation: Observation, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    collect_garbage()  # nothing left over may end a second span
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
        assert attributes["gen_ai.response.finish_reasons"][0] in api.finish_reasons
        assert attributes["gen_ai.usage.output_tokens"] > 0


def check_sync_exit(
    api: StreamingApi,
    path: str,
    client: Any,
    instrument: Callable[[], Telemetry],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Run `path` uninstrumented, then instrumented (`instrument()` starts the instrumentation), and compare."""
    caplog.set_level(logging.WARNING)
    baseline = run_sync(api, path, client, _no_op)
    telemetry = instrument()
    observation = run_sync(api, path, client, _one_span_now(telemetry))
    assert observation.items == baseline.items
    assert observation.error == baseline.error
    if path == "caller-exception":
        assert observation.error == f"{__name__.partition('.')[0]}.CallerError"
    assert_one_span_ended_once(api, telemetry, observation, path, caplog)


async def check_async_exit(
    api: StreamingApi,
    path: str,
    client: Any,
    instrument: Callable[[], Telemetry],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    baseline = await run_async(api, path, client, _no_op)
    telemetry = instrument()
    observation = await run_async(api, path, client, _one_span_now(telemetry))
    assert observation.items == baseline.items
    assert observation.error == baseline.error
    if path == "cancel":
        assert observation.error == "asyncio.CancelledError"
    assert_one_span_ended_once(api, telemetry, observation, path, caplog)


def exit_cases(apis: list[StreamingApi], paths: list[str]) -> list[Any]:
    return [pytest.param(api, path, id=f"{api.name}-{path}") for api in apis for path in paths]
