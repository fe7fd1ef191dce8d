"""Cohere v2 (chat, chat_stream, embed) through the real cohere client over HTTP to the stand-in server.

Cohere reports two counts: `usage.tokens` (what the model processed, its prompt template included) and
`usage.billed_units` (what Cohere invoices). The semconv token attributes carry the first; the billed units go to
`cohere.usage.billed_units.*`. The stand-in's template adds PROMPT_TEMPLATE_TOKENS to the input; a follow-up turn
finds every message but the last in Cohere's cache (`usage.cached_tokens`).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import cohere
import pytest
from opentelemetry.trace import SpanKind, StatusCode

from chat_tools import TOOL_MESSAGES, WEATHER_TOOL
from exit_matrix import (
    ASYNC_PATHS,
    SYNC_PATHS,
    Headers,
    StreamingApi,
    as_is,
    check_async_exit,
    check_sync_exit,
    exit_cases,
)
from generator_streams import AsyncGeneratorStream, closing_sync
from llm_support import API_KEY, Telemetry, point
from llmotel.providers.cohere import CohereInstrumentor
from llmotel.standin import StandinServer
from llmotel.standin.cohere_api import PROMPT_TEMPLATE_TOKENS, THINKING_TEXT

pytestmark = pytest.mark.usefixtures("young_heap")

MODEL = "command-a-03-2025"
EMBED_MODEL = "embed-v4.0"
CAPTURE_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
MESSAGES = [{"role": "user", "content": "Say hello to the team"}]
SECOND_TURN = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Say hello to the team"},
    {"role": "assistant", "content": "Hello team"},
    {"role": "user", "content": "Now say goodbye"},
]


# Clients made before instrument() (these fixtures, for the tests that instrument in their body and for the exit
# matrix, whose baseline runs uninstrumented) opt out of the SDK's experimental-feature warnings: with them on,
# cohere's Client.__init__ binds chat_stream onto the instance, out of reach of the class patch (see the adapter).
@pytest.fixture
def client(server: StandinServer) -> Iterator[cohere.ClientV2]:
    yield cohere.ClientV2(api_key=API_KEY, base_url=server.url, max_retries=0, log_warning_experimental_features=False)


@pytest.fixture
async def async_client(server: StandinServer) -> AsyncIterator[cohere.AsyncClientV2]:
    yield cohere.AsyncClientV2(
        api_key=API_KEY, base_url=server.url, max_retries=0, log_warning_experimental_features=False
    )


@pytest.fixture
def cohere_telemetry(instrument: Callable[..., Telemetry]) -> Telemetry:
    return instrument(CohereInstrumentor())


def headers(scenario: str) -> Any:
    return {"additional_headers": {"x-standin-scenario": scenario}}


def assert_usage(attributes: Any, usage: Any) -> None:
    assert attributes["gen_ai.usage.input_tokens"] == usage.tokens.input_tokens
    assert attributes["gen_ai.usage.output_tokens"] == usage.tokens.output_tokens
    assert attributes["gen_ai.usage.cache_read.input_tokens"] == usage.cached_tokens
    assert attributes["cohere.usage.billed_units.input_tokens"] == usage.billed_units.input_tokens
    assert attributes["cohere.usage.billed_units.output_tokens"] == usage.billed_units.output_tokens


# -- chat --------------------------------------------------------------------------------------------------------------


def test_chat_span(cohere_telemetry: Telemetry, client: cohere.ClientV2, server: StandinServer) -> None:
    reply = client.chat(
        model=MODEL,
        messages=MESSAGES,
        max_tokens=100,
        temperature=0.3,
        p=0.9,
        k=40,
        seed=7,
        stop_sequences=["END"],
        frequency_penalty=0.1,
        presence_penalty=0.2,
    )
    assert type(reply).__name__ == "V2ChatResponse"
    span = cohere_telemetry.only_span()
    assert span.name == f"chat {MODEL}"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    attributes = span.attributes or {}
    assert attributes["gen_ai.operation.name"] == "chat"
    assert attributes["gen_ai.provider.name"] == "cohere"
    assert attributes["gen_ai.request.model"] == MODEL
    assert attributes["gen_ai.response.id"] == reply.id
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert reply.finish_reason == "COMPLETE"
    assert attributes["gen_ai.request.max_tokens"] == 100
    assert attributes["gen_ai.request.temperature"] == 0.3
    assert attributes["gen_ai.request.top_p"] == 0.9
    assert attributes["gen_ai.request.top_k"] == 40
    assert attributes["gen_ai.request.seed"] == 7
    assert attributes["gen_ai.request.stop_sequences"] == ("END",)
    assert attributes["gen_ai.request.frequency_penalty"] == 0.1
    assert attributes["gen_ai.request.presence_penalty"] == 0.2
    assert attributes["server.address"] == "127.0.0.1"
    assert attributes["server.port"] == int(server.url.rsplit(":", 1)[1])
    assert "gen_ai.request.stream" not in attributes
    assert "gen_ai.input.messages" not in attributes  # no content unless opted in
    assert API_KEY not in json.dumps(dict(attributes))
    assert_usage(attributes, reply.usage)
    assert reply.usage.tokens.input_tokens == reply.usage.billed_units.input_tokens + PROMPT_TEMPLATE_TOKENS
    usage_points = cohere_telemetry.metrics()["gen_ai.client.token.usage"]
    assert point(usage_points, **{"gen_ai.token.type": "input"}).sum == reply.usage.tokens.input_tokens
    assert point(usage_points, **{"gen_ai.token.type": "output"}).sum == reply.usage.tokens.output_tokens
    duration = cohere_telemetry.metrics()["gen_ai.client.operation.duration"]
    assert point(duration, **{"gen_ai.provider.name": "cohere", "gen_ai.request.model": MODEL}).count == 1


async def test_async_chat_span(cohere_telemetry: Telemetry, async_client: cohere.AsyncClientV2) -> None:
    reply = await async_client.chat(model=MODEL, messages=MESSAGES)
    span = cohere_telemetry.only_span()
    attributes = span.attributes or {}
    assert span.name == f"chat {MODEL}"
    assert attributes["gen_ai.response.id"] == reply.id
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert_usage(attributes, reply.usage)


def test_default_client_made_before_instrument(instrument: Callable[..., Telemetry], server: StandinServer) -> None:
    """chat goes through the raw client, so even a client made before instrument() with the SDK defaults is traced."""
    early = cohere.ClientV2(api_key=API_KEY, base_url=server.url)
    telemetry = instrument(CohereInstrumentor())
    reply = early.chat(model=MODEL, messages=MESSAGES)
    assert (telemetry.only_span().attributes or {})["gen_ai.response.id"] == reply.id


def test_default_client_made_after_instrument_streams(cohere_telemetry: Telemetry, server: StandinServer) -> None:
    events = list(cohere.ClientV2(api_key=API_KEY, base_url=server.url).chat_stream(model=MODEL, messages=MESSAGES))
    assert (cohere_telemetry.only_span().attributes or {})["gen_ai.response.id"] == events[0].id


def test_raw_response(cohere_telemetry: Telemetry, client: cohere.ClientV2) -> None:
    raw = client.with_raw_response.chat(model=MODEL, messages=MESSAGES)
    assert type(raw).__name__ == "HttpResponse"
    assert (cohere_telemetry.only_span().attributes or {})["gen_ai.response.id"] == raw.data.id


def test_v1_client_v2_namespace(cohere_telemetry: Telemetry, server: StandinServer) -> None:
    """The v1 client's `.v2` is the same V2Client: covered by the same patch."""
    reply = cohere.Client(api_key=API_KEY, base_url=server.url).v2.chat(model=MODEL, messages=MESSAGES)
    assert (cohere_telemetry.only_span().attributes or {})["gen_ai.response.id"] == reply.id


