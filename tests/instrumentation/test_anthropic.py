"""Anthropic messages through the real anthropic client over HTTP to the stand-in server.

Anthropic reports `input_tokens` without the cached prefix; semconv's gen_ai.usage.input_tokens includes cache reads
and writes. The stand-in's cache (accounting in standin/anthropic_api.py): a block with `cache_control` marks the
prefix up to it; a first turn writes that prefix, a turn that carries an assistant reply reads it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from typing import Any

import anthropic
import pytest
from opentelemetry.trace import SpanKind, StatusCode

from llm_support import API_KEY, CLAUDE, CLAUDE_SNAPSHOT, Telemetry, point

CAPTURE_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
MESSAGES = [{"role": "user", "content": "Say hello to the team"}]
# 12 words before the breakpoint: the cached prefix
CACHED_SYSTEM = [
    {
        "type": "text",
        "text": "You are a concise assistant for the llmotel team and answer in English.",
        "cache_control": {"type": "ephemeral"},
    }
]
SECOND_TURN = [
    {"role": "user", "content": "Say hello to the team"},
    {"role": "assistant", "content": "Hello team"},
    {"role": "user", "content": "Now say goodbye"},
]
WEATHER_TOOL = {
    "name": "get_weather",
    "description": "Weather for a city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


def assert_usage(attributes: Any, usage: Any) -> None:
    """The span's usage is the message's, with input in semconv's meaning (cache reads and writes included)."""
    cache_read = usage.cache_read_input_tokens or 0
    cache_creation = usage.cache_creation_input_tokens or 0
    assert attributes["gen_ai.usage.input_tokens"] == usage.input_tokens + cache_read + cache_creation
    assert attributes["gen_ai.usage.output_tokens"] == usage.output_tokens
    assert attributes["gen_ai.usage.cache_read.input_tokens"] == cache_read
    assert attributes["gen_ai.usage.cache_creation.input_tokens"] == cache_creation


# -- messages.create ---------------------------------------------------------------------------------------------------


def test_create_span(telemetry: Telemetry, anthropic_client: anthropic.Anthropic) -> None:
    message = anthropic_client.messages.create(model=CLAUDE, max_tokens=100, messages=MESSAGES, stop_sequences=["END"])
    assert type(message) is anthropic.types.Message
    span = telemetry.only_span()
    assert span.name == f"chat {CLAUDE}"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    attributes = span.attributes or {}
    assert attributes["gen_ai.operation.name"] == "chat"
    assert attributes["gen_ai.provider.name"] == "anthropic"
    assert attributes["gen_ai.request.model"] == CLAUDE
    assert attributes["gen_ai.response.model"] == CLAUDE_SNAPSHOT == message.model
    assert attributes["gen_ai.response.id"] == message.id
    assert attributes["gen_ai.response.finish_reasons"] == ("end_turn",) == (message.stop_reason,)
    assert attributes["gen_ai.request.max_tokens"] == 100
    assert attributes["gen_ai.request.stop_sequences"] == ("END",)
    assert attributes["server.address"] == "127.0.0.1"
    assert "gen_ai.request.stream" not in attributes
    assert "gen_ai.input.messages" not in attributes  # no content unless opted in
    assert API_KEY not in json.dumps(dict(attributes))
    assert message.usage.output_tokens > 0
    assert_usage(attributes, message.usage)
    usage_points = telemetry.metrics()["gen_ai.client.token.usage"]
    assert point(usage_points, **{"gen_ai.token.type": "input"}).sum == message.usage.input_tokens
    assert point(usage_points, **{"gen_ai.token.type": "output"}).sum == message.usage.output_tokens
    duration = telemetry.metrics()["gen_ai.client.operation.duration"]
    assert point(duration, **{"gen_ai.provider.name": "anthropic", "gen_ai.response.model": CLAUDE_SNAPSHOT}).count == 1


async def test_async_create_span(telemetry: Telemetry, async_anthropic_client: anthropic.AsyncAnthropic) -> None:
    message = await async_anthropic_client.messages.create(model=CLAUDE, max_tokens=100, messages=MESSAGES)
    span = telemetry.only_span()
    attributes = span.attributes or {}
    assert span.name == f"chat {CLAUDE}"
    assert attributes["gen_ai.provider.name"] == "anthropic"
    assert attributes["gen_ai.response.model"] == CLAUDE_SNAPSHOT
    assert attributes["gen_ai.response.id"] == message.id
    assert attributes["gen_ai.response.finish_reasons"] == ("end_turn",)
    assert_usage(attributes, message.usage)


