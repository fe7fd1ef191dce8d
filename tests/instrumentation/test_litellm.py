"""LiteLLM through the real litellm package over HTTP to the stand-in (its OpenAI and Anthropic wire formats).

Every test instruments LiteLLM together with openai and anthropic: LiteLLM calls the openai SDK for `openai/...`
models, and the one logical call must still give one span, LiteLLM's, naming the real upstream.

LiteLLM's stream (CustomStreamWrapper) has no close() and is no context manager, sync or async: those exit paths
do not exist for its callers; the async stream's aclose() is tested on its own. Streams report usage only when the
caller asks for it with `stream_options={"include_usage": True}`.
"""

from __future__ import annotations

import os

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # litellm otherwise fetches its price map at import

from collections.abc import Callable
from typing import Any

import litellm
import pytest
from opentelemetry.trace import SpanKind, StatusCode

from chat_tools import WEATHER_TOOL
from exit_matrix import ASYNC_PATHS, SYNC_PATHS, Headers, StreamingApi, check_async_exit, check_sync_exit, exit_cases
from llm_support import API_KEY, CLAUDE, CLAUDE_SNAPSHOT, GPT, GPT_SNAPSHOT, Telemetry, point
from llmotel.providers.anthropic import AnthropicInstrumentor
from llmotel.providers.litellm import LiteLLMInstrumentor
from llmotel.providers.litellm.upstream import resolve
from llmotel.providers.openai import OpenAIInstrumentor
from llmotel.standin import StandinServer

pytestmark = pytest.mark.usefixtures("young_heap")

CAPTURE_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
MESSAGES = [{"role": "user", "content": "Say hello to the team"}]
USAGE = {"include_usage": True}
# 5 words cached by the first turn, read by a turn that carries an assistant reply (standin/anthropic_api.py)
CACHED_SYSTEM = {
    "role": "system",
    "content": [{"type": "text", "text": "You are a concise assistant", "cache_control": {"type": "ephemeral"}}],
}


def via_openai(server: StandinServer, **kwargs: Any) -> dict[str, Any]:
    return {"model": f"openai/{GPT}", "api_base": server.url + "/v1", "api_key": API_KEY, **kwargs}


def via_anthropic(server: StandinServer, **kwargs: Any) -> dict[str, Any]:
    return {"model": f"anthropic/{CLAUDE}", "api_base": server.url, "api_key": API_KEY, "max_tokens": 100, **kwargs}


def forget_litellm_clients() -> None:
    """LiteLLM caches the openai clients it makes, and an openai client keeps the `with_raw_response.create` it first
    bound (LiteLLM calls that): a fresh client binds the method as instrumented now, not by an earlier test."""
    litellm.in_memory_llm_clients_cache.flush_cache()


@pytest.fixture
def start(instrument: Callable[..., Telemetry]) -> Callable[[], Telemetry]:
    def instrument_all() -> Telemetry:
        forget_litellm_clients()  # so that the inner openai call meets this test's openai instrumentation
        return instrument(LiteLLMInstrumentor(), OpenAIInstrumentor(), AnthropicInstrumentor())

    return instrument_all


@pytest.fixture
def telemetry(start: Callable[[], Telemetry]) -> Telemetry:
    return start()


def assert_litellm_span(telemetry: Telemetry, provider: str, model: str, server: StandinServer) -> dict[str, Any]:
    span = telemetry.only_span()  # the openai / anthropic instrumentors recorded nothing more
    assert span.instrumentation_scope is not None and span.instrumentation_scope.name == "llmotel.litellm"
    assert span.name == f"chat {model}"
    assert span.kind is SpanKind.CLIENT
    attributes = dict(span.attributes or {})
    assert attributes["gen_ai.operation.name"] == "chat"
    assert attributes["gen_ai.provider.name"] == provider
    assert attributes["gen_ai.request.model"] == model
    assert attributes["server.address"] == "127.0.0.1"
    assert attributes["server.port"] == int(server.url.rsplit(":", 1)[1])
    assert API_KEY not in str(attributes)
    return attributes


def span_status(telemetry: Telemetry) -> StatusCode:
    return telemetry.only_span().status.status_code


# -- completion --------------------------------------------------------------------------------------------------------