@pytest.mark.parametrize(
    ("request_fields", "reason", "cohere_reason"),
    [
        ({"max_tokens": 3}, "length", "MAX_TOKENS"),
        ({"tools": [WEATHER_TOOL], "messages": TOOL_MESSAGES}, "tool_call", "TOOL_CALL"),
    ],
    ids=["max-tokens", "tool-call"],
)
def test_finish_reasons(
    cohere_telemetry: Telemetry,
    client: cohere.ClientV2,
    request_fields: dict[str, Any],
    reason: str,
    cohere_reason: str,
) -> None:
    reply = client.chat(**{"model": MODEL, "messages": MESSAGES, **request_fields})
    assert reply.finish_reason == cohere_reason
    attributes = cohere_telemetry.only_span().attributes or {}
    assert attributes["gen_ai.response.finish_reasons"] == (reason,)
    assert_usage(attributes, reply.usage)


def test_json_output_and_cached_tokens(cohere_telemetry: Telemetry, client: cohere.ClientV2) -> None:
    reply = client.chat(model=MODEL, messages=SECOND_TURN, response_format={"type": "json_object"})
    assert json.loads(reply.message.content[0].text)["answer"]
    attributes = cohere_telemetry.only_span().attributes or {}
    assert attributes["gen_ai.output.type"] == "json"
    assert reply.usage.cached_tokens == 9  # the words of every message but the last
    assert_usage(attributes, reply.usage)
    assert attributes["gen_ai.usage.input_tokens"] > attributes["gen_ai.usage.cache_read.input_tokens"]


