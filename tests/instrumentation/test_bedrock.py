"""AWS Bedrock through the real boto3 client over HTTP to the stand-in's Bedrock runtime wire format.

boto3 has no async client, so there is no async half here. Per-call stand-in headers go through a botocore
`before-sign` event hook (boto3 methods take no extra headers). Bedrock reports `inputTokens` without cache reads
and writes; semconv's input_tokens includes both. The stand-in's cache: a `cachePoint` block marks the prefix up to
it; a first turn writes it, a turn that carries an assistant reply reads it.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from contextlib import closing
from typing import Any

import boto3
import botocore.client
import pytest
from botocore.config import Config
from botocore.eventstream import EventStream
from botocore.exceptions import ClientError, EventStreamError
from botocore.response import StreamingBody
from opentelemetry.trace import SpanKind, StatusCode

from exit_matrix import SYNC_PATHS, Headers, StreamingApi, check_sync_exit, exit_cases
from llm_support import Telemetry, point
from llmotel.providers.bedrock import BedrockInstrumentor
from llmotel.standin import StandinServer

pytestmark = pytest.mark.usefixtures("young_heap")

CAPTURE_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
NOVA = "amazon.nova-lite-v1:0"
CLAUDE = "anthropic.claude-3-haiku-20240307-v1:0"
LLAMA = "meta.llama3-8b-instruct-v1:0"
TITAN = "amazon.titan-text-express-v1"
TITAN_EMBED = "amazon.titan-embed-text-v2:0"
PROFILE_ARN = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6"
MESSAGES = [{"role": "user", "content": [{"text": "Say hello to the team"}]}]
REPLY = "Hello from the llmotel stand-in model " + NOVA
WEATHER_TOOL = {
    "toolSpec": {
        "name": "get_weather",
        "description": "Weather for a city",
        "inputSchema": {"json": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}},
    }
}
# 13 words before the cachePoint: the cached prefix
CACHED_SYSTEM = [
    {"text": "You are a concise assistant for the llmotel team and answer in English."},
    {"cachePoint": {"type": "default"}},
]


def aws_client(url: str, retries: dict[str, Any], service: str = "bedrock-runtime") -> Any:
    """A boto3 client of the stand-in (SigV4-signed with throwaway keys, which the stand-in does not check)."""
    return boto3.client(
        service,
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries=retries),
    )


@pytest.fixture
def bedrock(server: StandinServer) -> Iterator[Any]:
    client = aws_client(server.url, {"max_attempts": 1})
    with closing(client):
        yield client


@pytest.fixture
def telemetry(instrument: Callable[..., Telemetry]) -> Telemetry:
    return instrument(BedrockInstrumentor())


@pytest.fixture
def capturing(instrument: Callable[..., Telemetry], monkeypatch: pytest.MonkeyPatch) -> Telemetry:
    """Instrumented with content capture on the span (the instrumentation reads the setting when it starts)."""
    monkeypatch.setenv(CAPTURE_ENV, "SPAN_ONLY")
    return instrument(BedrockInstrumentor())


def with_headers(client: Any, headers: Headers, method: str, **params: Any) -> Any:
    """Call `method` with extra HTTP headers (the stand-in's scenario header)."""

    def add_headers(request: Any, **_: Any) -> None:
        for name, value in headers.items():
            request.headers[name] = value

    client.meta.events.register("before-sign.bedrock-runtime", add_headers)
    try:
        return getattr(client, method)(**params)
    finally:
        client.meta.events.unregister("before-sign.bedrock-runtime", add_headers)


def invoke_body(model: str, text: str = "Say hello to the team") -> dict[str, Any]:
    """The model family's own request body, each asking for at most 100 tokens."""
    if model.startswith("anthropic."):
        return {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": 100,
            "messages": [{"role": "user", "content": text}],
        }
    if model.startswith("meta."):
        return {"prompt": text, "max_gen_len": 100, "temperature": 0.5}
    if model.startswith("amazon.nova"):
        message = {"role": "user", "content": [{"text": text}]}
        return {"schemaVersion": "messages-v1", "messages": [message], "inferenceConfig": {"max_new_tokens": 100}}
    return {"inputText": text, "textGenerationConfig": {"maxTokenCount": 100, "temperature": 0.5}}


def only_attributes(telemetry: Telemetry) -> dict[str, Any]:
    return dict(telemetry.only_span().attributes or {})


# -- Converse ----------------------------------------------------------------------------------------------------------


def test_converse_span(telemetry: Telemetry, bedrock: Any, server: StandinServer) -> None:
    response = bedrock.converse(
        modelId=NOVA,
        messages=MESSAGES,
        inferenceConfig={"maxTokens": 100, "temperature": 0.2, "topP": 0.9, "stopSequences": ["END"]},
    )
    assert response["output"]["message"]["content"] == [{"text": REPLY}]
    span = telemetry.only_span()
    assert span.name == f"chat {NOVA}"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    attributes = dict(span.attributes or {})
    assert attributes == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "aws.bedrock",
        "gen_ai.request.model": NOVA,
        "server.address": "127.0.0.1",
        "server.port": int(server.url.rpartition(":")[2]),
        "gen_ai.request.max_tokens": 100,
        "gen_ai.request.temperature": 0.2,
        "gen_ai.request.top_p": 0.9,
        "gen_ai.request.stop_sequences": ("END",),
        "gen_ai.response.id": response["ResponseMetadata"]["RequestId"],
        "gen_ai.response.finish_reasons": ("end_turn",),
        "gen_ai.usage.input_tokens": 5,
        "gen_ai.usage.output_tokens": 7,
    }
    metrics = telemetry.metrics()
    assert point(metrics["gen_ai.client.operation.duration"], **{"gen_ai.request.model": NOVA}).count == 1
    assert point(metrics["gen_ai.client.token.usage"], **{"gen_ai.token.type": "input"}).sum == 5
    assert point(metrics["gen_ai.client.token.usage"], **{"gen_ai.token.type": "output"}).sum == 7
    assert "gen_ai.input.messages" not in attributes  # content is opt-in


