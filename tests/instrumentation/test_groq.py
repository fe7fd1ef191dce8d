"""Groq chat completions and embeddings through the real groq client over HTTP to the stand-in's Groq format
(standin/groq_api.py: OpenAI's shapes under /openai/v1, Groq's timings in usage, stream usage in `x_groq.usage`).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import groq
import pytest
from opentelemetry.trace import SpanKind, StatusCode

from chat_tools import (
    CAPTURE_ENV,
    MESSAGES,
    TOOL_MESSAGES,
    TOOL_MESSAGES_CAPTURED,
    WEATHER_TOOL,
    tool_call_output,
)
from exit_matrix import (
    ASYNC_PATHS,
    SYNC_PATHS,
    Headers,
    StreamingApi,
    awaited,
    check_async_exit,
    check_sync_exit,
    exit_cases,
)
from llm_support import API_KEY, Telemetry, point
from llmotel.providers.groq import GroqInstrumentor
from llmotel.standin import StandinServer
from llmotel.standin.groq_api import TIMINGS

pytestmark = pytest.mark.usefixtures("young_heap")

LLAMA = "llama-3.1-8b-instant"


@pytest.fixture
def telemetry(instrument: Callable[..., Telemetry]) -> Telemetry:
    return instrument(GroqInstrumentor())


@pytest.fixture
def client(server: StandinServer) -> Iterator[groq.Groq]:
    with groq.Groq(base_url=server.url + "/groq", api_key=API_KEY, max_retries=0) as made:
        yield made


@pytest.fixture
async def async_client(server: StandinServer) -> AsyncIterator[groq.AsyncGroq]:
    async with groq.AsyncGroq(base_url=server.url + "/groq", api_key=API_KEY, max_retries=0) as made:
        yield made


def assert_timings(attributes: Any) -> None:
    assert attributes["groq.usage.queue_time"] == TIMINGS["queue_time"]
    assert attributes["groq.usage.prompt_time"] == TIMINGS["prompt_time"]
    assert attributes["groq.usage.completion_time"] == TIMINGS["completion_time"]


# -- chat.completions.create -------------------------------------------------------------------------------------------


def test_chat_span_metrics_and_same_result(telemetry: Telemetry, client: groq.Groq) -> None:
    completion = client.chat.completions.create(
        model=LLAMA, messages=MESSAGES, temperature=0.3, max_completion_tokens=50, seed=7, stop="END"
    )
    assert type(completion) is groq.types.chat.ChatCompletion
    span = telemetry.only_span()
    assert span.name == f"chat {LLAMA}"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    attributes = dict(span.attributes or {})
    assert attributes["gen_ai.operation.name"] == "chat"
    assert attributes["gen_ai.provider.name"] == "groq"
    assert attributes["gen_ai.request.model"] == attributes["gen_ai.response.model"] == completion.model == LLAMA
    assert attributes["gen_ai.response.id"] == completion.id
    assert attributes["gen_ai.request.temperature"] == 0.3
    assert attributes["gen_ai.request.max_tokens"] == 50
    assert attributes["gen_ai.request.seed"] == 7
    assert attributes["gen_ai.request.stop_sequences"] == ("END",)
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert attributes["gen_ai.usage.input_tokens"] == completion.usage.prompt_tokens
    assert attributes["gen_ai.usage.output_tokens"] == completion.usage.completion_tokens > 0
    assert_timings(attributes)
    assert attributes["server.address"] == "127.0.0.1"
    assert isinstance(attributes["server.port"], int)
    assert not [key for key in attributes if key.startswith("openai.")]  # openai's extras are not Groq's
    assert "gen_ai.request.stream" not in attributes
    assert "gen_ai.input.messages" not in attributes
    assert API_KEY not in json.dumps(attributes)
    metrics = telemetry.metrics()
    duration = point(metrics["gen_ai.client.operation.duration"], **{"gen_ai.provider.name": "groq"})
    assert duration.count == 1
    usage = metrics["gen_ai.client.token.usage"]
    assert point(usage, **{"gen_ai.token.type": "input"}).sum == completion.usage.prompt_tokens
    assert point(usage, **{"gen_ai.token.type": "output"}).sum == completion.usage.completion_tokens


async def test_async_chat(telemetry: Telemetry, async_client: groq.AsyncGroq) -> None:
    completion = await async_client.chat.completions.create(model=LLAMA, messages=MESSAGES, n=2)
    attributes = telemetry.only_span().attributes
    assert attributes["gen_ai.response.id"] == completion.id
    assert attributes["gen_ai.request.choice.count"] == 2
    assert attributes["gen_ai.response.finish_reasons"] == ("stop", "stop")
    assert attributes["gen_ai.usage.output_tokens"] == completion.usage.completion_tokens


def test_cached_and_reasoning_tokens(telemetry: Telemetry, client: groq.Groq) -> None:
    completion = client.chat.completions.create(
        model=LLAMA, messages=MESSAGES, reasoning_effort="low", extra_body={"prompt_cache_key": "session-1"}
    )
    usage = completion.usage
    assert usage.prompt_tokens_details.cached_tokens == 2  # the stand-in caches all messages but the last
    assert usage.completion_tokens_details.reasoning_tokens == 8
    attributes = telemetry.only_span().attributes
    assert attributes["gen_ai.usage.input_tokens"] == usage.prompt_tokens  # cached tokens included, as Groq counts
    assert attributes["gen_ai.usage.cache_read.input_tokens"] == 2
    assert attributes["gen_ai.usage.reasoning.output_tokens"] == 8


def test_json_output_type(telemetry: Telemetry, client: groq.Groq) -> None:
    client.chat.completions.create(model=LLAMA, messages=MESSAGES, response_format={"type": "json_object"})
    assert telemetry.only_span().attributes["gen_ai.output.type"] == "json"


def test_with_raw_response(telemetry: Telemetry, client: groq.Groq) -> None:
    completion = client.chat.completions.with_raw_response.create(model=LLAMA, messages=MESSAGES).parse()
    attributes = telemetry.only_span().attributes
    assert attributes["gen_ai.response.id"] == completion.id
    assert attributes["gen_ai.usage.input_tokens"] == completion.usage.prompt_tokens


# -- streams -------------------------------------------------------------------------------------------------------


def test_stream_usage_from_x_groq(telemetry: Telemetry, client: groq.Groq) -> None:
    stream = client.chat.completions.create(model=LLAMA, messages=MESSAGES, stream=True)
    assert isinstance(stream, groq.Stream)
    chunks = list(stream)
    final = chunks[-1]
    assert final.usage is None and final.x_groq.usage is not None  # Groq's own place for a stream's usage
    attributes = telemetry.only_span().attributes
    assert attributes["gen_ai.request.stream"] is True
    assert attributes["gen_ai.response.id"] == chunks[0].id
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert attributes["gen_ai.usage.input_tokens"] == final.x_groq.usage.prompt_tokens
    assert attributes["gen_ai.usage.output_tokens"] == final.x_groq.usage.completion_tokens > 0
    assert attributes["gen_ai.response.time_to_first_chunk"] > 0
    assert_timings(attributes)
    metrics = telemetry.metrics()
    assert metrics["gen_ai.client.operation.time_to_first_chunk"][0].count == 1
    assert metrics["gen_ai.client.operation.time_per_output_chunk"][0].count == 1


def test_stream_usage_with_stream_options(telemetry: Telemetry, client: groq.Groq) -> None:
    chunks = list(
        client.chat.completions.create(
            model=LLAMA, messages=MESSAGES, stream=True, extra_body={"stream_options": {"include_usage": True}}
        )
    )
    assert chunks[-1].usage is not None
    attributes = telemetry.only_span().attributes
    assert attributes["gen_ai.usage.output_tokens"] == chunks[-1].usage.completion_tokens


async def test_async_stream(telemetry: Telemetry, async_client: groq.AsyncGroq) -> None:
    stream = await async_client.chat.completions.create(model=LLAMA, messages=MESSAGES, stream=True)
    chunks = [chunk async for chunk in stream]
    attributes = telemetry.only_span().attributes
    assert attributes["gen_ai.usage.output_tokens"] == chunks[-1].x_groq.usage.completion_tokens
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)


# -- tools and content --------------------------------------------------------------------------------------------


def test_tool_call_content(
    monkeypatch: pytest.MonkeyPatch, instrument: Callable[..., Telemetry], client: groq.Groq
) -> None:
    monkeypatch.setenv(CAPTURE_ENV, "SPAN_AND_EVENT")
    telemetry = instrument(GroqInstrumentor())
    completion = client.chat.completions.create(model=LLAMA, messages=TOOL_MESSAGES, tools=[WEATHER_TOOL])
    tool_call = completion.choices[0].message.tool_calls[0]
    attributes = telemetry.only_span().attributes
    assert attributes["gen_ai.response.finish_reasons"] == ("tool_calls",)
    output = json.loads(attributes["gen_ai.output.messages"])
    assert output == tool_call_output(tool_call.id, tool_call.function.arguments)
    assert json.loads(attributes["gen_ai.input.messages"]) == TOOL_MESSAGES_CAPTURED
    assert json.loads(attributes["gen_ai.tool.definitions"]) == [WEATHER_TOOL]
    (event,) = telemetry.events("gen_ai.client.inference.operation.details")
    assert event.attributes["gen_ai.response.id"] == completion.id


def test_streamed_tool_call_content(
    monkeypatch: pytest.MonkeyPatch, instrument: Callable[..., Telemetry], client: groq.Groq
) -> None:
    monkeypatch.setenv(CAPTURE_ENV, "SPAN_ONLY")
    telemetry = instrument(GroqInstrumentor())
    chunks = list(
        client.chat.completions.create(model=LLAMA, messages=TOOL_MESSAGES, tools=[WEATHER_TOOL], stream=True)
    )
    deltas = [c.choices[0].delta.tool_calls[0] for c in chunks if c.choices and c.choices[0].delta.tool_calls]
    arguments = "".join(delta.function.arguments or "" for delta in deltas)
    output = json.loads(telemetry.only_span().attributes["gen_ai.output.messages"])
    assert output == tool_call_output(deltas[0].id, arguments)


def test_tool_result_turn_content(
    monkeypatch: pytest.MonkeyPatch, instrument: Callable[..., Telemetry], client: groq.Groq
) -> None:
    monkeypatch.setenv(CAPTURE_ENV, "SPAN_ONLY")
    telemetry = instrument(GroqInstrumentor())
    call = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Seoul"}'}}
    completion = client.chat.completions.create(
        model=LLAMA,
        tools=[WEATHER_TOOL],
        messages=[
            *TOOL_MESSAGES,
            {"role": "assistant", "tool_calls": [call]},
            {"role": "tool", "tool_call_id": "call_1", "content": "12 C"},
        ],
    )
    attributes = telemetry.only_span().attributes
    inputs = json.loads(attributes["gen_ai.input.messages"])
    assert inputs[1]["parts"] == [
        {"type": "tool_call", "id": "call_1", "name": "get_weather", "arguments": {"city": "Seoul"}}
    ]
    assert inputs[2] == {"role": "tool", "parts": [{"type": "tool_call_response", "id": "call_1", "response": "12 C"}]}
    output = json.loads(attributes["gen_ai.output.messages"])
    assert output[0]["parts"] == [{"type": "text", "content": completion.choices[0].message.content}]


# -- embeddings -------------------------------------------------------------------------------------------------------


def test_embeddings(telemetry: Telemetry, client: groq.Groq) -> None:
    response = client.embeddings.create(
        model="nomic-embed-text-v1_5", input=["one two", "three"], encoding_format="float"
    )
    span = telemetry.only_span()
    assert span.name == "embeddings nomic-embed-text-v1_5"
    attributes = span.attributes
    assert attributes["gen_ai.operation.name"] == "embeddings"
    assert attributes["gen_ai.provider.name"] == "groq"
    assert attributes["gen_ai.request.encoding_formats"] == ("float",)
    assert attributes["gen_ai.usage.input_tokens"] == response.usage.prompt_tokens == 3
    assert attributes["gen_ai.embeddings.dimension.count"] == len(response.data[0].embedding)


async def test_async_embeddings(telemetry: Telemetry, async_client: groq.AsyncGroq) -> None:
    response = await async_client.embeddings.create(model="nomic-embed-text-v1_5", input="one two")
    attributes = telemetry.only_span().attributes
    assert attributes["gen_ai.operation.name"] == "embeddings"
    assert attributes["gen_ai.usage.input_tokens"] == response.usage.prompt_tokens == 2


# -- errors -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scenario", "error_class"),
    [
        ("error-429", groq.RateLimitError),
        ("error-500", groq.InternalServerError),
        ("error-400", groq.BadRequestError),
    ],
)
@pytest.mark.parametrize("stream", [False, True], ids=["create", "stream"])
def test_http_errors(telemetry: Telemetry, client: groq.Groq, scenario: str, error_class: type, stream: bool) -> None:
    with pytest.raises(groq.APIStatusError) as raised:
        client.chat.completions.create(
            model=LLAMA, messages=MESSAGES, stream=stream, extra_headers={"x-standin-scenario": scenario}
        )
    assert type(raised.value) is error_class
    expected = f"groq.{error_class.__name__}"
    span = telemetry.only_span()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == expected
    assert point(telemetry.metrics()["gen_ai.client.operation.duration"], **{"error.type": expected}).count == 1
    assert telemetry.events("gen_ai.client.operation.exception")


async def test_async_embeddings_error(telemetry: Telemetry, async_client: groq.AsyncGroq) -> None:
    with pytest.raises(groq.RateLimitError):
        await async_client.embeddings.create(model="standin-error-429", input="one")
    assert telemetry.only_span().attributes["error.type"] == "groq.RateLimitError"


def test_error_event_mid_stream(telemetry: Telemetry, client: groq.Groq) -> None:
    stream = client.chat.completions.create(
        model=LLAMA, messages=MESSAGES, stream=True, extra_headers={"x-standin-scenario": "error-event-after-2"}
    )
    with pytest.raises(groq.APIError):
        list(stream)
    span = telemetry.only_span()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "groq.APIError"


def test_retried_429_is_one_span(telemetry: Telemetry, server: StandinServer) -> None:
    with groq.Groq(base_url=server.url + "/groq", api_key=API_KEY, max_retries=2) as client:
        client.chat.completions.create(
            model=LLAMA, messages=MESSAGES, extra_headers={"x-standin-scenario": "error-429-once"}
        )
    assert len([r for r in server.requests if r.path.endswith("/chat/completions")]) == 2
    span = telemetry.only_span()
    assert span.status.status_code is StatusCode.UNSET


# -- modes and lifecycle ------------------------------------------------------------------------------------------


def test_latest_semconv_mode(
    monkeypatch: pytest.MonkeyPatch, instrument: Callable[..., Telemetry], client: groq.Groq
) -> None:
    monkeypatch.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", "gen_ai_latest_experimental")
    telemetry = instrument(GroqInstrumentor())
    completion = client.chat.completions.create(model=LLAMA, messages=MESSAGES, extra_body={"prompt_cache_key": "k"})
    attributes = telemetry.only_span().attributes
    assert attributes["gen_ai.usage.cache_read.input_tokens"] == completion.usage.prompt_tokens_details.cached_tokens
    metrics = telemetry.metrics()
    assert "gen_ai.client.token.usage" not in metrics
    assert point(metrics["gen_ai.client.inference.duration"], **{"gen_ai.provider.name": "groq"}).count == 1
    output = point(metrics["gen_ai.client.inference.usage.output_tokens"], **{"gen_ai.token.modality": "text"})
    assert output.value == completion.usage.completion_tokens


def test_uninstrument(telemetry: Telemetry, client: groq.Groq) -> None:
    stream = client.chat.completions.create(model=LLAMA, messages=MESSAGES, stream=True)
    assert type(stream) is not groq.Stream
    stream.close()
    GroqInstrumentor().uninstrument()
    assert type(client.chat.completions.create(model=LLAMA, messages=MESSAGES, stream=True)) is groq.Stream
    client.chat.completions.create(model=LLAMA, messages=MESSAGES)
    client.embeddings.create(model="nomic-embed-text-v1_5", input="one")
    assert len(telemetry.genai_spans()) == 1


# -- the stream exit-path matrix --------------------------------------------------------------------------------------


def _chat(client: Any, headers: Headers) -> Any:
    return client.chat.completions.create(model=LLAMA, messages=MESSAGES, stream=True, extra_headers=headers)


APIS = [StreamingApi("groq-chat", "groq", _chat, lambda c, h: awaited(_chat(c, h)))]


@pytest.mark.parametrize(("api", "path"), exit_cases(APIS, SYNC_PATHS))
def test_sync_exit_path(
    api: StreamingApi,
    path: str,
    instrument: Callable[..., Telemetry],
    client: groq.Groq,
    caplog: pytest.LogCaptureFixture,
) -> None:
    check_sync_exit(api, path, client, lambda: instrument(GroqInstrumentor()), caplog)


@pytest.mark.parametrize(("api", "path"), exit_cases(APIS, ASYNC_PATHS))
async def test_async_exit_path(
    api: StreamingApi,
    path: str,
    instrument: Callable[..., Telemetry],
    async_client: groq.AsyncGroq,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await check_async_exit(api, path, async_client, lambda: instrument(GroqInstrumentor()), caplog)