# -- chat_stream -------------------------------------------------------------------------------------------------------


def _stream_end(events: list[Any]) -> Any:
    return next(event for event in events if event.type == "message-end")


def test_chat_stream_usage_equals_the_reply(cohere_telemetry: Telemetry, client: cohere.ClientV2) -> None:
    reply = client.chat(model=MODEL, messages=SECOND_TURN)
    events = list(client.chat_stream(model=MODEL, messages=SECOND_TURN))
    whole, streamed = cohere_telemetry.genai_spans()
    attributes = streamed.attributes or {}
    assert streamed.name == f"chat {MODEL}"
    assert attributes["gen_ai.request.stream"] is True
    assert attributes["gen_ai.response.id"] == events[0].id
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert attributes["gen_ai.response.time_to_first_chunk"] > 0
    assert _stream_end(events).delta.usage == reply.usage
    assert_usage(attributes, reply.usage)
    usage_keys = [key for key in whole.attributes or {} if "usage" in key]
    assert {key: attributes[key] for key in usage_keys} == {key: (whole.attributes or {})[key] for key in usage_keys}
    metrics = cohere_telemetry.metrics()
    assert point(metrics["gen_ai.client.operation.time_to_first_chunk"], **{"gen_ai.provider.name": "cohere"}).count
    assert sum(p.count for p in metrics["gen_ai.client.operation.duration"]) == 2


async def test_async_chat_stream(cohere_telemetry: Telemetry, async_client: cohere.AsyncClientV2) -> None:
    events = [event async for event in async_client.chat_stream(model=MODEL, messages=MESSAGES, max_tokens=3)]
    span = cohere_telemetry.only_span()
    attributes = span.attributes or {}
    assert attributes["gen_ai.request.stream"] is True
    assert attributes["gen_ai.response.id"] == events[0].id
    assert attributes["gen_ai.response.finish_reasons"] == ("length",)
    assert_usage(attributes, _stream_end(events).delta.usage)


def test_in_stream_error_event(cohere_telemetry: Telemetry, client: cohere.ClientV2) -> None:
    """Cohere reports a generation that failed mid-stream as message-end with finish reason ERROR, no exception."""
    events = list(client.chat_stream(model=MODEL, messages=MESSAGES, request_options=headers("error-event-after-3")))
    assert _stream_end(events).delta.finish_reason == "ERROR"
    span = cohere_telemetry.only_span()
    assert (span.attributes or {})["gen_ai.response.finish_reasons"] == ("error",)


# -- content capture ---------------------------------------------------------------------------------------------------


def _tool_call_parts(tool_calls: Any) -> list[dict[str, Any]]:
    return [
        {
            "type": "tool_call",
            "id": call.id,
            "name": call.function.name,
            "arguments": json.loads(call.function.arguments),
        }
        for call in tool_calls
    ]