def test_converse_max_tokens_and_inference_profile(telemetry: Telemetry, bedrock: Any) -> None:
    """An inference profile ARN is the model as the caller gave it: Bedrock does not say which model served."""
    bedrock.converse(modelId=PROFILE_ARN, messages=MESSAGES, inferenceConfig={"maxTokens": 3})
    span = telemetry.only_span()
    assert span.name == f"chat {PROFILE_ARN}"
    assert span.attributes["gen_ai.request.model"] == PROFILE_ARN
    assert span.attributes["gen_ai.response.finish_reasons"] == ("max_tokens",)
    assert span.attributes["gen_ai.usage.output_tokens"] == 3


def test_guardrail_id(telemetry: Telemetry, bedrock: Any) -> None:
    guardrail = {"guardrailIdentifier": "gr-abc123", "guardrailVersion": "1"}
    bedrock.converse(modelId=NOVA, messages=MESSAGES, guardrailConfig=guardrail)
    assert only_attributes(telemetry)["aws.bedrock.guardrail.id"] == "gr-abc123"


def test_cache_tokens_write_then_read(telemetry: Telemetry, bedrock: Any) -> None:
    first = bedrock.converse(modelId=NOVA, system=CACHED_SYSTEM, messages=MESSAGES)
    second_turn = [*MESSAGES, first["output"]["message"], {"role": "user", "content": [{"text": "Now say bye"}]}]
    second = bedrock.converse(modelId=NOVA, system=CACHED_SYSTEM, messages=second_turn)
    written, read = telemetry.genai_spans()
    assert first["usage"]["cacheWriteInputTokens"] == 13 and second["usage"]["cacheReadInputTokens"] == 13
    for span, usage in ((written, first["usage"]), (read, second["usage"])):
        cache_read = usage.get("cacheReadInputTokens", 0)
        cache_write = usage.get("cacheWriteInputTokens", 0)
        attributes = span.attributes or {}
        assert attributes["gen_ai.usage.input_tokens"] == usage["inputTokens"] + cache_read + cache_write
        assert attributes["gen_ai.usage.cache_read.input_tokens"] == cache_read
        assert attributes["gen_ai.usage.cache_creation.input_tokens"] == cache_write
    assert written.attributes["gen_ai.usage.input_tokens"] == 18  # 13 cached + "Say hello to the team"


