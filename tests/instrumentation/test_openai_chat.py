"""OpenAI chat completions through the real openai client over HTTP to the stand-in server."""

from __future__ import annotations

import json

import openai
import pytest
from opentelemetry.trace import SpanKind, StatusCode
from pydantic import BaseModel

from llm_support import API_KEY, GPT, GPT_SNAPSHOT, Telemetry, point

MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hello to the team"}]


def test_chat_span_metrics_and_same_result(telemetry: Telemetry, openai_client: openai.OpenAI) -> None:
    completion = openai_client.chat.completions.create(model=GPT, messages=MESSAGES, temperature=0.3, max_tokens=50)
    assert type(completion) is openai.types.chat.ChatCompletion
    span = telemetry.only_span()
    assert span.name == f"chat {GPT}"
    assert span.kind is SpanKind.CLIENT
    attributes = dict(span.attributes or {})
    assert attributes["gen_ai.operation.name"] == "chat"
    assert attributes["gen_ai.provider.name"] == "openai"
    assert attributes["gen_ai.request.model"] == GPT
    assert attributes["gen_ai.response.model"] == GPT_SNAPSHOT == completion.model
    assert attributes["gen_ai.response.id"] == completion.id
    assert attributes["gen_ai.request.temperature"] == 0.3
    assert attributes["gen_ai.request.max_tokens"] == 50
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert attributes["gen_ai.usage.input_tokens"] == completion.usage.prompt_tokens
    assert attributes["gen_ai.usage.output_tokens"] == completion.usage.completion_tokens
    assert attributes["server.address"] == "127.0.0.1"
    assert isinstance(attributes["server.port"], int)
    assert attributes["openai.api.type"] == "chat_completions"
    assert "gen_ai.input.messages" not in attributes  # no content unless opted in
    assert API_KEY not in json.dumps(attributes)
    assert span.status.status_code is StatusCode.UNSET

    metrics = telemetry.metrics()
    duration = point(metrics["gen_ai.client.operation.duration"], **{"gen_ai.response.model": GPT_SNAPSHOT})
    assert duration.count == 1
    assert list(duration.explicit_bounds)[:3] == [0.01, 0.02, 0.04]
    usage = metrics["gen_ai.client.token.usage"]
    assert point(usage, **{"gen_ai.token.type": "input"}).sum == completion.usage.prompt_tokens
    assert point(usage, **{"gen_ai.token.type": "output"}).sum == completion.usage.completion_tokens
    for data_point in usage:
        assert "server.address" in data_point.attributes
        assert "gen_ai.response.id" not in data_point.attributes  # high cardinality stays off metrics


async def test_async_chat(telemetry: Telemetry, async_openai_client: openai.AsyncOpenAI) -> None:
    completion = await async_openai_client.chat.completions.create(model=GPT, messages=MESSAGES)
    span = telemetry.only_span()
    assert span.attributes["gen_ai.response.id"] == completion.id
    assert span.attributes["gen_ai.usage.output_tokens"] == completion.usage.completion_tokens


@pytest.mark.parametrize("include_usage", [True, False])
def test_stream(telemetry: Telemetry, openai_client: openai.OpenAI, include_usage: bool) -> None:
    stream = openai_client.chat.completions.create(
        model=GPT, messages=MESSAGES, stream=True, stream_options={"include_usage": include_usage}
    )
    assert isinstance(stream, openai.Stream)  # the proxy still answers as the SDK's stream
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text
    span = telemetry.only_span()
    attributes = span.attributes
    assert attributes["gen_ai.request.stream"] is True
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert attributes["gen_ai.response.time_to_first_chunk"] > 0
    assert attributes["gen_ai.response.model"] == GPT_SNAPSHOT
    if include_usage:
        assert attributes["gen_ai.usage.output_tokens"] == chunks[-1].usage.completion_tokens
    else:
        assert "gen_ai.usage.output_tokens" not in attributes
    metrics = telemetry.metrics()
    assert metrics["gen_ai.client.operation.time_to_first_chunk"][0].count == 1
    assert metrics["gen_ai.client.operation.time_per_output_chunk"][0].count == 1


def test_tool_call_with_content(monkeypatch: pytest.MonkeyPatch, instrument, openai_client: openai.OpenAI) -> None:
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "SPAN_ONLY")
    telemetry = instrument()
    tools = [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Weather for a city",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
            },
        }
    ]
    messages = [{"role": "user", "content": "Use get_weather for Seoul"}]
    completion = openai_client.chat.completions.create(model=GPT, messages=messages, tools=tools)
    tool_call = completion.choices[0].message.tool_calls[0]
    span = telemetry.only_span()
    assert span.attributes["gen_ai.response.finish_reasons"] == ("tool_calls",)
    output = json.loads(span.attributes["gen_ai.output.messages"])
    part = output[0]["parts"][-1]
    assert part == {
        "type": "tool_call",
        "id": tool_call.id,
        "name": "get_weather",
        "arguments": json.loads(tool_call.function.arguments),
    }
    assert json.loads(span.attributes["gen_ai.tool.definitions"])[0]["function"]["name"] == "get_weather"
    assert json.loads(span.attributes["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": "Use get_weather for Seoul"}]}
    ]


def test_streamed_tool_call_content(monkeypatch: pytest.MonkeyPatch, instrument, openai_client: openai.OpenAI) -> None:
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "SPAN_ONLY")
    telemetry = instrument()
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}}}]
    stream = openai_client.chat.completions.create(
        model=GPT, messages=[{"role": "user", "content": "call lookup now"}], tools=tools, stream=True
    )
    arguments = "".join(
        c.choices[0].delta.tool_calls[0].function.arguments or ""
        for c in stream
        if c.choices and c.choices[0].delta.tool_calls
    )
    output = json.loads(telemetry.only_span().attributes["gen_ai.output.messages"])
    assert output[0]["parts"][0]["name"] == "lookup"
    assert output[0]["parts"][0]["arguments"] == json.loads(arguments)
    assert output[0]["finish_reason"] == "tool_calls"