def test_finish_reason_max_tokens(telemetry: Telemetry, anthropic_client: anthropic.Anthropic) -> None:
    message = anthropic_client.messages.create(model=CLAUDE, max_tokens=3, messages=MESSAGES)
    assert message.stop_reason == "max_tokens"
    attributes = telemetry.only_span().attributes or {}
    assert attributes["gen_ai.response.finish_reasons"] == ("max_tokens",)
    assert attributes["gen_ai.usage.output_tokens"] == message.usage.output_tokens == 3


def test_finish_reason_tool_use(telemetry: Telemetry, anthropic_client: anthropic.Anthropic) -> None:
    message = anthropic_client.messages.create(
        model=CLAUDE,
        max_tokens=100,
        messages=[{"role": "user", "content": "Use get_weather for Seoul"}],
        tools=[WEATHER_TOOL],
    )
    assert message.stop_reason == "tool_use"
    attributes = telemetry.only_span().attributes or {}
    assert attributes["gen_ai.response.finish_reasons"] == ("tool_use",)
    assert "gen_ai.output.messages" not in attributes
    assert_usage(attributes, message.usage)


@pytest.mark.parametrize(
    ("messages", "cache_kind"),
    [(MESSAGES, "cache_creation_input_tokens"), (SECOND_TURN, "cache_read_input_tokens")],
    ids=["cache-write", "cache-read"],
)
def test_cache_usage(
    telemetry: Telemetry, anthropic_client: anthropic.Anthropic, messages: list[dict[str, str]], cache_kind: str
) -> None:
    message = anthropic_client.messages.create(model=CLAUDE, max_tokens=100, system=CACHED_SYSTEM, messages=messages)
    usage = message.usage
    assert getattr(usage, cache_kind) == 13  # the stand-in counts the words up to the breakpoint
    attributes = telemetry.only_span().attributes or {}
    assert_usage(attributes, usage)
    total_input = usage.input_tokens + usage.cache_read_input_tokens + usage.cache_creation_input_tokens
    assert attributes["gen_ai.usage.input_tokens"] == total_input > usage.input_tokens
    usage_points = telemetry.metrics()["gen_ai.client.token.usage"]
    assert point(usage_points, **{"gen_ai.token.type": "input"}).sum == total_input


# -- streams -----------------------------------------------------------------------------------------------------------


def _usage_of_stream(events: list[Any]) -> dict[str, int]:
    """What the raw events say, as a client adding them up would: message_start's input, message_delta's totals."""
    start = next(event for event in events if event.type == "message_start").message.usage
    delta = next(event for event in events if event.type == "message_delta").usage
    return {
        "input_tokens": delta.input_tokens if delta.input_tokens is not None else start.input_tokens,
        "cache_read": delta.cache_read_input_tokens or start.cache_read_input_tokens or 0,
        "cache_creation": delta.cache_creation_input_tokens or start.cache_creation_input_tokens or 0,
        "output_tokens": delta.output_tokens,
    }


@pytest.mark.parametrize("messages", [MESSAGES, SECOND_TURN], ids=["cache-write", "cache-read"])
def test_create_stream_usage_equals_the_message(
    telemetry: Telemetry, anthropic_client: anthropic.Anthropic, messages: list[dict[str, str]]
) -> None:
    request: dict[str, Any] = {"model": CLAUDE, "max_tokens": 100, "system": CACHED_SYSTEM, "messages": messages}
    message = anthropic_client.messages.create(**request)
    events = list(anthropic_client.messages.create(**request, stream=True))
    whole, streamed = telemetry.genai_spans()
    assert streamed.attributes["gen_ai.request.stream"] is True
    assert streamed.attributes["gen_ai.response.id"] == events[0].message.id
    assert streamed.attributes["gen_ai.response.finish_reasons"] == ("end_turn",)
    assert streamed.attributes["gen_ai.response.model"] == CLAUDE_SNAPSHOT
    assert streamed.attributes["gen_ai.response.time_to_first_chunk"] > 0
    counted = _usage_of_stream(events)
    assert counted == {
        "input_tokens": message.usage.input_tokens,
        "cache_read": message.usage.cache_read_input_tokens,
        "cache_creation": message.usage.cache_creation_input_tokens,
        "output_tokens": message.usage.output_tokens,
    }
    assert_usage(streamed.attributes, message.usage)
    usage_keys = [key for key in whole.attributes or {} if key.startswith("gen_ai.usage.")]
    assert usage_keys
    assert {key: streamed.attributes[key] for key in usage_keys} == {key: whole.attributes[key] for key in usage_keys}