def test_completion_via_openai(telemetry: Telemetry, server: StandinServer) -> None:
    response = litellm.completion(**via_openai(server), messages=MESSAGES, temperature=0.5, max_tokens=50, stop="END")
    assert type(response) is litellm.ModelResponse
    attributes = assert_litellm_span(telemetry, "openai", GPT, server)
    assert span_status(telemetry) is StatusCode.UNSET
    assert attributes["gen_ai.response.model"] == GPT_SNAPSHOT == response.model
    assert attributes["gen_ai.response.id"] == response.id
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert attributes["gen_ai.request.temperature"] == 0.5
    assert attributes["gen_ai.request.max_tokens"] == 50
    assert attributes["gen_ai.request.stop_sequences"] == ("END",)
    assert attributes["gen_ai.usage.input_tokens"] == response.usage.prompt_tokens > 0
    assert attributes["gen_ai.usage.output_tokens"] == response.usage.completion_tokens > 0
    assert "gen_ai.request.stream" not in attributes
    assert "gen_ai.input.messages" not in attributes
    metrics = telemetry.metrics()
    duration = point(metrics["gen_ai.client.operation.duration"], **{"gen_ai.provider.name": "openai"})
    assert duration.count == 1 and duration.attributes["gen_ai.response.model"] == GPT_SNAPSHOT
    usage = metrics["gen_ai.client.token.usage"]
    assert point(usage, **{"gen_ai.token.type": "output"}).sum == response.usage.completion_tokens


def test_the_inner_openai_call_is_what_llmotel_would_record_otherwise(
    instrument: Callable[..., Telemetry], server: StandinServer
) -> None:
    """Without the LiteLLM instrumentor the openai one records LiteLLM's SDK call: the one-span rule is what
    leaves it out in the other tests."""
    forget_litellm_clients()
    telemetry = instrument(OpenAIInstrumentor(), AnthropicInstrumentor())
    litellm.completion(**via_openai(server), messages=MESSAGES)
    span = telemetry.only_span()
    assert span.instrumentation_scope is not None and span.instrumentation_scope.name == "llmotel.openai"


def test_completion_via_anthropic_with_cache_writes_and_reads(telemetry: Telemetry, server: StandinServer) -> None:
    first = litellm.completion(**via_anthropic(server), messages=[CACHED_SYSTEM, *MESSAGES])
    attributes = assert_litellm_span(telemetry, "anthropic", CLAUDE, server)
    assert attributes["gen_ai.response.model"] == CLAUDE_SNAPSHOT == first.model
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)  # LiteLLM's mapping of end_turn
    assert first.usage.cache_creation_input_tokens == 5
    assert attributes["gen_ai.usage.cache_creation.input_tokens"] == 5
    assert attributes["gen_ai.usage.cache_read.input_tokens"] == 0
    # LiteLLM's prompt_tokens already include the cached prefix, as semconv's input tokens do: 5 cached + 5 words
    assert attributes["gen_ai.usage.input_tokens"] == first.usage.prompt_tokens == 10
    telemetry.spans_exporter.clear()
    second_turn = [CACHED_SYSTEM, *MESSAGES, {"role": "assistant", "content": "Hello team"}, MESSAGES[0]]
    second = litellm.completion(**via_anthropic(server), messages=second_turn)
    attributes = dict(telemetry.only_span().attributes or {})
    assert attributes["gen_ai.usage.cache_read.input_tokens"] == second.usage.prompt_tokens_details.cached_tokens == 5
    assert attributes["gen_ai.usage.cache_creation.input_tokens"] == 0
    assert attributes["gen_ai.usage.input_tokens"] == second.usage.prompt_tokens == 17


def test_reasoning_tokens(telemetry: Telemetry, server: StandinServer) -> None:
    response = litellm.completion(
        **via_openai(server, model="openai/o4-mini"), messages=MESSAGES, reasoning_effort="low"
    )
    attributes = telemetry.only_span().attributes or {}
    assert attributes["gen_ai.request.model"] == "o4-mini"
    assert attributes["gen_ai.usage.reasoning.output_tokens"] == 8
    assert attributes["gen_ai.usage.output_tokens"] == response.usage.completion_tokens