def test_tool_use_and_tool_result_content(capturing: Telemetry, bedrock: Any) -> None:
    telemetry = capturing
    tools = {"tools": [WEATHER_TOOL]}
    asking = [{"role": "user", "content": [{"text": "Use get_weather for Paris"}, _IMAGE]}]
    first = bedrock.converse(modelId=NOVA, messages=asking, toolConfig=tools, system=[{"text": "Be brief"}])
    tool_use = first["output"]["message"]["content"][0]["toolUse"]
    result = {"toolResult": {"toolUseId": tool_use["toolUseId"], "content": [{"json": {"temperature": 21}}]}}
    second_turn = [*asking, first["output"]["message"], {"role": "user", "content": [result]}]
    bedrock.converse(modelId=NOVA, messages=second_turn, toolConfig=tools)
    called, answered = telemetry.genai_spans()

    assert called.attributes["gen_ai.response.finish_reasons"] == ("tool_use",)
    assert json.loads(called.attributes["gen_ai.system_instructions"]) == [{"type": "text", "content": "Be brief"}]
    assert json.loads(called.attributes["gen_ai.tool.definitions"]) == [
        {
            "type": "function",
            "name": "get_weather",
            "description": "Weather for a city",
            "parameters": WEATHER_TOOL["toolSpec"]["inputSchema"]["json"],  # type: ignore[index]
        }
    ]
    image = {"type": "blob", "modality": "image", "mime_type": "image/png", "content": "iVBORw0K"}
    assert json.loads(called.attributes["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": "Use get_weather for Paris"}, image]}
    ]
    call_part = {
        "type": "tool_call",
        "id": tool_use["toolUseId"],
        "name": "get_weather",
        "arguments": tool_use["input"],
    }
    assert json.loads(called.attributes["gen_ai.output.messages"]) == [
        {"role": "assistant", "parts": [call_part], "finish_reason": "tool_use"}
    ]
    response_part = {"type": "tool_call_response", "id": tool_use["toolUseId"], "response": [{"temperature": 21}]}
    assert json.loads(answered.attributes["gen_ai.input.messages"])[-2:] == [
        {"role": "assistant", "parts": [call_part]},
        {"role": "user", "parts": [response_part]},
    ]
    assert answered.attributes["gen_ai.response.finish_reasons"] == ("end_turn",)


_IMAGE = {"image": {"format": "png", "source": {"bytes": b"\x89PNG\r\n"}}}


def test_content_as_event(instrument: Callable[..., Telemetry], bedrock: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CAPTURE_ENV, "EVENT_ONLY")
    telemetry = instrument(BedrockInstrumentor())
    bedrock.converse(modelId=NOVA, messages=MESSAGES)
    assert "gen_ai.output.messages" not in only_attributes(telemetry)
    (details,) = telemetry.events("gen_ai.client.inference.operation.details")
    assert json.loads(details.attributes["gen_ai.output.messages"]) == [
        {"role": "assistant", "parts": [{"type": "text", "content": REPLY}], "finish_reason": "end_turn"}
    ]


# -- ConverseStream ----------------------------------------------------------------------------------------------------


def test_converse_stream(capturing: Telemetry, bedrock: Any) -> None:
    telemetry = capturing
    response = bedrock.converse_stream(modelId=NOVA, messages=MESSAGES, inferenceConfig={"maxTokens": 100})
    assert set(response) == {"ResponseMetadata", "stream"}
    assert isinstance(response["stream"], EventStream)
    events = list(response["stream"])
    assert [next(iter(event)) for event in events] == [
        "messageStart",
        *["contentBlockDelta"] * 7,
        "contentBlockStop",
        "messageStop",
        "metadata",
    ]
    attributes = only_attributes(telemetry)
    assert attributes["gen_ai.request.stream"] is True
    assert attributes["gen_ai.response.id"] == response["ResponseMetadata"]["RequestId"]
    assert attributes["gen_ai.response.finish_reasons"] == ("end_turn",)
    assert attributes["gen_ai.usage.input_tokens"] == 5
    assert attributes["gen_ai.usage.output_tokens"] == 7
    assert attributes["gen_ai.response.time_to_first_chunk"] > 0
    assert json.loads(attributes["gen_ai.output.messages"]) == [
        {"role": "assistant", "parts": [{"type": "text", "content": REPLY}], "finish_reason": "end_turn"}
    ]
    metrics = telemetry.metrics()
    assert point(metrics["gen_ai.client.operation.time_to_first_chunk"], **{"gen_ai.request.model": NOVA}).count == 1
    assert point(metrics["gen_ai.client.operation.time_per_output_chunk"], **{"gen_ai.request.model": NOVA}).count == 1