def test_stream_helper_text_stream_and_final_message(
    telemetry: Telemetry, anthropic_client: anthropic.Anthropic
) -> None:
    with anthropic_client.messages.stream(
        model=CLAUDE, max_tokens=100, system=CACHED_SYSTEM, messages=SECOND_TURN
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == final.content[0].text
    span = telemetry.only_span()
    attributes = span.attributes or {}
    assert span.name == f"chat {CLAUDE}"
    assert attributes["gen_ai.request.stream"] is True
    assert attributes["gen_ai.response.id"] == final.id
    assert attributes["gen_ai.response.model"] == final.model == CLAUDE_SNAPSHOT
    assert attributes["gen_ai.response.finish_reasons"] == (final.stop_reason,) == ("end_turn",)
    assert final.usage.cache_read_input_tokens
    assert_usage(attributes, final.usage)


def test_stream_helper_final_message_only(telemetry: Telemetry, anthropic_client: anthropic.Anthropic) -> None:
    with anthropic_client.messages.stream(model=CLAUDE, max_tokens=4, messages=MESSAGES) as stream:
        final = stream.get_final_message()
    attributes = telemetry.only_span().attributes or {}
    assert attributes["gen_ai.response.finish_reasons"] == ("max_tokens",)
    assert_usage(attributes, final.usage)


async def test_async_stream_helper(telemetry: Telemetry, async_anthropic_client: anthropic.AsyncAnthropic) -> None:
    async with async_anthropic_client.messages.stream(
        model=CLAUDE, max_tokens=100, system=CACHED_SYSTEM, messages=MESSAGES
    ) as stream:
        text = "".join([piece async for piece in stream.text_stream])
        final = await stream.get_final_message()
    assert text == final.content[0].text
    attributes = telemetry.only_span().attributes or {}
    assert attributes["gen_ai.response.id"] == final.id
    assert final.usage.cache_creation_input_tokens
    assert_usage(attributes, final.usage)


async def test_async_create_stream(telemetry: Telemetry, async_anthropic_client: anthropic.AsyncAnthropic) -> None:
    stream = await async_anthropic_client.messages.create(model=CLAUDE, max_tokens=100, messages=MESSAGES, stream=True)
    events = [event async for event in stream]
    attributes = telemetry.only_span().attributes or {}
    counted = _usage_of_stream(events)
    assert attributes["gen_ai.usage.output_tokens"] == counted["output_tokens"] > 1  # the total, not message_start's 1
    assert attributes["gen_ai.usage.input_tokens"] == counted["input_tokens"]


# -- content capture ---------------------------------------------------------------------------------------------------


def _tool_call_part(block: Any) -> dict[str, Any]:
    return {"type": "tool_call", "id": block.id, "name": block.name, "arguments": block.input}


def test_tool_use_content(
    monkeypatch: pytest.MonkeyPatch, instrument: Callable[[], Telemetry], anthropic_client: anthropic.Anthropic
) -> None:
    monkeypatch.setenv(CAPTURE_ENV, "SPAN_ONLY")
    telemetry = instrument()
    message = anthropic_client.messages.create(
        model=CLAUDE,
        max_tokens=100,
        system="Be brief.",
        messages=[{"role": "user", "content": "Use get_weather for Seoul"}],
        tools=[WEATHER_TOOL],
    )
    block = message.content[0]
    assert block.type == "tool_use"
    attributes = telemetry.only_span().attributes or {}
    assert json.loads(attributes["gen_ai.output.messages"]) == [
        {"role": "assistant", "parts": [_tool_call_part(block)], "finish_reason": "tool_use"}
    ]
    assert json.loads(attributes["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": "Use get_weather for Seoul"}]}
    ]
    assert json.loads(attributes["gen_ai.system_instructions"]) == [{"type": "text", "content": "Be brief."}]
    assert json.loads(attributes["gen_ai.tool.definitions"]) == [WEATHER_TOOL]
    assert telemetry.events("gen_ai.client.inference.operation.details") == []  # SPAN_ONLY: no event