def test_tool_calls_with_content(
    monkeypatch: pytest.MonkeyPatch, start: Callable[[], Telemetry], server: StandinServer
) -> None:
    monkeypatch.setenv(CAPTURE_ENV, "SPAN_AND_EVENT")
    telemetry = start()
    messages = [{"role": "user", "content": "Use get_weather for Seoul"}]
    response = litellm.completion(**via_openai(server), messages=messages, tools=[WEATHER_TOOL])
    tool_call = response.choices[0].message.tool_calls[0]
    attributes = telemetry.only_span().attributes or {}
    assert attributes["gen_ai.response.finish_reasons"] == ("tool_calls",)
    assert '"Use get_weather for Seoul"' in str(attributes["gen_ai.input.messages"])
    assert "get_weather" in str(attributes["gen_ai.tool.definitions"])
    output = str(attributes["gen_ai.output.messages"])
    assert '"tool_call"' in output and tool_call.id in output and '"city"' in output
    events = telemetry.events("gen_ai.client.inference.operation.details")
    assert len(events) == 1 and events[0].attributes["gen_ai.provider.name"] == "openai"


def test_positional_model_and_messages(telemetry: Telemetry, server: StandinServer) -> None:
    arguments = via_anthropic(server)
    litellm.completion(arguments.pop("model"), MESSAGES, **arguments)
    assert telemetry.only_span().name == f"chat {CLAUDE}"


async def test_acompletion(telemetry: Telemetry, server: StandinServer) -> None:
    response = await litellm.acompletion(**via_anthropic(server), messages=MESSAGES)
    attributes = assert_litellm_span(telemetry, "anthropic", CLAUDE, server)
    assert attributes["gen_ai.response.id"] == response.id
    assert attributes["gen_ai.usage.output_tokens"] == response.usage.completion_tokens
    telemetry.spans_exporter.clear()
    await litellm.acompletion(**via_openai(server), messages=MESSAGES)  # LiteLLM awaits the openai async client
    assert_litellm_span(telemetry, "openai", GPT, server)


# -- errors ------------------------------------------------------------------------------------------------------------


def test_error_reaches_the_caller_unchanged(telemetry: Telemetry, server: StandinServer) -> None:
    with pytest.raises(litellm.RateLimitError) as raised:
        litellm.completion(**via_openai(server), messages=MESSAGES, extra_headers={"x-standin-scenario": "error-429"})
    assert type(raised.value) is litellm.RateLimitError  # LiteLLM's mapping of openai's error, not replaced by ours
    span = telemetry.only_span()
    assert span.status.status_code is StatusCode.ERROR
    assert (span.attributes or {})["error.type"] == "litellm.RateLimitError"
    duration = telemetry.metrics()["gen_ai.client.operation.duration"]
    assert point(duration, **{"error.type": "litellm.RateLimitError"}).count == 1


async def test_async_error_with_litellm_retries_is_one_span(telemetry: Telemetry, server: StandinServer) -> None:
    with pytest.raises(litellm.RateLimitError):
        await litellm.acompletion(
            **via_anthropic(server, model="anthropic/standin-error-429"), messages=MESSAGES, num_retries=1
        )
    assert len(server.requests) == 2  # LiteLLM retried (calling litellm.acompletion again): still one logical call
    span = telemetry.only_span()
    assert (span.attributes or {})["error.type"] == "litellm.RateLimitError"
    assert (span.attributes or {})["gen_ai.provider.name"] == "anthropic"


# -- streams -----------------------------------------------------------------------------------------------------------


def test_stream_with_usage_and_content(
    monkeypatch: pytest.MonkeyPatch, start: Callable[[], Telemetry], server: StandinServer
) -> None:
    monkeypatch.setenv(CAPTURE_ENV, "SPAN_ONLY")
    telemetry = start()
    stream = litellm.completion(**via_openai(server), messages=MESSAGES, stream=True, stream_options=USAGE)
    assert isinstance(stream, litellm.CustomStreamWrapper)
    chunks = list(stream)
    attributes = assert_litellm_span(telemetry, "openai", GPT, server)
    usage = chunks[-1].usage
    assert attributes["gen_ai.request.stream"] is True
    assert attributes["gen_ai.response.id"] == chunks[0].id
    assert attributes["gen_ai.response.model"] == chunks[0].model  # LiteLLM's chunks name the requested model
    assert attributes["gen_ai.usage.input_tokens"] == usage.prompt_tokens
    assert attributes["gen_ai.usage.output_tokens"] == usage.completion_tokens == 7
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    assert f'"{text}"' in str(attributes["gen_ai.output.messages"])
    metrics = telemetry.metrics()
    assert point(metrics["gen_ai.client.operation.time_to_first_chunk"]).count == 1
    assert point(metrics["gen_ai.client.operation.time_per_output_chunk"]).count == 1