@pytest.mark.parametrize("stream", [False, True], ids=["chat", "chat_stream"])
def test_tool_call_content(
    monkeypatch: pytest.MonkeyPatch,
    instrument: Callable[..., Telemetry],
    client: cohere.ClientV2,
    stream: bool,
) -> None:
    monkeypatch.setenv(CAPTURE_ENV, "SPAN_AND_EVENT")
    telemetry = instrument(CohereInstrumentor())
    messages = [{"role": "system", "content": "Be brief."}, *TOOL_MESSAGES]
    if stream:
        events = list(client.chat_stream(model=MODEL, messages=messages, tools=[WEATHER_TOOL]))
        plan = "".join(event.delta.message.tool_plan for event in events if event.type == "tool-plan-delta")
        starts = [event.delta.message.tool_calls for event in events if event.type == "tool-call-start"]
        arguments = "".join(
            event.delta.message.tool_calls.function.arguments for event in events if event.type == "tool-call-delta"
        )
        calls = [{"type": "tool_call", "id": starts[0].id, "name": "get_weather", "arguments": json.loads(arguments)}]
    else:
        reply = client.chat(model=MODEL, messages=messages, tools=[WEATHER_TOOL])
        plan = reply.message.tool_plan
        calls = _tool_call_parts(reply.message.tool_calls)
    assert plan.startswith("I will call get_weather")
    attributes = telemetry.only_span().attributes or {}
    output = [
        {"role": "assistant", "parts": [{"type": "reasoning", "content": plan}, *calls], "finish_reason": "tool_call"}
    ]
    assert json.loads(attributes["gen_ai.output.messages"]) == output
    assert json.loads(attributes["gen_ai.input.messages"]) == [
        {"role": "system", "parts": [{"type": "text", "content": "Be brief."}]},
        {"role": "user", "parts": [{"type": "text", "content": "Use get_weather for Seoul"}]},
    ]
    assert json.loads(attributes["gen_ai.tool.definitions"]) == [WEATHER_TOOL]
    (event,) = telemetry.events("gen_ai.client.inference.operation.details")
    assert event.attributes["gen_ai.response.id"] == attributes["gen_ai.response.id"]


def test_tool_result_turn_content(
    monkeypatch: pytest.MonkeyPatch, instrument: Callable[..., Telemetry], client: cohere.ClientV2
) -> None:
    monkeypatch.setenv(CAPTURE_ENV, "SPAN_ONLY")
    telemetry = instrument(CohereInstrumentor())
    call = {
        "id": "get_weather_1",
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"city": "Seoul"}'},
    }
    reply = client.chat(
        model=MODEL,
        tools=[WEATHER_TOOL],
        messages=[
            *TOOL_MESSAGES,
            {"role": "assistant", "tool_plan": "I will call get_weather.", "tool_calls": [call]},
            {"role": "tool", "tool_call_id": "get_weather_1", "content": [{"type": "text", "text": "12 C"}]},
        ],
    )
    assert reply.finish_reason == "COMPLETE"
    attributes = telemetry.only_span().attributes or {}
    inputs = json.loads(attributes["gen_ai.input.messages"])
    assert inputs[1]["parts"] == [
        {"type": "tool_call", "id": "get_weather_1", "name": "get_weather", "arguments": {"city": "Seoul"}}
    ]
    assert inputs[2] == {
        "role": "tool",
        "parts": [
            {"type": "tool_call_response", "id": "get_weather_1", "response": [{"type": "text", "text": "12 C"}]}
        ],
    }
    output = json.loads(attributes["gen_ai.output.messages"])
    assert output == [
        {
            "role": "assistant",
            "parts": [{"type": "text", "content": reply.message.content[0].text}],
            "finish_reason": "stop",
        }
    ]


@pytest.mark.parametrize("stream", [False, True], ids=["chat", "chat_stream"])
async def test_thinking_content(
    monkeypatch: pytest.MonkeyPatch,
    instrument: Callable[..., Telemetry],
    async_client: cohere.AsyncClientV2,
    stream: bool,
) -> None:
    """Thinking comes back as reasoning parts; Cohere reports no separate reasoning token count."""
    monkeypatch.setenv(CAPTURE_ENV, "SPAN_ONLY")
    telemetry = instrument(CohereInstrumentor())
    request: dict[str, Any] = {"model": MODEL, "messages": MESSAGES, "thinking": {"type": "enabled"}}
    if stream:
        events = [event async for event in async_client.chat_stream(**request)]
        text = "".join(e.delta.message.content.text or "" for e in events if e.type == "content-delta")
    else:
        reply = await async_client.chat(**request)
        text = reply.message.content[1].text
    attributes = telemetry.only_span().attributes or {}
    parts = json.loads(attributes["gen_ai.output.messages"])[0]["parts"]
    assert parts == [{"type": "reasoning", "content": THINKING_TEXT}, {"type": "text", "content": text}]
    assert "gen_ai.usage.reasoning.output_tokens" not in attributes