def test_streamed_tool_use_content(
    monkeypatch: pytest.MonkeyPatch, instrument: Callable[[], Telemetry], anthropic_client: anthropic.Anthropic
) -> None:
    monkeypatch.setenv(CAPTURE_ENV, "SPAN_ONLY")
    telemetry = instrument()
    with anthropic_client.messages.stream(
        model=CLAUDE,
        max_tokens=100,
        messages=[{"role": "user", "content": "Use get_weather for Seoul"}],
        tools=[WEATHER_TOOL],
    ) as stream:
        final = stream.get_final_message()
    block = final.content[0]
    assert block.type == "tool_use"
    output = json.loads((telemetry.only_span().attributes or {})["gen_ai.output.messages"])
    assert output == [{"role": "assistant", "parts": [_tool_call_part(block)], "finish_reason": "tool_use"}]


def test_tool_result_turn_content(
    monkeypatch: pytest.MonkeyPatch, instrument: Callable[[], Telemetry], anthropic_client: anthropic.Anthropic
) -> None:
    monkeypatch.setenv(CAPTURE_ENV, "SPAN_ONLY")
    telemetry = instrument()
    call_id = "toolu_0123"
    anthropic_client.messages.create(
        model=CLAUDE,
        max_tokens=100,
        tools=[WEATHER_TOOL],
        messages=[
            {"role": "user", "content": "Use get_weather for Seoul"},
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": call_id, "name": "get_weather", "input": {"city": "Seoul"}}],
            },
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call_id, "content": "12 C"}]},
        ],
    )
    attributes = telemetry.only_span().attributes or {}
    assert attributes["gen_ai.response.finish_reasons"] == ("end_turn",)
    inputs = json.loads(attributes["gen_ai.input.messages"])
    assert inputs[1]["parts"] == [
        {"type": "tool_call", "id": call_id, "name": "get_weather", "arguments": {"city": "Seoul"}}
    ]
    assert inputs[2]["parts"] == [{"type": "tool_call_response", "id": call_id, "response": "12 C"}]


# -- errors ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scenario", "error_class"),
    [
        ("error-429", anthropic.RateLimitError),
        ("error-500", anthropic.InternalServerError),
        ("error-529", anthropic.OverloadedError),
    ],
)
@pytest.mark.parametrize("stream", [False, True], ids=["create", "stream"])
def test_http_errors(
    telemetry: Telemetry, anthropic_client: anthropic.Anthropic, scenario: str, error_class: type, stream: bool
) -> None:
    with pytest.raises(anthropic.APIStatusError) as raised:
        anthropic_client.messages.create(
            model=CLAUDE,
            max_tokens=100,
            messages=MESSAGES,
            stream=stream,
            extra_headers={"x-standin-scenario": scenario},
        )
    assert type(raised.value) is error_class
    expected = f"anthropic.{error_class.__name__}"
    span = telemetry.only_span()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == expected
    duration = telemetry.metrics()["gen_ai.client.operation.duration"]
    assert point(duration, **{"error.type": expected}).count == 1
    assert telemetry.events("gen_ai.client.operation.exception")


async def test_async_stream_helper_error(
    telemetry: Telemetry, async_anthropic_client: anthropic.AsyncAnthropic
) -> None:
    with pytest.raises(anthropic.RateLimitError):
        async with async_anthropic_client.messages.stream(
            model=CLAUDE, max_tokens=100, messages=MESSAGES, extra_headers={"x-standin-scenario": "error-429"}
        ):
            raise AssertionError("entered a stream whose request failed")
    span = telemetry.only_span()
    assert span.attributes["error.type"] == "anthropic.RateLimitError"