def test_stream_without_usage_request_has_no_token_counts(telemetry: Telemetry, server: StandinServer) -> None:
    list(litellm.completion(**via_anthropic(server), messages=MESSAGES, stream=True))
    attributes = assert_litellm_span(telemetry, "anthropic", CLAUDE, server)
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert "gen_ai.usage.output_tokens" not in attributes


async def test_async_stream_via_anthropic_with_cache_writes(telemetry: Telemetry, server: StandinServer) -> None:
    messages = [CACHED_SYSTEM, *MESSAGES]
    stream = await litellm.acompletion(**via_anthropic(server), messages=messages, stream=True, stream_options=USAGE)
    chunks = [chunk async for chunk in stream]
    attributes = assert_litellm_span(telemetry, "anthropic", CLAUDE, server)
    assert attributes["gen_ai.usage.cache_creation.input_tokens"] == chunks[-1].usage.cache_creation_input_tokens == 5
    assert attributes["gen_ai.usage.input_tokens"] == chunks[-1].usage.prompt_tokens == 10


async def test_async_stream_aclose_ends_the_span(telemetry: Telemetry, server: StandinServer) -> None:
    stream = await litellm.acompletion(**via_openai(server), messages=MESSAGES, stream=True)
    await stream.__anext__()
    assert telemetry.genai_spans() == []
    await stream.aclose()
    span = telemetry.only_span()
    assert span.status.status_code is StatusCode.UNSET
    assert (span.attributes or {})["gen_ai.provider.name"] == "openai"


def _openai_stream(server: StandinServer, headers: Headers, call: Callable[..., Any]) -> Any:
    return call(**via_openai(server), messages=MESSAGES, stream=True, stream_options=USAGE, extra_headers=headers)


def _anthropic_stream(server: StandinServer, headers: Headers, call: Callable[..., Any]) -> Any:
    return call(**via_anthropic(server), messages=MESSAGES, stream=True, stream_options=USAGE, extra_headers=headers)


STREAMS = [
    StreamingApi(
        "openai",
        "litellm",
        lambda server, headers: _openai_stream(server, headers, litellm.completion),
        lambda server, headers: _openai_stream(server, headers, litellm.acompletion),
    ),
    StreamingApi(
        "anthropic",
        "litellm",
        lambda server, headers: _anthropic_stream(server, headers, litellm.completion),
        lambda server, headers: _anthropic_stream(server, headers, litellm.acompletion),
    ),
]
# CustomStreamWrapper has no close() and is no context manager (sync or async)
UNSUPPORTED = {"close", "with-early-exit"}
# LiteLLM's async streams end quietly when the connection drops mid-stream: test_async_cut_stream
ASYNC_UNSUPPORTED = {*UNSUPPORTED, "provider-cut"}