# -- embed -------------------------------------------------------------------------------------------------------------


def test_embed_span(cohere_telemetry: Telemetry, client: cohere.ClientV2) -> None:
    response = client.embed(
        model=EMBED_MODEL,
        input_type="search_document",
        texts=["hello there", "good bye"],
        embedding_types=["float", "int8"],
        output_dimension=256,
    )
    assert len(response.embeddings.float_[0]) == len(response.embeddings.int8[0]) == 256
    span = cohere_telemetry.only_span()
    attributes = span.attributes or {}
    assert span.name == f"embeddings {EMBED_MODEL}"
    assert attributes["gen_ai.operation.name"] == "embeddings"
    assert attributes["gen_ai.provider.name"] == "cohere"
    assert attributes["gen_ai.response.id"] == response.id
    assert attributes["gen_ai.request.encoding_formats"] == ("float", "int8")
    assert attributes["gen_ai.embeddings.dimension.count"] == 256
    assert attributes["cohere.request.input_type"] == "search_document"
    assert attributes["gen_ai.usage.input_tokens"] == response.meta.billed_units.input_tokens == 4
    assert attributes["cohere.usage.billed_units.input_tokens"] == 4
    assert "gen_ai.usage.output_tokens" not in attributes


async def test_async_embed_binary(cohere_telemetry: Telemetry, async_client: cohere.AsyncClientV2) -> None:
    response = await async_client.embed(
        model=EMBED_MODEL, input_type="search_query", texts=["hello"], embedding_types=["binary"]
    )
    assert len(response.embeddings.binary[0]) == 1024 // 8
    attributes = cohere_telemetry.only_span().attributes or {}
    assert attributes["gen_ai.request.encoding_formats"] == ("binary",)
    assert "gen_ai.embeddings.dimension.count" not in attributes  # packed bits do not tell the dimensions
    assert attributes["gen_ai.usage.input_tokens"] == 1


# -- errors ------------------------------------------------------------------------------------------------------------


def _chat(client: Any, options: Any) -> Any:
    return client.chat(model=MODEL, messages=MESSAGES, request_options=options)


def _chat_stream(client: Any, options: Any) -> Any:
    return list(client.chat_stream(model=MODEL, messages=MESSAGES, request_options=options))


def _embed(client: Any, options: Any) -> Any:
    return client.embed(model=EMBED_MODEL, input_type="search_query", texts=["hi"], request_options=options)


@pytest.mark.parametrize(
    ("scenario", "error_class"),
    [("error-429", cohere.TooManyRequestsError), ("error-500", cohere.InternalServerError)],
)
@pytest.mark.parametrize("method", [_chat, _chat_stream, _embed], ids=["chat", "chat_stream", "embed"])
def test_http_errors(
    cohere_telemetry: Telemetry, client: cohere.ClientV2, scenario: str, error_class: type, method: Any
) -> None:
    with pytest.raises(cohere.core.ApiError) as raised:
        method(client, headers(scenario))
    assert type(raised.value) is error_class
    expected = f"cohere.{error_class.__name__}"
    span = cohere_telemetry.only_span()
    assert span.status.status_code is StatusCode.ERROR
    assert (span.attributes or {})["error.type"] == expected
    duration = cohere_telemetry.metrics()["gen_ai.client.operation.duration"]
    assert point(duration, **{"error.type": expected}).count == 1
    assert cohere_telemetry.events("gen_ai.client.operation.exception")


async def test_async_stream_error(cohere_telemetry: Telemetry, async_client: cohere.AsyncClientV2) -> None:
    with pytest.raises(cohere.TooManyRequestsError):
        async for _ in async_client.chat_stream(model=MODEL, messages=MESSAGES, request_options=headers("error-429")):
            raise AssertionError("a failed request yielded an event")
    assert (cohere_telemetry.only_span().attributes or {})["error.type"] == "cohere.TooManyRequestsError"