def test_n_choices(telemetry: Telemetry, openai_client: openai.OpenAI) -> None:
    completion = openai_client.chat.completions.create(model=GPT, messages=MESSAGES, n=3)
    assert len(completion.choices) == 3
    span = telemetry.only_span()
    assert span.attributes["gen_ai.request.choice.count"] == 3
    assert span.attributes["gen_ai.response.finish_reasons"] == ("stop", "stop", "stop")


def test_with_raw_response(telemetry: Telemetry, openai_client: openai.OpenAI) -> None:
    raw = openai_client.chat.completions.with_raw_response.create(model=GPT, messages=MESSAGES)
    completion = raw.parse()
    span = telemetry.only_span()
    assert span.attributes["gen_ai.response.id"] == completion.id
    assert span.attributes["gen_ai.usage.input_tokens"] == completion.usage.prompt_tokens


def test_with_streaming_response_leaves_body_unread(telemetry: Telemetry, openai_client: openai.OpenAI) -> None:
    with openai_client.chat.completions.with_streaming_response.create(model=GPT, messages=MESSAGES) as response:
        completion = response.parse()
    assert completion.choices[0].message.content
    assert telemetry.only_span().attributes["gen_ai.request.model"] == GPT


class Greeting(BaseModel):
    greeting: str


def test_parse_structured_output(telemetry: Telemetry, openai_client: openai.OpenAI) -> None:
    completion = openai_client.chat.completions.parse(model=GPT, messages=MESSAGES, response_format=Greeting)
    assert isinstance(completion.choices[0].message.parsed, Greeting)
    span = telemetry.only_span()
    assert span.attributes["gen_ai.output.type"] == "json"
    assert span.attributes["gen_ai.response.id"] == completion.id


def test_stream_helper(telemetry: Telemetry, openai_client: openai.OpenAI) -> None:
    with openai_client.chat.completions.stream(model=GPT, messages=MESSAGES) as stream:
        final = stream.get_final_completion()
    span = telemetry.only_span()
    assert span.attributes["gen_ai.response.id"] == final.id
    assert span.attributes["gen_ai.response.finish_reasons"] == ("stop",)


def test_service_tier_and_fingerprint(telemetry: Telemetry, openai_client: openai.OpenAI) -> None:
    completion = openai_client.chat.completions.create(model=GPT, messages=MESSAGES, service_tier="flex")
    attributes = telemetry.only_span().attributes
    assert attributes["openai.request.service_tier"] == "flex"
    assert attributes["openai.response.service_tier"] == completion.service_tier
    if completion.system_fingerprint:
        assert attributes["openai.response.system_fingerprint"] == completion.system_fingerprint


def test_azure_provider(telemetry: Telemetry, server) -> None:
    client = openai.AzureOpenAI(azure_endpoint=server.url, api_key=API_KEY, api_version="2024-10-21", max_retries=0)
    client.chat.completions.create(model="my-gpt4o-deployment", messages=MESSAGES)
    span = telemetry.only_span()
    assert span.attributes["gen_ai.provider.name"] == "azure.ai.openai"
    assert span.attributes["server.address"] == "127.0.0.1"


@pytest.mark.parametrize(
    ("scenario", "error_class"),
    [
        ("error-429", "openai.RateLimitError"),
        ("error-500", "openai.InternalServerError"),
        ("error-400", "openai.BadRequestError"),
    ],
)
def test_http_errors(telemetry: Telemetry, openai_client: openai.OpenAI, scenario: str, error_class: str) -> None:
    with pytest.raises(openai.APIStatusError) as raised:
        openai_client.chat.completions.create(
            model=GPT, messages=MESSAGES, extra_headers={"x-standin-scenario": scenario}
        )
    assert f"openai.{type(raised.value).__name__}" == error_class
    span = telemetry.only_span()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == error_class
    duration = telemetry.metrics()["gen_ai.client.operation.duration"]
    assert point(duration, **{"error.type": error_class}).count == 1
    assert telemetry.events("gen_ai.client.operation.exception")


def test_malformed_body(telemetry: Telemetry, openai_client: openai.OpenAI) -> None:
    # the SDK lets the JSON decoder's error through: the caller gets that very exception, the span its type
    with pytest.raises(json.JSONDecodeError):
        openai_client.chat.completions.create(
            model=GPT, messages=MESSAGES, extra_headers={"x-standin-scenario": "malformed-json"}
        )
    span = telemetry.only_span()
    assert span.attributes["error.type"] == "json.JSONDecodeError"


def test_retries_are_one_span(telemetry: Telemetry, server) -> None:
    client = openai.OpenAI(base_url=server.openai_base_url, api_key=API_KEY, max_retries=2)
    client.chat.completions.create(model=GPT, messages=MESSAGES, extra_headers={"x-standin-scenario": "error-429-once"})
    assert len([r for r in server.requests if r.path.endswith("/chat/completions")]) == 2
    span = telemetry.only_span()
    assert span.status.status_code is StatusCode.UNSET
    assert "error.type" not in span.attributes


def test_model_name_selects_scenario(telemetry: Telemetry, openai_client: openai.OpenAI) -> None:
    with pytest.raises(openai.RateLimitError):
        openai_client.chat.completions.create(model="standin-error-429", messages=MESSAGES)
    assert telemetry.only_span().attributes["gen_ai.request.model"] == "standin-error-429"