@pytest.mark.parametrize(("api", "path"), exit_cases(STREAMS, [p for p in SYNC_PATHS if p not in UNSUPPORTED]))
def test_sync_exit_path(
    api: StreamingApi,
    path: str,
    start: Callable[[], Telemetry],
    server: StandinServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    check_sync_exit(api, path, server, start, caplog)


@pytest.mark.parametrize(("api", "path"), exit_cases(STREAMS, [p for p in ASYNC_PATHS if p not in ASYNC_UNSUPPORTED]))
async def test_async_exit_path(
    api: StreamingApi,
    path: str,
    start: Callable[[], Telemetry],
    server: StandinServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await check_async_exit(api, path, server, start, caplog)


async def test_async_cut_stream(telemetry: Telemetry, server: StandinServer) -> None:
    """LiteLLM 1.83 ends an async stream whose connection drops without raising, and makes up its end: a `stop`
    finish reason and usage counted by its own tokenizer. The span reports what the caller got."""
    stream = _openai_stream(server, {"x-standin-scenario": "cut-after-3"}, litellm.acompletion)
    chunks = [chunk async for chunk in await stream]
    assert "".join(chunk.choices[0].delta.content or "" for chunk in chunks) == "Hello from"
    span = telemetry.only_span()
    attributes = span.attributes or {}
    assert span.status.status_code is StatusCode.UNSET
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert attributes["gen_ai.usage.output_tokens"] == chunks[-1].usage.completion_tokens


# -- embeddings --------------------------------------------------------------------------------------------------------


def test_embedding(telemetry: Telemetry, server: StandinServer) -> None:
    response = litellm.embedding(
        model="openai/text-embedding-3-small", api_base=server.url + "/v1", api_key=API_KEY, input=["one two three"]
    )
    span = telemetry.only_span()
    assert span.name == "embeddings text-embedding-3-small"
    attributes = span.attributes or {}
    assert attributes["gen_ai.operation.name"] == "embeddings"
    assert attributes["gen_ai.provider.name"] == "openai"
    assert attributes["gen_ai.usage.input_tokens"] == response.usage.prompt_tokens == 3
    assert attributes["gen_ai.embeddings.dimension.count"] == len(response.data[0]["embedding"]) == 1536


async def test_aembedding(telemetry: Telemetry, server: StandinServer) -> None:
    await litellm.aembedding(
        model="openai/text-embedding-3-small",
        api_base=server.url + "/v1",
        api_key=API_KEY,
        input=["one two"],
        dimensions=8,
        encoding_format="float",
    )
    attributes = telemetry.only_span().attributes or {}
    assert attributes["gen_ai.request.encoding_formats"] == ("float",)
    assert attributes["gen_ai.embeddings.dimension.count"] == 8
    assert attributes["gen_ai.usage.input_tokens"] == 2


# -- modes, lifecycle, resolution --------------------------------------------------------------------------------------


def test_latest_semconv_mode(
    monkeypatch: pytest.MonkeyPatch, start: Callable[[], Telemetry], server: StandinServer
) -> None:
    monkeypatch.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", "gen_ai_latest_experimental")
    telemetry = start()
    litellm.completion(**via_anthropic(server), messages=[CACHED_SYSTEM, *MESSAGES])
    attributes = telemetry.only_span().attributes or {}
    assert attributes["gen_ai.usage.cache_write.input_tokens"] == 5
    assert "gen_ai.usage.cache_creation.input_tokens" not in attributes
    metrics = telemetry.metrics()
    assert point(metrics["gen_ai.client.inference.duration"], **{"gen_ai.provider.name": "anthropic"}).count == 1


def test_uninstrument(start: Callable[[], Telemetry], server: StandinServer) -> None:
    original = litellm.completion
    instrumentor = LiteLLMInstrumentor()
    telemetry = start()
    assert litellm.completion is not original
    instrumentor.uninstrument()
    OpenAIInstrumentor().uninstrument()
    AnthropicInstrumentor().uninstrument()
    assert litellm.completion is original
    stream = litellm.completion(**via_openai(server), messages=MESSAGES, stream=True)
    assert type(stream) is litellm.CustomStreamWrapper  # not a proxy
    list(stream)
    assert telemetry.spans() == []


@pytest.mark.parametrize(
    ("model", "provider", "bare_model"),
    [
        ("bedrock/anthropic.claude-3-haiku-20240307-v1:0", "aws.bedrock", "anthropic.claude-3-haiku-20240307-v1:0"),
        ("vertex_ai/gemini-2.5-flash", "gcp.vertex_ai", "gemini-2.5-flash"),
        ("gemini/gemini-2.5-flash", "gcp.gemini", "gemini-2.5-flash"),
        ("mistral/mistral-small-latest", "mistral_ai", "mistral-small-latest"),
        ("azure/my-deployment", "azure.ai.openai", "my-deployment"),
        ("xai/grok-4", "x_ai", "grok-4"),
        ("watsonx/ibm/granite-3-8b-instruct", "ibm.watsonx.ai", "ibm/granite-3-8b-instruct"),
        ("groq/llama-3.3-70b-versatile", "groq", "llama-3.3-70b-versatile"),
        ("ollama_chat/llama3.2", "ollama", "llama3.2"),
        ("together_ai/meta-llama/Llama-3-8b", "together_ai", "meta-llama/Llama-3-8b"),
        (GPT, "openai", GPT),
    ],
)
def test_upstream_resolution(model: str, provider: str, bare_model: str) -> None:
    """LiteLLM's own routing rules name the upstream; its provider names map to semconv's."""
    upstream = resolve(model, None, None)
    assert (upstream.provider, upstream.model) == (provider, bare_model)


def test_upstream_server_from_litellm_defaults() -> None:
    upstream = resolve("groq/llama-3.3-70b-versatile", None, None)
    assert (upstream.server_address, upstream.server_port) == ("api.groq.com", 443)