def test_converse_stream_tool_use(capturing: Telemetry, bedrock: Any) -> None:
    telemetry = capturing
    asking = [{"role": "user", "content": [{"text": "Use get_weather for Paris"}]}]
    response = bedrock.converse_stream(modelId=NOVA, messages=asking, toolConfig={"tools": [WEATHER_TOOL]})
    events = list(response["stream"])
    start = next(event["contentBlockStart"]["start"]["toolUse"] for event in events if "contentBlockStart" in event)
    attributes = only_attributes(telemetry)
    assert attributes["gen_ai.response.finish_reasons"] == ("tool_use",)
    (message,) = json.loads(attributes["gen_ai.output.messages"])
    assert message["parts"] == [
        {"type": "tool_call", "id": start["toolUseId"], "name": "get_weather", "arguments": {"city": "standin"}}
    ]


def test_converse_stream_exception_event(telemetry: Telemetry, bedrock: Any) -> None:
    response = with_headers(
        bedrock,
        {"x-standin-scenario": "error-event-after-3"},
        "converse_stream",
        modelId=NOVA,
        messages=MESSAGES,
    )
    received = []
    with pytest.raises(EventStreamError) as raised:
        for event in response["stream"]:
            received.append(event)
    assert len(received) == 3
    assert raised.value.response["Error"]["Code"] == "modelStreamErrorException"
    span = telemetry.only_span()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "modelStreamErrorException"


# -- the exit-path matrix: the EventStream iterates and closes; it is no context manager, so the with-block path is
# `with closing(response["stream"])`, how a caller scopes a botocore stream


def _event_kind(item: Any) -> str:
    return str(next(iter(item)))


def _event_text(item: Any) -> str:
    chunk = item.get("chunk")
    if chunk is not None:
        return str(chunk["bytes"])
    return str(item.get("contentBlockDelta", {}).get("delta", {}).get("text", ""))


def _converse_stream(client: Any, headers: Headers) -> Any:
    response = with_headers(client, headers, "converse_stream", modelId=NOVA, messages=MESSAGES)
    return closing(response["stream"])


def _invoke_stream(client: Any, headers: Headers) -> Any:
    body = json.dumps(invoke_body(LLAMA))
    response = with_headers(client, headers, "invoke_model_with_response_stream", modelId=LLAMA, body=body)
    return closing(response["body"])


def _no_async(client: Any, headers: Headers) -> Any:
    raise AssertionError("boto3 has no async client")


APIS = [
    StreamingApi(
        "converse-stream",
        "bedrock",
        _converse_stream,
        _no_async,
        helper=True,  # entering closing() gives the stream
        kind=_event_kind,
        text=_event_text,
        response_id=lambda items: None,  # the events carry no id (the span's is the request id)
        finish_reasons=("end_turn",),
    ),
    StreamingApi(
        "invoke-with-response-stream",
        "bedrock",
        _invoke_stream,
        _no_async,
        helper=True,
        kind=_event_kind,
        text=_event_text,
        response_id=lambda items: None,
        finish_reasons=("stop",),
    ),
]


@pytest.mark.parametrize(("api", "path"), exit_cases(APIS, SYNC_PATHS))
def test_stream_exit(
    api: StreamingApi,
    path: str,
    bedrock: Any,
    instrument: Callable[..., Telemetry],
    caplog: pytest.LogCaptureFixture,
) -> None:
    check_sync_exit(api, path, bedrock, lambda: instrument(BedrockInstrumentor()), caplog)


# -- InvokeModel -------------------------------------------------------------------------------------------------------

FAMILIES = [
    # model, operation, finish reason, parameters the span must carry
    (CLAUDE, "chat", "end_turn", {"gen_ai.request.max_tokens": 100}),
    (LLAMA, "text_completion", "stop", {"gen_ai.request.max_tokens": 100, "gen_ai.request.temperature": 0.5}),
    (NOVA, "chat", "end_turn", {"gen_ai.request.max_tokens": 100}),
    (TITAN, "text_completion", "FINISH", {"gen_ai.request.max_tokens": 100, "gen_ai.request.temperature": 0.5}),
]


@pytest.fixture(params=FAMILIES, ids=lambda family: family[0].partition("-")[0])
def family(request: pytest.FixtureRequest) -> tuple[str, str, str, dict[str, Any]]:
    return request.param  # type: ignore[no-any-return]


