"""Eight calls at once, on threads and on asyncio tasks: each span describes its own call and nests under its caller.

The calls mix providers, APIs, streaming and non-streaming, models, prompt lengths and reply lengths, so every call's
model, response id and token counts differ; a span that took another call's chunks or context shows it. Streams are
consumed a chunk at a time with a yield in between, so the calls interleave chunk by chunk.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import anthropic
import openai
from opentelemetry import trace

from llm_support import Telemetry, point

WORKERS = 8


@dataclass(frozen=True)
class Reported:
    """What the SDK handed the caller about its own call."""

    response_id: str
    response_model: str
    input_tokens: int
    output_tokens: int


@dataclass(frozen=True)
class Outcome:
    model: str
    reported: Reported
    caller_span_id: int
    caller_trace_id: int
    own_span_current_after: bool


@dataclass(frozen=True)
class Job:
    index: int
    kind: str
    model: str

    @property
    def headers(self) -> dict[str, str]:
        return {"x-standin-chunks": str(3 + self.index)}  # a reply length of its own

    @property
    def prompt(self) -> str:
        return " ".join(["hello"] * (2 + 3 * self.index))  # a prompt length of its own


JOBS = [
    Job(0, "chat", "gpt-4o"),
    Job(1, "chat-stream", "gpt-4o-mini"),
    Job(2, "responses", "gpt-4.1"),
    Job(3, "responses-stream", "gpt-4.1-mini"),
    Job(4, "messages", "claude-haiku-4-5"),
    Job(5, "messages-stream", "claude-opus-4-1"),
    Job(6, "messages-helper", "claude-opus-4-5"),
    Job(7, "chat-stream", "gpt-4.1-nano"),
]
assert len(JOBS) == WORKERS


def _pause() -> None:
    time.sleep(0.001)  # let another thread take the GIL between chunks


def run_job(job: Job, openai_client: openai.OpenAI, anthropic_client: anthropic.Anthropic) -> Reported:
    messages = [{"role": "user", "content": job.prompt}]
    if job.kind == "chat":
        completion = openai_client.chat.completions.create(
            model=job.model, messages=messages, extra_headers=job.headers
        )
        usage = completion.usage
        return Reported(completion.id, completion.model, usage.prompt_tokens, usage.completion_tokens)
    if job.kind == "chat-stream":
        chunks = []
        for chunk in openai_client.chat.completions.create(
            model=job.model,
            messages=messages,
            stream=True,
            stream_options={"include_usage": True},
            extra_headers=job.headers,
        ):
            chunks.append(chunk)
            _pause()
        usage = chunks[-1].usage
        return Reported(chunks[0].id, chunks[0].model, usage.prompt_tokens, usage.completion_tokens)
    if job.kind == "responses":
        response = openai_client.responses.create(model=job.model, input=job.prompt, extra_headers=job.headers)
        return Reported(response.id, response.model, response.usage.input_tokens, response.usage.output_tokens)
    if job.kind == "responses-stream":
        events = []
        for event in openai_client.responses.create(
            model=job.model, input=job.prompt, stream=True, extra_headers=job.headers
        ):
            events.append(event)
            _pause()
        final = events[-1].response
        return Reported(final.id, final.model, final.usage.input_tokens, final.usage.output_tokens)
    if job.kind == "messages":
        message = anthropic_client.messages.create(
            model=job.model, max_tokens=200, messages=messages, extra_headers=job.headers
        )
        return Reported(message.id, message.model, message.usage.input_tokens, message.usage.output_tokens)
    if job.kind == "messages-stream":
        raw = []
        for event in anthropic_client.messages.create(
            model=job.model, max_tokens=200, messages=messages, stream=True, extra_headers=job.headers
        ):
            raw.append(event)
            _pause()
        return _reported_by_events(raw)
    if job.kind == "messages-helper":
        with anthropic_client.messages.stream(
            model=job.model, max_tokens=200, messages=messages, extra_headers=job.headers
        ) as stream:
            for _ in stream.text_stream:
                _pause()
            final = stream.get_final_message()
        return Reported(final.id, final.model, final.usage.input_tokens, final.usage.output_tokens)
    raise AssertionError(job.kind)


async def run_job_async(
    job: Job, openai_client: openai.AsyncOpenAI, anthropic_client: anthropic.AsyncAnthropic
) -> Reported:
    messages = [{"role": "user", "content": job.prompt}]
    if job.kind == "chat":
        completion = await openai_client.chat.completions.create(
            model=job.model, messages=messages, extra_headers=job.headers
        )
        usage = completion.usage
        return Reported(completion.id, completion.model, usage.prompt_tokens, usage.completion_tokens)
    if job.kind == "chat-stream":
        chunks = []
        stream = await openai_client.chat.completions.create(
            model=job.model,
            messages=messages,
            stream=True,
            stream_options={"include_usage": True},
            extra_headers=job.headers,
        )
        async for chunk in stream:
            chunks.append(chunk)
            await asyncio.sleep(0)
        usage = chunks[-1].usage
        return Reported(chunks[0].id, chunks[0].model, usage.prompt_tokens, usage.completion_tokens)
    if job.kind == "responses":
        response = await openai_client.responses.create(model=job.model, input=job.prompt, extra_headers=job.headers)
        return Reported(response.id, response.model, response.usage.input_tokens, response.usage.output_tokens)
    if job.kind == "responses-stream":
        events = []
        stream = await openai_client.responses.create(
            model=job.model, input=job.prompt, stream=True, extra_headers=job.headers
        )
        async for event in stream:
            events.append(event)
            await asyncio.sleep(0)
        final = events[-1].response
        return Reported(final.id, final.model, final.usage.input_tokens, final.usage.output_tokens)
    if job.kind == "messages":
        message = await anthropic_client.messages.create(
            model=job.model, max_tokens=200, messages=messages, extra_headers=job.headers
        )
        return Reported(message.id, message.model, message.usage.input_tokens, message.usage.output_tokens)
    if job.kind == "messages-stream":
        raw = []
        stream = await anthropic_client.messages.create(
            model=job.model, max_tokens=200, messages=messages, stream=True, extra_headers=job.headers
        )
        async for event in stream:
            raw.append(event)
            await asyncio.sleep(0)
        return _reported_by_events(raw)
    if job.kind == "messages-helper":
        async with anthropic_client.messages.stream(
            model=job.model, max_tokens=200, messages=messages, extra_headers=job.headers
        ) as helper:
            async for _ in helper.text_stream:
                await asyncio.sleep(0)
            final = await helper.get_final_message()
        return Reported(final.id, final.model, final.usage.input_tokens, final.usage.output_tokens)
    raise AssertionError(job.kind)


def _reported_by_events(events: list[Any]) -> Reported:
    start = events[0].message
    delta = next(event for event in events if event.type == "message_delta")
    return Reported(start.id, start.model, start.usage.input_tokens, delta.usage.output_tokens)


def assert_each_span_is_its_own_call(telemetry: Telemetry, outcomes: list[Outcome]) -> None:
    spans = telemetry.genai_spans()
    assert len(spans) == WORKERS, [span.name for span in spans]
    by_response_id = {span.attributes["gen_ai.response.id"]: span for span in spans}
    assert len(by_response_id) == WORKERS  # no span took another call's id
    llm_span_ids = {span.context.span_id for span in spans}
    assert len({outcome.reported.input_tokens for outcome in outcomes}) == WORKERS  # the calls are told apart
    assert len({outcome.reported.output_tokens for outcome in outcomes}) == WORKERS
    for outcome in outcomes:
        reported = outcome.reported
        span = by_response_id[reported.response_id]
        attributes = span.attributes or {}
        assert span.name == f"chat {outcome.model}"
        assert attributes["gen_ai.request.model"] == outcome.model
        assert attributes["gen_ai.response.model"] == reported.response_model
        assert attributes["gen_ai.usage.input_tokens"] == reported.input_tokens, outcome
        assert attributes["gen_ai.usage.output_tokens"] == reported.output_tokens, outcome
        assert span.start_time is not None and span.end_time is not None and span.end_time > span.start_time
        assert span.parent is not None and span.parent.span_id not in llm_span_ids
        assert span.parent.span_id == outcome.caller_span_id  # under its own caller, not a neighbour's
        assert span.context.trace_id == outcome.caller_trace_id
        assert outcome.own_span_current_after
    durations = telemetry.metrics()["gen_ai.client.operation.duration"]
    for job in JOBS:
        assert point(durations, **{"gen_ai.request.model": job.model}).count == 1


def test_threads(telemetry: Telemetry, openai_client: openai.OpenAI, anthropic_client: anthropic.Anthropic) -> None:
    tracer = telemetry.tracer_provider.get_tracer("t")
    start_together = threading.Barrier(WORKERS)

    def work(job: Job) -> Outcome:
        with tracer.start_as_current_span(f"caller {job.index}") as caller:
            start_together.wait(timeout=10)
            reported = run_job(job, openai_client, anthropic_client)
            current = trace.get_current_span() is caller
        context = caller.get_span_context()
        return Outcome(job.model, reported, context.span_id, context.trace_id, current)

    with ThreadPoolExecutor(WORKERS) as pool:
        outcomes = list(pool.map(work, JOBS))
    assert_each_span_is_its_own_call(telemetry, outcomes)


async def test_tasks(
    telemetry: Telemetry, async_openai_client: openai.AsyncOpenAI, async_anthropic_client: anthropic.AsyncAnthropic
) -> None:
    tracer = telemetry.tracer_provider.get_tracer("t")

    async def work(job: Job) -> Outcome:
        with tracer.start_as_current_span(f"caller {job.index}") as caller:
            reported = await run_job_async(job, async_openai_client, async_anthropic_client)
            current = trace.get_current_span() is caller
        context = caller.get_span_context()
        return Outcome(job.model, reported, context.span_id, context.trace_id, current)

    with tracer.start_as_current_span("gather") as gathering:
        calls: list[Awaitable[Outcome]] = [work(job) for job in JOBS]
        outcomes = await asyncio.gather(*calls)
        assert trace.get_current_span() is gathering
    assert_each_span_is_its_own_call(telemetry, list(outcomes))
