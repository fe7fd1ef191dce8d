"""Mistral chat and embeddings through the real mistralai client over HTTP to the stand-in's Mistral format
(standin/mistral_api.py: stream usage on the last chunk, whole tool calls per delta, Mistral's error bodies).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from mistralai.client import Mistral, models
from mistralai.client.errors import HTTPValidationError, ResponseValidationError, SDKError
from mistralai.client.utils.eventstreaming import EventStream, EventStreamAsync
from opentelemetry.trace import SpanKind, StatusCode
from pydantic import BaseModel

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
from llmotel.providers.mistralai import MistralAIInstrumentor
from llmotel.standin import StandinServer

pytestmark = pytest.mark.usefixtures("young_heap")

SMALL = "mistral-small-latest"
CODESTRAL = "codestral-latest"


@pytest.fixture
def telemetry(instrument: Callable[..., Telemetry]) -> Telemetry:
    return instrument(MistralAIInstrumentor())


@pytest.fixture
def client(server: StandinServer) -> Iterator[Mistral]:
    with Mistral(api_key=API_KEY, server_url=server.url + "/mistral") as made:
        yield made


@pytest.fixture
async def async_client(server: StandinServer) -> AsyncIterator[Mistral]:
    async with Mistral(api_key=API_KEY, server_url=server.url + "/mistral") as made:
        yield made


# -- chat.complete ------------------------------------------------------------------------------------------------


def test_complete_span_metrics_and_same_result(telemetry: Telemetry, client: Mistral) -> None:
    response = client.chat.complete(
        model=SMALL,
        messages=MESSAGES,
        temperature=0.3,
        top_p=0.9,
        max_tokens=50,
        random_seed=7,
        stop=["END"],
        presence_penalty=0.1,
        frequency_penalty=0.2,
    )
    assert type(response) is models.ChatCompletionResponse
    span = telemetry.only_span()
    assert span.name == f"chat {SMALL}"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    attributes = dict(span.attributes or {})
    assert attributes["gen_ai.operation.name"] == "chat"
    assert attributes["gen_ai.provider.name"] == "mistral_ai"
    assert attributes["gen_ai.request.model"] == attributes["gen_ai.response.model"] == response.model == SMALL
    assert attributes["gen_ai.response.id"] == response.id
    assert attributes["gen_ai.request.temperature"] == 0.3
    assert attributes["gen_ai.request.top_p"] == 0.9
    assert attributes["gen_ai.request.max_tokens"] == 50
    assert attributes["gen_ai.request.seed"] == 7
    assert attributes["gen_ai.request.stop_sequences"] == ("END",)
    assert attributes["gen_ai.request.presence_penalty"] == 0.1
    assert attributes["gen_ai.request.frequency_penalty"] == 0.2
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert attributes["gen_ai.usage.input_tokens"] == response.usage.prompt_tokens
    assert attributes["gen_ai.usage.output_tokens"] == response.usage.completion_tokens > 0
    assert attributes["server.address"] == "127.0.0.1"
    assert isinstance(attributes["server.port"], int)
    assert "gen_ai.request.stream" not in attributes
    assert "gen_ai.input.messages" not in attributes
    assert API_KEY not in json.dumps(attributes)
    metrics = telemetry.metrics()
    duration = point(metrics["gen_ai.client.operation.duration"], **{"gen_ai.provider.name": "mistral_ai"})
    assert duration.count == 1
    usage = metrics["gen_ai.client.token.usage"]
    assert point(usage, **{"gen_ai.token.type": "input"}).sum == response.usage.prompt_tokens
    assert point(usage, **{"gen_ai.token.type": "output"}).sum == response.usage.completion_tokens


async def test_complete_async(telemetry: Telemetry, async_client: Mistral) -> None:
    response = await async_client.chat.complete_async(model=SMALL, messages=MESSAGES, n=2, stop="END")
    attributes = telemetry.only_span().attributes
    assert attributes["gen_ai.response.id"] == response.id
    assert attributes["gen_ai.request.choice.count"] == 2
    assert attributes["gen_ai.request.stop_sequences"] == ("END",)
    assert attributes["gen_ai.response.finish_reasons"] == ("stop", "stop")
    assert attributes["gen_ai.usage.output_tokens"] == response.usage.completion_tokens


def test_server_url_per_call(telemetry: Telemetry, server: StandinServer) -> None:
    with Mistral(api_key=API_KEY, server_url="https://api.mistral.invalid") as client:
        client.chat.complete(
            model=SMALL, messages=MESSAGES, server_url=server.url.replace("127.0.0.1", "localhost") + "/mistral"
        )
    attributes = telemetry.only_span().attributes
    assert attributes["server.address"] == "localhost"
    assert attributes["server.port"] == int(server.url.rsplit(":", 1)[1])


def test_cached_and_reasoning_tokens(telemetry: Telemetry, client: Mistral) -> None:
    response = client.chat.complete(
        model=SMALL, messages=MESSAGES, prompt_cache_key="session-1", reasoning_effort="high"
    )
    details = response.usage.additional_properties  # the SDK does not model these: they stay plain dicts
    assert details["prompt_tokens_details"]["cached_tokens"] == 2
    assert details["completion_tokens_details"]["reasoning_tokens"] == 32
    attributes = telemetry.only_span().attributes
    assert attributes["gen_ai.usage.input_tokens"] == response.usage.prompt_tokens
    assert attributes["gen_ai.usage.cache_read.input_tokens"] == 2
    assert attributes["gen_ai.usage.reasoning.output_tokens"] == 32


def test_finish_reason_length(telemetry: Telemetry, client: Mistral) -> None:
    response = client.chat.complete(model=SMALL, messages=MESSAGES, max_tokens=3)
    assert response.choices[0].finish_reason == "length"
    attributes = telemetry.only_span().attributes
    assert attributes["gen_ai.response.finish_reasons"] == ("length",)
    assert attributes["gen_ai.usage.output_tokens"] == 3


class Greeting(BaseModel):
    greeting: str


def test_parse_goes_through_complete(telemetry: Telemetry, client: Mistral) -> None:
    parsed = client.chat.parse(Greeting, model=SMALL, messages=MESSAGES)
    assert isinstance(parsed.choices[0].message.parsed, Greeting)
    attributes = telemetry.only_span().attributes
    assert attributes["gen_ai.output.type"] == "json"  # parse() passes an SDK ResponseFormat model
    assert attributes["gen_ai.response.id"] == parsed.id


# -- chat.stream ----------------------------------------------------------------------------------------------------


def test_stream_usage_from_the_last_chunk(telemetry: Telemetry, client: Mistral) -> None:
    stream = client.chat.stream(model=SMALL, messages=MESSAGES)
    assert isinstance(stream, EventStream)
    events = list(stream)
    final = events[-1].data
    assert final.usage is not None and final.choices[0].finish_reason == "stop"
    attributes = telemetry.only_span().attributes
    assert attributes["gen_ai.request.stream"] is True
    assert attributes["gen_ai.response.id"] == events[0].data.id
    assert attributes["gen_ai.response.model"] == SMALL
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert attributes["gen_ai.usage.input_tokens"] == final.usage.prompt_tokens
    assert attributes["gen_ai.usage.output_tokens"] == final.usage.completion_tokens > 0
    assert attributes["gen_ai.response.time_to_first_chunk"] > 0
    metrics = telemetry.metrics()
    assert metrics["gen_ai.client.operation.time_to_first_chunk"][0].count == 1
    assert metrics["gen_ai.client.operation.time_per_output_chunk"][0].count == 1


async def test_stream_async_in_a_with_block(telemetry: Telemetry, async_client: Mistral) -> None:
    stream = await async_client.chat.stream_async(model=SMALL, messages=MESSAGES)
    assert isinstance(stream, EventStreamAsync)
    async with stream as events:
        received = [event async for event in events]
    attributes = telemetry.only_span().attributes
    assert attributes["gen_ai.request.stream"] is True
    assert attributes["gen_ai.usage.output_tokens"] == received[-1].data.usage.completion_tokens


# -- tools and content --------------------------------------------------------------------------------------------


def test_tool_call_content(
    monkeypatch: pytest.MonkeyPatch, instrument: Callable[..., Telemetry], client: Mistral
) -> None:
    monkeypatch.setenv(CAPTURE_ENV, "SPAN_AND_EVENT")
    telemetry = instrument(MistralAIInstrumentor())
    response = client.chat.complete(model=SMALL, messages=TOOL_MESSAGES, tools=[WEATHER_TOOL], tool_choice="auto")
    tool_call = response.choices[0].message.tool_calls[0]
    attributes = telemetry.only_span().attributes
    assert attributes["gen_ai.response.finish_reasons"] == ("tool_calls",)
    output = json.loads(attributes["gen_ai.output.messages"])
    assert output == tool_call_output(tool_call.id, tool_call.function.arguments)
    assert json.loads(attributes["gen_ai.input.messages"]) == TOOL_MESSAGES_CAPTURED
    assert json.loads(attributes["gen_ai.tool.definitions"]) == [WEATHER_TOOL]
    (event,) = telemetry.events("gen_ai.client.inference.operation.details")
    assert event.attributes["gen_ai.response.id"] == response.id


def test_streamed_tool_call_content(
    monkeypatch: pytest.MonkeyPatch, instrument: Callable[..., Telemetry], client: Mistral
) -> None:
    monkeypatch.setenv(CAPTURE_ENV, "SPAN_ONLY")
    telemetry = instrument(MistralAIInstrumentor())
    events = list(client.chat.stream(model=SMALL, messages=TOOL_MESSAGES, tools=[WEATHER_TOOL]))
    (tool_call,) = [call for event in events for choice in event.data.choices for call in choice.delta.tool_calls or ()]
    output = json.loads(telemetry.only_span().attributes["gen_ai.output.messages"])
    assert output == tool_call_output(tool_call.id, tool_call.function.arguments)


def test_sdk_models_and_tool_result_turn_content(
    monkeypatch: pytest.MonkeyPatch, instrument: Callable[..., Telemetry], client: Mistral
) -> None:
    monkeypatch.setenv(CAPTURE_ENV, "SPAN_ONLY")
    telemetry = instrument(MistralAIInstrumentor())
    call = models.ToolCall(id="call_1", function=models.FunctionCall(name="get_weather", arguments={"city": "Seoul"}))
    events = list(
        client.chat.stream(
            model=SMALL,
            messages=[
                models.UserMessage(content=[models.TextChunk(text="Use get_weather for Seoul")]),
                models.AssistantMessage(tool_calls=[call]),
                models.ToolMessage(tool_call_id="call_1", content="12 C"),
            ],
            tools=[models.Tool(function=models.Function(name="get_weather", parameters={"type": "object"}))],
        )
    )
    text = "".join(choice.delta.content or "" for event in events for choice in event.data.choices)
    attributes = telemetry.only_span().attributes
    inputs = json.loads(attributes["gen_ai.input.messages"])
    assert inputs == [
        {"role": "user", "parts": [{"type": "text", "content": "Use get_weather for Seoul"}]},
        {
            "role": "assistant",
            "parts": [{"type": "tool_call", "id": "call_1", "name": "get_weather", "arguments": {"city": "Seoul"}}],
        },
        {"role": "tool", "parts": [{"type": "tool_call_response", "id": "call_1", "response": "12 C"}]},
    ]
    assert json.loads(attributes["gen_ai.tool.definitions"])[0]["function"]["name"] == "get_weather"
    output = json.loads(attributes["gen_ai.output.messages"])
    assert output == [{"role": "assistant", "parts": [{"type": "text", "content": text}], "finish_reason": "stop"}]


# -- fim (fill in the middle) ----------------------------------------------------------------------------------------


def test_fim_complete_with_content(
    monkeypatch: pytest.MonkeyPatch, instrument: Callable[..., Telemetry], client: Mistral
) -> None:
    monkeypatch.setenv(CAPTURE_ENV, "SPAN_ONLY")
    telemetry = instrument(MistralAIInstrumentor())
    response = client.fim.complete(model=CODESTRAL, prompt="def add(a, b):", suffix="return total", max_tokens=20)
    assert type(response) is models.FIMCompletionResponse
    span = telemetry.only_span()
    assert span.name == f"text_completion {CODESTRAL}"
    attributes = span.attributes
    assert attributes["gen_ai.operation.name"] == "text_completion"
    assert attributes["gen_ai.provider.name"] == "mistral_ai"
    assert attributes["gen_ai.request.max_tokens"] == 20
    assert attributes["gen_ai.response.id"] == response.id
    assert attributes["gen_ai.usage.input_tokens"] == response.usage.prompt_tokens
    assert attributes["gen_ai.usage.output_tokens"] == response.usage.completion_tokens
    assert json.loads(attributes["gen_ai.input.messages"]) == [
        {
            "role": "user",
            "parts": [{"type": "text", "content": "def add(a, b):"}, {"type": "text", "content": "return total"}],
        }
    ]
    output = json.loads(attributes["gen_ai.output.messages"])
    assert output[0]["parts"] == [{"type": "text", "content": response.choices[0].message.content}]


async def test_fim_async_and_stream_async(telemetry: Telemetry, async_client: Mistral) -> None:
    response = await async_client.fim.complete_async(model=CODESTRAL, prompt="def add(a, b):")
    stream = await async_client.fim.stream_async(model=CODESTRAL, prompt="def add(a, b):")
    events = [event async for event in stream]
    whole, streamed = telemetry.genai_spans()
    assert whole.attributes["gen_ai.response.id"] == response.id
    assert streamed.attributes["gen_ai.operation.name"] == "text_completion"
    assert streamed.attributes["gen_ai.request.stream"] is True
    assert streamed.attributes["gen_ai.usage.output_tokens"] == events[-1].data.usage.completion_tokens


# -- embeddings -------------------------------------------------------------------------------------------------------


def test_embeddings(telemetry: Telemetry, client: Mistral) -> None:
    response = client.embeddings.create(model="mistral-embed", inputs=["one two", "three"], encoding_format="float")
    assert type(response) is models.EmbeddingResponse
    span = telemetry.only_span()
    assert span.name == "embeddings mistral-embed"
    attributes = span.attributes
    assert attributes["gen_ai.operation.name"] == "embeddings"
    assert attributes["gen_ai.provider.name"] == "mistral_ai"
    assert attributes["gen_ai.request.encoding_formats"] == ("float",)
    assert attributes["gen_ai.usage.input_tokens"] == response.usage.prompt_tokens == 3
    assert attributes["gen_ai.embeddings.dimension.count"] == len(response.data[0].embedding) == 1024


async def test_embeddings_async(telemetry: Telemetry, async_client: Mistral) -> None:
    response = await async_client.embeddings.create_async(model="mistral-embed", inputs="one two", output_dimension=256)
    attributes = telemetry.only_span().attributes
    assert attributes["gen_ai.embeddings.dimension.count"] == len(response.data[0].embedding) == 256
    assert attributes["gen_ai.usage.input_tokens"] == response.usage.prompt_tokens == 2


# -- errors -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scenario", ["error-429", "error-500", "error-401"])
@pytest.mark.parametrize("stream", [False, True], ids=["complete", "stream"])
def test_http_errors(telemetry: Telemetry, client: Mistral, scenario: str, stream: bool) -> None:
    call = client.chat.stream if stream else client.chat.complete
    with pytest.raises(SDKError) as raised:
        call(model=SMALL, messages=MESSAGES, http_headers={"x-standin-scenario": scenario})
    assert type(raised.value) is SDKError
    assert raised.value.status_code == int(scenario.removeprefix("error-"))
    span = telemetry.only_span()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "mistralai.SDKError"
    assert (
        point(telemetry.metrics()["gen_ai.client.operation.duration"], **{"error.type": "mistralai.SDKError"}).count
        == 1
    )
    assert telemetry.events("gen_ai.client.operation.exception")


@pytest.mark.parametrize("scenario", ["error-event-after-2", "malformed-json"])
async def test_mid_stream_failure(telemetry: Telemetry, client: Mistral, async_client: Mistral, scenario: str) -> None:
    headers = {"x-standin-scenario": scenario}
    with pytest.raises(ResponseValidationError):  # the SDK cannot read the event as a chunk
        list(client.chat.stream(model=SMALL, messages=MESSAGES, http_headers=headers))
    with pytest.raises(ResponseValidationError):
        [
            event
            async for event in await async_client.chat.stream_async(
                model=SMALL, messages=MESSAGES, http_headers=headers
            )
        ]
    spans = telemetry.genai_spans()
    assert len(spans) == 2
    for span in spans:
        assert span.status.status_code is StatusCode.ERROR
        assert span.attributes["error.type"] == "mistralai.ResponseValidationError"
        assert span.attributes["gen_ai.response.id"]  # the chunks before the failure were recorded


async def test_validation_error_async(telemetry: Telemetry, async_client: Mistral) -> None:
    with pytest.raises(HTTPValidationError):
        await async_client.chat.complete_async(model=SMALL, messages=[])
    assert telemetry.only_span().attributes["error.type"] == "mistralai.HTTPValidationError"


async def test_embeddings_error_async(telemetry: Telemetry, async_client: Mistral) -> None:
    with pytest.raises(SDKError):
        await async_client.embeddings.create_async(model="standin-error-503", inputs="one")
    assert telemetry.only_span().attributes["error.type"] == "mistralai.SDKError"


# -- modes and lifecycle ------------------------------------------------------------------------------------------


def test_latest_semconv_mode(
    monkeypatch: pytest.MonkeyPatch, instrument: Callable[..., Telemetry], client: Mistral
) -> None:
    monkeypatch.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", "gen_ai_latest_experimental")
    telemetry = instrument(MistralAIInstrumentor())
    events = list(client.chat.stream(model=SMALL, messages=MESSAGES))
    usage = events[-1].data.usage
    metrics = telemetry.metrics()
    assert "gen_ai.client.token.usage" not in metrics
    assert point(metrics["gen_ai.client.inference.duration"], **{"gen_ai.provider.name": "mistral_ai"}).count == 1
    assert point(metrics["gen_ai.client.inference.time_to_first_chunk"]).count == 1
    output = point(metrics["gen_ai.client.inference.usage.output_tokens"], **{"gen_ai.token.modality": "text"})
    assert output.value == usage.completion_tokens


def test_uninstrument(telemetry: Telemetry, client: Mistral) -> None:
    stream = client.chat.stream(model=SMALL, messages=MESSAGES)
    assert type(stream) is not EventStream
    stream.close()
    MistralAIInstrumentor().uninstrument()
    plain = client.chat.stream(model=SMALL, messages=MESSAGES)
    assert type(plain) is EventStream
    list(plain)
    client.chat.complete(model=SMALL, messages=MESSAGES)
    client.embeddings.create(model="mistral-embed", inputs="one")
    assert len(telemetry.genai_spans()) == 1


# -- the stream exit-path matrix --------------------------------------------------------------------------------------


def _stream(client: Any, headers: Headers) -> Any:
    return client.chat.stream(model=SMALL, messages=MESSAGES, http_headers=headers)


def _stream_async(client: Any, headers: Headers) -> Any:
    return client.chat.stream_async(model=SMALL, messages=MESSAGES, http_headers=headers)


def _fim_stream(client: Any, headers: Headers) -> Any:
    return client.fim.stream(model=CODESTRAL, prompt="def add(a, b):", http_headers=headers)


def _fim_stream_async(client: Any, headers: Headers) -> Any:
    return client.fim.stream_async(model=CODESTRAL, prompt="def add(a, b):", http_headers=headers)


def _event_stream_api(name: str, open_sync: Callable[..., Any], open_async: Callable[..., Any]) -> StreamingApi:
    return StreamingApi(
        name,
        "mistralai",
        open_sync,
        lambda c, h: awaited(open_async(c, h)),
        kind=lambda event: str(event.data.object),
        text=lambda event: "".join(choice.delta.content or "" for choice in event.data.choices),
        response_id=lambda events: str(events[0].data.id) if events else None,
    )


APIS = [
    _event_stream_api("mistral-chat-stream", _stream, _stream_async),
    _event_stream_api("mistral-fim-stream", _fim_stream, _fim_stream_async),
]


@pytest.mark.parametrize(("api", "path"), exit_cases(APIS, SYNC_PATHS))
def test_sync_exit_path(
    api: StreamingApi,
    path: str,
    instrument: Callable[..., Telemetry],
    client: Mistral,
    caplog: pytest.LogCaptureFixture,
) -> None:
    check_sync_exit(api, path, client, lambda: instrument(MistralAIInstrumentor()), caplog)


@pytest.mark.parametrize(("api", "path"), exit_cases(APIS, ASYNC_PATHS))
async def test_async_exit_path(
    api: StreamingApi,
    path: str,
    instrument: Callable[..., Telemetry],
    async_client: Mistral,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await check_async_exit(api, path, async_client, lambda: instrument(MistralAIInstrumentor()), caplog)