def test_invoke_model(capturing: Telemetry, bedrock: Any, family: tuple[str, str, str, dict[str, Any]]) -> None:
    telemetry = capturing
    model, operation, reason, parameters = family
    response = bedrock.invoke_model(modelId=model, body=json.dumps(invoke_body(model)))
    body = response["body"]
    assert isinstance(body, StreamingBody)
    data = body.read()
    assert body.read() == b""  # read to the end, as an untouched body would be
    reply = "Hello from the llmotel stand-in model " + model
    assert reply in json.loads(data).__repr__()
    attributes = only_attributes(telemetry)
    assert attributes["gen_ai.operation.name"] == operation
    assert attributes["gen_ai.response.finish_reasons"] == (reason,)
    assert attributes["gen_ai.usage.input_tokens"] == 5
    assert attributes["gen_ai.usage.output_tokens"] == 7
    assert parameters.items() <= attributes.items()
    if model == CLAUDE:
        assert attributes["gen_ai.response.id"] == json.loads(data)["id"]
    else:
        assert attributes["gen_ai.response.id"] == response["ResponseMetadata"]["RequestId"]
    assert json.loads(attributes["gen_ai.input.messages"])[0]["parts"] == [
        {"type": "text", "content": "Say hello to the team"}
    ]
    assert json.loads(attributes["gen_ai.output.messages"]) == [
        {"role": "assistant", "parts": [{"type": "text", "content": reply}], "finish_reason": reason}
    ]


def test_invoke_model_body_bytes_unchanged(bedrock: Any, instrument: Callable[..., Telemetry]) -> None:
    body = json.dumps(invoke_body(LLAMA))
    plain = bedrock.invoke_model(modelId=LLAMA, body=body)
    instrument(BedrockInstrumentor())
    instrumented = bedrock.invoke_model(modelId=LLAMA, body=body)
    assert instrumented["contentType"] == plain["contentType"]
    assert list(instrumented["body"].iter_lines()) == list(plain["body"].iter_lines())


def test_invoke_model_file_body_passes_through(telemetry: Telemetry, bedrock: Any) -> None:
    """A file-like request body is not read by llmotel (that would consume it): no parameters, the call still works."""
    body = io.BytesIO(json.dumps(invoke_body(LLAMA)).encode())
    response = bedrock.invoke_model(modelId=LLAMA, body=body, guardrailIdentifier="gr-9", guardrailVersion="1")
    assert json.loads(response["body"].read())["stop_reason"] == "stop"
    attributes = only_attributes(telemetry)
    assert "gen_ai.request.max_tokens" not in attributes
    assert attributes["aws.bedrock.guardrail.id"] == "gr-9"
    assert attributes["gen_ai.usage.output_tokens"] == 7


def test_titan_embeddings(telemetry: Telemetry, bedrock: Any) -> None:
    body = json.dumps({"inputText": "Embed these four words", "dimensions": 256})
    response = bedrock.invoke_model(modelId=TITAN_EMBED, body=body)
    assert len(json.loads(response["body"].read())["embedding"]) == 256
    span = telemetry.only_span()
    assert span.name == f"embeddings {TITAN_EMBED}"
    assert span.attributes["gen_ai.usage.input_tokens"] == 4
    assert "gen_ai.usage.output_tokens" not in span.attributes
    assert span.attributes["gen_ai.embeddings.dimension.count"] == 256


def test_invoke_model_with_response_stream(
    capturing: Telemetry, bedrock: Any, family: tuple[str, str, str, dict[str, Any]]
) -> None:
    telemetry = capturing
    model, operation, reason, _ = family
    response = bedrock.invoke_model_with_response_stream(modelId=model, body=json.dumps(invoke_body(model)))
    chunks = [json.loads(event["chunk"]["bytes"]) for event in response["body"]]
    assert "amazon-bedrock-invocationMetrics" in chunks[-1]
    attributes = only_attributes(telemetry)
    assert attributes["gen_ai.operation.name"] == operation
    assert attributes["gen_ai.request.stream"] is True
    assert attributes["gen_ai.response.finish_reasons"] == (reason,)
    assert attributes["gen_ai.usage.input_tokens"] == 5
    assert attributes["gen_ai.usage.output_tokens"] == 7
    reply = "Hello from the llmotel stand-in model " + model
    assert json.loads(attributes["gen_ai.output.messages"]) == [
        {"role": "assistant", "parts": [{"type": "text", "content": reply}], "finish_reason": reason}
    ]