def test_retried_429_is_one_span(telemetry: Telemetry, server: Any) -> None:
    client = anthropic.Anthropic(base_url=server.anthropic_base_url, api_key=API_KEY, max_retries=2)
    client.messages.create(
        model=CLAUDE, max_tokens=100, messages=MESSAGES, extra_headers={"x-standin-scenario": "error-429-once"}
    )
    assert len([r for r in server.requests if r.path.startswith("/v1/messages")]) == 2
    span = telemetry.only_span()
    assert span.status.status_code is StatusCode.UNSET
    assert "error.type" not in span.attributes


# -- the SDK's own spans -----------------------------------------------------------------------------------------------

# One subprocess, because it sets the global tracer provider (settable once per process), for three clients:
# made before instrument(), made after with SDK defaults, made after with ANTHROPIC_OPEN_TELEMETRY=true (the SDK and
# llmotel read the environment when a client is constructed). Each makes a messages.create and a messages.stream().
SDK_SPANS_SCRIPT = textwrap.dedent(
    """
    import json, os
    import anthropic
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from llmotel.providers.anthropic import AnthropicInstrumentor
    from llmotel.standin import StandinServer

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    MESSAGES = [{"role": "user", "content": "hi"}]

    def finished():
        spans = [
            {
                "name": span.name,
                "scope": span.instrumentation_scope.name,
                "trace_id": span.context.trace_id,
                "span_id": span.context.span_id,
                "parent_id": span.parent.span_id if span.parent else None,
            }
            for span in exporter.get_finished_spans()
        ]
        exporter.clear()
        return spans

    def spans_per_call(client):
        client.messages.create(model="claude-haiku-4-5", max_tokens=50, messages=MESSAGES)
        calls = [finished()]
        with client.messages.stream(model="claude-haiku-4-5", max_tokens=50, messages=MESSAGES) as stream:
            stream.get_final_message()
        calls.append(finished())
        return calls

    with StandinServer() as server:
        def make_client():
            return anthropic.Anthropic(base_url=server.anthropic_base_url, api_key="k", max_retries=0)

        made_before = make_client()
        AnthropicInstrumentor().instrument()  # with the global tracer provider
        result = {"made-before-instrument": spans_per_call(made_before), "defaults": spans_per_call(make_client())}
        os.environ["ANTHROPIC_OPEN_TELEMETRY"] = "true"
        result["opted-in"] = spans_per_call(make_client())
        print(json.dumps(result))
    """
)
SDK_SCOPE = "com.anthropic.sdk.python"
OUR_SCOPE = "llmotel.anthropic"
SpansPerCall = dict[str, list[list[dict[str, Any]]]]  # client -> [spans of messages.create, of messages.stream()]


@pytest.fixture(scope="module")
def sdk_spans() -> SpansPerCall:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ANTHROPIC_OPEN_TELEMETRY")}
    done = subprocess.run([sys.executable, "-c", SDK_SPANS_SCRIPT], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    result: SpansPerCall = json.loads(done.stdout)
    return result


def test_sdk_spans_off_by_default(sdk_spans: SpansPerCall) -> None:
    assert len(sdk_spans["defaults"]) == 2
    for spans in sdk_spans["defaults"]:
        assert [(span["name"], span["scope"]) for span in spans] == [(f"chat {CLAUDE}", OUR_SCOPE)]


def test_sdk_spans_on_when_asked(sdk_spans: SpansPerCall) -> None:
    assert len(sdk_spans["opted-in"]) == 2
    for spans in sdk_spans["opted-in"]:
        by_scope = {span["scope"]: span for span in spans}
        assert len(spans) == 2 and sorted(by_scope) == [SDK_SCOPE, OUR_SCOPE], spans
        ours, theirs = by_scope[OUR_SCOPE], by_scope[SDK_SCOPE]
        assert theirs["trace_id"] == ours["trace_id"]
        assert theirs["parent_id"] == ours["span_id"]  # the SDK's span nests under the call's


def test_sdk_spans_off_for_a_client_made_before_instrument(sdk_spans: SpansPerCall) -> None:
    assert len(sdk_spans["made-before-instrument"]) == 2
    for spans in sdk_spans["made-before-instrument"]:
        assert [span["scope"] for span in spans] == [OUR_SCOPE]