def test_retried_429_is_one_span(cohere_telemetry: Telemetry, server: StandinServer) -> None:
    retrying = cohere.ClientV2(api_key=API_KEY, base_url=server.url, max_retries=2)
    with pytest.raises(cohere.TooManyRequestsError):
        _chat(retrying, headers("error-429"))
    assert len([r for r in server.requests if r.path == "/v2/chat"]) == 3
    assert cohere_telemetry.only_span().status.status_code is StatusCode.ERROR


# -- lifecycle and modes -----------------------------------------------------------------------------------------------


def test_uninstrument(instrument: Callable[..., Telemetry], client: cohere.ClientV2) -> None:
    instrumentor = CohereInstrumentor()
    telemetry = instrument(instrumentor)
    client.chat(model=MODEL, messages=MESSAGES)
    instrumentor.uninstrument()
    client.chat(model=MODEL, messages=MESSAGES)
    list(client.chat_stream(model=MODEL, messages=MESSAGES))
    client.embed(model=EMBED_MODEL, input_type="search_query", texts=["hi"])
    assert len(telemetry.genai_spans()) == 1
    assert not hasattr(cohere.v2.client.V2Client.chat_stream, "__wrapped__")


def test_client_made_while_instrumented_stops_after_uninstrument(
    instrument: Callable[..., Telemetry], server: StandinServer
) -> None:
    """A default client keeps the patched chat_stream bound on itself; uninstrument still stops its recording."""
    instrumentor = CohereInstrumentor()
    telemetry = instrument(instrumentor)
    bound = cohere.ClientV2(api_key=API_KEY, base_url=server.url)
    list(bound.chat_stream(model=MODEL, messages=MESSAGES))
    instrumentor.uninstrument()
    list(bound.chat_stream(model=MODEL, messages=MESSAGES))
    bound.chat(model=MODEL, messages=MESSAGES)
    assert len(telemetry.genai_spans()) == 1


def test_latest_semconv_mode(
    monkeypatch: pytest.MonkeyPatch, instrument: Callable[..., Telemetry], client: cohere.ClientV2
) -> None:
    monkeypatch.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", "gen_ai_latest_experimental")
    telemetry = instrument(CohereInstrumentor())
    events = list(client.chat_stream(model=MODEL, messages=SECOND_TURN))
    usage = _stream_end(events).delta.usage
    attributes = telemetry.only_span().attributes or {}
    assert attributes["gen_ai.usage.input_tokens"] == usage.tokens.input_tokens
    assert attributes["gen_ai.usage.cache_read.input_tokens"] == usage.cached_tokens
    metrics = telemetry.metrics()
    assert "gen_ai.client.token.usage" not in metrics
    assert point(metrics["gen_ai.client.inference.usage.input_tokens"], **{"gen_ai.provider.name": "cohere"}).value
    assert "gen_ai.client.inference.time_to_first_chunk" in metrics


# -- the stream exit-path matrix ---------------------------------------------------------------------------------------


def _open_stream(client: Any, headers: Headers) -> Any:
    return client.chat_stream(model=MODEL, messages=MESSAGES, request_options={"additional_headers": headers})


STREAM = StreamingApi(
    "cohere-chat-stream",
    "cohere",
    lambda c, h: closing_sync(_open_stream(c, h)),
    lambda c, h: as_is(AsyncGeneratorStream(_open_stream(c, h))),
    helper=True,
    kind=lambda event: str(event.type),
    text=lambda event: event.delta.message.content.text if event.type == "content-delta" else "",
    finish_reasons=("stop",),
)


@pytest.mark.parametrize(("api", "path"), exit_cases([STREAM], SYNC_PATHS))
def test_sync_exit_paths(
    api: StreamingApi,
    path: str,
    client: cohere.ClientV2,
    instrument: Callable[..., Telemetry],
    caplog: pytest.LogCaptureFixture,
) -> None:
    check_sync_exit(api, path, client, lambda: instrument(CohereInstrumentor()), caplog)


@pytest.mark.parametrize(("api", "path"), exit_cases([STREAM], ASYNC_PATHS))
async def test_async_exit_paths(
    api: StreamingApi,
    path: str,
    async_client: cohere.AsyncClientV2,
    instrument: Callable[..., Telemetry],
    caplog: pytest.LogCaptureFixture,
) -> None:
    await check_async_exit(api, path, async_client, lambda: instrument(CohereInstrumentor()), caplog)