# -- errors ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scenario", "code", "error_class"),
    [
        ("error-429", "ThrottlingException", "ThrottlingException"),
        ("error-400", "ValidationException", "ValidationException"),
        ("error-401", "UnrecognizedClientException", "ClientError"),  # a code botocore has no class for
    ],
)
@pytest.mark.parametrize("method", ["converse", "converse_stream"])
def test_errors(telemetry: Telemetry, bedrock: Any, scenario: str, code: str, error_class: str, method: str) -> None:
    with pytest.raises(ClientError) as raised:
        with_headers(bedrock, {"x-standin-scenario": scenario}, method, modelId=NOVA, messages=MESSAGES)
    assert type(raised.value).__name__ == error_class
    assert raised.value.response["Error"]["Code"] == code
    span = telemetry.only_span()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == code
    duration = telemetry.metrics()["gen_ai.client.operation.duration"]
    assert point(duration, **{"error.type": code}).count == 1
    assert telemetry.events("gen_ai.client.operation.exception")


def test_invoke_model_validation_error(telemetry: Telemetry, bedrock: Any) -> None:
    """The stand-in refuses a Claude body without anthropic_version, as Bedrock does."""
    with pytest.raises(bedrock.exceptions.ValidationException):
        bedrock.invoke_model(modelId=CLAUDE, body=json.dumps({"messages": [], "max_tokens": 5}))
    assert only_attributes(telemetry)["error.type"] == "ValidationException"


def test_retries_are_one_span(telemetry: Telemetry, server: StandinServer) -> None:
    client = aws_client(server.url, {"mode": "standard", "max_attempts": 2})
    with closing(client):
        with_headers(client, {"x-standin-scenario": "error-429-once"}, "converse", modelId=NOVA, messages=MESSAGES)
    assert len(server.requests) == 2
    span = telemetry.only_span()
    assert span.status.status_code is StatusCode.UNSET
    assert span.attributes["gen_ai.usage.output_tokens"] == 7


# -- modes, lifecycle, other AWS calls ---------------------------------------------------------------------------------


def test_latest_semconv_mode(
    instrument: Callable[..., Telemetry], bedrock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", "gen_ai_latest_experimental")
    telemetry = instrument(BedrockInstrumentor())
    bedrock.converse(modelId=NOVA, system=CACHED_SYSTEM, messages=MESSAGES)
    attributes = only_attributes(telemetry)
    assert attributes["gen_ai.usage.cache_write.input_tokens"] == 13
    assert "gen_ai.usage.cache_creation.input_tokens" not in attributes
    metrics = telemetry.metrics()
    assert "gen_ai.client.inference.duration" in metrics
    assert point(metrics["gen_ai.client.inference.usage.input_tokens"], **{"gen_ai.request.model": NOVA}).value == 18


def test_uninstrument(instrument: Callable[..., Telemetry], bedrock: Any) -> None:
    original = botocore.client.BaseClient._make_api_call
    instrumentor = BedrockInstrumentor()
    telemetry = instrument(instrumentor)
    assert botocore.client.BaseClient._make_api_call is not original
    instrumentor.uninstrument()
    assert botocore.client.BaseClient._make_api_call is original
    with pytest.raises(ClientError) as raised:
        with_headers(bedrock, {"x-standin-scenario": "error-401"}, "converse", modelId=NOVA, messages=MESSAGES)
    bedrock.converse(modelId=NOVA, messages=MESSAGES)
    assert telemetry.genai_spans() == []
    assert type(raised.value) is ClientError


def test_other_aws_calls_untouched(telemetry: Telemetry, server: StandinServer, bedrock: Any) -> None:
    """Other services, and bedrock-runtime operations that are not inference, pass straight through: no span."""
    control_plane = aws_client(server.url, {"max_attempts": 1}, service="bedrock")
    with closing(control_plane), pytest.raises(ClientError):
        control_plane.list_foundation_models()
    with pytest.raises(ClientError):
        bedrock.apply_guardrail(
            guardrailIdentifier="gr-1", guardrailVersion="1", source="INPUT", content=[{"text": {"text": "hi"}}]
        )
    assert telemetry.genai_spans() == []
    assert [request.path for request in server.requests] == [
        "/foundation-models",
        "/guardrail/gr-1/version/1/apply",
    ]
