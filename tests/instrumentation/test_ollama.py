"""Ollama (chat, generate, embed, embeddings) through the real ollama client over HTTP to the stand-in server.

Ollama's client takes headers only when it is constructed, so per-call fault scenarios go through the model name
(`standin-<directive>`). The module-level functions (`ollama.chat`) use the package's default client, pointed at the
stand-in by moving that client's base URL for the test.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import ollama
import pytest
from opentelemetry.trace import SpanKind, StatusCode

from exit_matrix import (
    ASYNC_PATHS,
    SYNC_PATHS,
    Headers,
    StreamingApi,
    check_async_exit,
    check_sync_exit,
    exit_cases,
)
from generator_streams import AsyncGeneratorStream, closing_sync
from llm_support import Telemetry, point
from llmotel.providers.ollama import OllamaInstrumentor
from llmotel.standin import StandinServer
from llmotel.standin.ollama_api import THINKING_TEXT

pytestmark = pytest.mark.usefixtures("young_heap")

MODEL = "llama3.2"
EMBED_MODEL = "nomic-embed-text"
CAPTURE_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
MESSAGES = [{"role": "user", "content": "Say hello to the team"}]


def get_weather(city: str) -> str:
    """Weather for a city.

    Args:
      city: The city's name
    """
    return f"sunny in {city}"


@pytest.fixture
def client(server: StandinServer) -> Iterator[ollama.Client]:
    with ollama.Client(host=server.url) as client:
        yield client


@pytest.fixture
async def async_client(server: StandinServer) -> AsyncIterator[ollama.AsyncClient]:
    async with ollama.AsyncClient(host=server.url) as client:
        yield client


@pytest.fixture
def ollama_telemetry(instrument: Callable[..., Telemetry]) -> Telemetry:
    return instrument(OllamaInstrumentor())


def port_of(server: StandinServer) -> int:
    return int(server.url.rsplit(":", 1)[1])


def assert_usage(attributes: Any, response: Any) -> None:
    assert attributes["gen_ai.usage.input_tokens"] == response.prompt_eval_count
    assert attributes["gen_ai.usage.output_tokens"] == response.eval_count
    assert "gen_ai.usage.cache_read.input_tokens" not in attributes
    assert "gen_ai.usage.reasoning.output_tokens" not in attributes


# -- chat and generate -------------------------------------------------------------------------------------------------


def test_chat_span(ollama_telemetry: Telemetry, client: ollama.Client, server: StandinServer) -> None:
    response = client.chat(
        MODEL,
        MESSAGES,
        options={"temperature": 0.2, "top_p": 0.9, "top_k": 40, "num_predict": 100, "stop": ["END"], "seed": 3},
    )
    assert type(response) is ollama.ChatResponse
    span = ollama_telemetry.only_span()
    assert span.name == f"chat {MODEL}"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    attributes = span.attributes or {}
    assert attributes["gen_ai.operation.name"] == "chat"
    assert attributes["gen_ai.provider.name"] == "ollama"
    assert attributes["gen_ai.request.model"] == MODEL  # given positionally
    assert attributes["gen_ai.response.model"] == response.model
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert attributes["gen_ai.request.temperature"] == 0.2
    assert attributes["gen_ai.request.top_p"] == 0.9
    assert attributes["gen_ai.request.top_k"] == 40
    assert attributes["gen_ai.request.max_tokens"] == 100
    assert attributes["gen_ai.request.stop_sequences"] == ("END",)
    assert attributes["gen_ai.request.seed"] == 3
    assert attributes["server.address"] == "127.0.0.1"
    assert attributes["server.port"] == port_of(server)
    assert "gen_ai.request.stream" not in attributes
    assert "gen_ai.response.id" not in attributes  # Ollama answers without one
    assert "gen_ai.input.messages" not in attributes
    assert_usage(attributes, response)
    usage_points = ollama_telemetry.metrics()["gen_ai.client.token.usage"]
    assert point(usage_points, **{"gen_ai.token.type": "input"}).sum == response.prompt_eval_count == 5
    assert point(usage_points, **{"gen_ai.token.type": "output"}).sum == response.eval_count == 7
    duration = ollama_telemetry.metrics()["gen_ai.client.operation.duration"]
    assert point(duration, **{"gen_ai.provider.name": "ollama", "gen_ai.response.model": MODEL}).count == 1


async def test_async_chat_span(ollama_telemetry: Telemetry, async_client: ollama.AsyncClient) -> None:
    response = await async_client.chat(model=MODEL, messages=MESSAGES, format="json", options=ollama.Options(seed=5))
    assert json.loads(response.message.content)["answer"]
    attributes = ollama_telemetry.only_span().attributes or {}
    assert attributes["gen_ai.output.type"] == "json"
    assert attributes["gen_ai.request.seed"] == 5  # from an Options object
    assert_usage(attributes, response)


def test_generate_span(ollama_telemetry: Telemetry, client: ollama.Client) -> None:
    response = client.generate(MODEL, "Say hello", system="Be brief.", options={"num_predict": 3})
    assert response.done_reason == "length"
    span = ollama_telemetry.only_span()
    attributes = span.attributes or {}
    assert span.name == f"text_completion {MODEL}"
    assert attributes["gen_ai.operation.name"] == "text_completion"
    assert attributes["gen_ai.response.finish_reasons"] == ("length",)
    assert attributes["gen_ai.request.max_tokens"] == 3
    assert_usage(attributes, response)


def test_module_functions_use_the_default_client(
    monkeypatch: pytest.MonkeyPatch, ollama_telemetry: Telemetry, server: StandinServer
) -> None:
    monkeypatch.setattr(ollama._client._client, "base_url", server.url)
    response = ollama.chat(MODEL, MESSAGES)
    ollama.generate(model=MODEL, prompt="Say hello")
    ollama.embed(EMBED_MODEL, "hello")
    chat, generate, embed = ollama_telemetry.genai_spans()
    assert [span.name for span in (chat, generate, embed)] == [
        f"chat {MODEL}",
        f"text_completion {MODEL}",
        f"embeddings {EMBED_MODEL}",
    ]
    assert (chat.attributes or {})["server.port"] == port_of(server)
    assert_usage(chat.attributes, response)


# -- streams -----------------------------------------------------------------------------------------------------------


def test_chat_stream_usage_equals_the_response(ollama_telemetry: Telemetry, client: ollama.Client) -> None:
    response = client.chat(MODEL, MESSAGES)
    parts = list(client.chat(MODEL, MESSAGES, stream=True))
    whole, streamed = ollama_telemetry.genai_spans()
    attributes = streamed.attributes or {}
    assert attributes["gen_ai.request.stream"] is True
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert attributes["gen_ai.response.model"] == MODEL
    assert attributes["gen_ai.response.time_to_first_chunk"] > 0
    assert "".join(part.message.content for part in parts) == response.message.content
    assert_usage(attributes, parts[-1])
    usage_keys = [key for key in whole.attributes or {} if key.startswith("gen_ai.usage.")]
    assert {key: attributes[key] for key in usage_keys} == {key: (whole.attributes or {})[key] for key in usage_keys}
    metrics = ollama_telemetry.metrics()
    assert point(metrics["gen_ai.client.operation.time_to_first_chunk"], **{"gen_ai.provider.name": "ollama"}).count


async def test_async_generate_stream(ollama_telemetry: Telemetry, async_client: ollama.AsyncClient) -> None:
    parts = [part async for part in await async_client.generate(MODEL, "Say hello", stream=True)]
    span = ollama_telemetry.only_span()
    attributes = span.attributes or {}
    assert span.name == f"text_completion {MODEL}"
    assert attributes["gen_ai.request.stream"] is True
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert_usage(attributes, parts[-1])


# -- content capture ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "stream"])
def test_tool_call_and_thinking_content(
    monkeypatch: pytest.MonkeyPatch,
    instrument: Callable[..., Telemetry],
    client: ollama.Client,
    stream: bool,
) -> None:
    """Tools given as a Python function; thinking comes back as a reasoning part, with no reasoning token count."""
    monkeypatch.setenv(CAPTURE_ENV, "SPAN_AND_EVENT")
    telemetry = instrument(OllamaInstrumentor())
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Use get_weather for Seoul"}]
    result = client.chat(MODEL, messages, tools=[get_weather], think=True, stream=stream)
    parts = list(result) if stream else [result]
    (tool_call,) = [call for part in parts for call in part.message.tool_calls or ()]
    attributes = telemetry.only_span().attributes or {}
    assert json.loads(attributes["gen_ai.output.messages"]) == [
        {
            "role": "assistant",
            "parts": [
                {"type": "reasoning", "content": THINKING_TEXT},
                {
                    "type": "tool_call",
                    "id": None,
                    "name": "get_weather",
                    "arguments": dict(tool_call.function.arguments),
                },
            ],
            "finish_reason": "stop",
        }
    ]
    assert json.loads(attributes["gen_ai.input.messages"]) == [
        {"role": "system", "parts": [{"type": "text", "content": "Be brief."}]},
        {"role": "user", "parts": [{"type": "text", "content": "Use get_weather for Seoul"}]},
    ]
    (definition,) = json.loads(attributes["gen_ai.tool.definitions"])
    assert definition["function"]["name"] == "get_weather"
    assert definition["function"]["parameters"]["properties"]["city"]["type"] == "string"
    assert "gen_ai.usage.reasoning.output_tokens" not in attributes
    assert attributes["gen_ai.usage.output_tokens"] == parts[-1].eval_count
    (event,) = telemetry.events("gen_ai.client.inference.operation.details")
    assert event.attributes["gen_ai.request.model"] == MODEL


async def test_generate_content(
    monkeypatch: pytest.MonkeyPatch, instrument: Callable[..., Telemetry], async_client: ollama.AsyncClient
) -> None:
    monkeypatch.setenv(CAPTURE_ENV, "SPAN_ONLY")
    telemetry = instrument(OllamaInstrumentor())
    response = await async_client.generate(model=MODEL, prompt="Say hello", system="Be brief.")
    attributes = telemetry.only_span().attributes or {}
    assert json.loads(attributes["gen_ai.system_instructions"]) == [{"type": "text", "content": "Be brief."}]
    assert json.loads(attributes["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": "Say hello"}]}
    ]
    assert json.loads(attributes["gen_ai.output.messages"]) == [
        {"role": "assistant", "parts": [{"type": "text", "content": response.response}], "finish_reason": "stop"}
    ]


def test_tool_result_turn_content(
    monkeypatch: pytest.MonkeyPatch, instrument: Callable[..., Telemetry], client: ollama.Client
) -> None:
    monkeypatch.setenv(CAPTURE_ENV, "SPAN_ONLY")
    telemetry = instrument(OllamaInstrumentor())
    call = {"function": {"name": "get_weather", "arguments": {"city": "Seoul"}}}
    client.chat(
        MODEL,
        [
            {"role": "user", "content": "Use get_weather for Seoul"},
            {"role": "assistant", "content": "", "tool_calls": [call]},
            {"role": "tool", "content": "sunny", "tool_name": "get_weather"},
        ],
        tools=[get_weather],
    )
    inputs = json.loads((telemetry.only_span().attributes or {})["gen_ai.input.messages"])
    assert inputs[1]["parts"] == [
        {"type": "tool_call", "id": None, "name": "get_weather", "arguments": {"city": "Seoul"}}
    ]
    assert inputs[2] == {"role": "tool", "parts": [{"type": "tool_call_response", "id": None, "response": "sunny"}]}


# -- embeddings --------------------------------------------------------------------------------------------------------


def test_embed_span(ollama_telemetry: Telemetry, client: ollama.Client) -> None:
    response = client.embed(EMBED_MODEL, ["hello there", "bye"], dimensions=256)
    span = ollama_telemetry.only_span()
    attributes = span.attributes or {}
    assert span.name == f"embeddings {EMBED_MODEL}"
    assert attributes["gen_ai.operation.name"] == "embeddings"
    assert attributes["gen_ai.response.model"] == EMBED_MODEL
    assert attributes["gen_ai.embeddings.dimension.count"] == len(response.embeddings[0]) == 256
    assert attributes["gen_ai.usage.input_tokens"] == response.prompt_eval_count == 3


async def test_async_legacy_embeddings(ollama_telemetry: Telemetry, async_client: ollama.AsyncClient) -> None:
    response = await async_client.embeddings(EMBED_MODEL, "hello")
    attributes = ollama_telemetry.only_span().attributes or {}
    assert attributes["gen_ai.embeddings.dimension.count"] == len(response.embedding)
    assert "gen_ai.usage.input_tokens" not in attributes  # the legacy endpoint counts nothing


# -- errors ------------------------------------------------------------------------------------------------------------


def _chat(client: Any, model: str) -> Any:
    return client.chat(model, MESSAGES)


def _chat_stream(client: Any, model: str) -> Any:
    return list(client.chat(model, MESSAGES, stream=True))


def _generate(client: Any, model: str) -> Any:
    return client.generate(model, "hello")


def _embed(client: Any, model: str) -> Any:
    return client.embed(model, "hello")


@pytest.mark.parametrize("status", [429, 500])
@pytest.mark.parametrize(
    "method", [_chat, _chat_stream, _generate, _embed], ids=["chat", "stream", "generate", "embed"]
)
def test_http_errors(ollama_telemetry: Telemetry, client: ollama.Client, status: int, method: Any) -> None:
    with pytest.raises(ollama.ResponseError) as raised:
        method(client, f"standin-error-{status}")
    assert raised.value.status_code == status
    span = ollama_telemetry.only_span()
    assert span.status.status_code is StatusCode.ERROR
    assert (span.attributes or {})["error.type"] == "ollama.ResponseError"
    duration = ollama_telemetry.metrics()["gen_ai.client.operation.duration"]
    assert point(duration, **{"error.type": "ollama.ResponseError"}).count == 1
    assert ollama_telemetry.events("gen_ai.client.operation.exception")


async def test_async_error_mid_stream(ollama_telemetry: Telemetry, async_client: ollama.AsyncClient) -> None:
    """The runner's `{"error": ...}` line after two parts: the SDK raises it from the stream."""
    received = []
    with pytest.raises(ollama.ResponseError):
        async for part in await async_client.chat("standin-error-event-after-2", MESSAGES, stream=True):
            received.append(part)
    assert len(received) == 2
    span = ollama_telemetry.only_span()
    assert (span.attributes or {})["error.type"] == "ollama.ResponseError"
    assert "gen_ai.response.finish_reasons" not in (span.attributes or {})  # the last part never came


# -- lifecycle and modes -----------------------------------------------------------------------------------------------


def test_uninstrument(
    monkeypatch: pytest.MonkeyPatch, instrument: Callable[..., Telemetry], client: ollama.Client, server: StandinServer
) -> None:
    monkeypatch.setattr(ollama._client._client, "base_url", server.url)
    instrumentor = OllamaInstrumentor()
    telemetry = instrument(instrumentor)
    client.chat(MODEL, MESSAGES)
    instrumentor.uninstrument()
    client.chat(MODEL, MESSAGES)
    list(client.generate(MODEL, "hello", stream=True))
    ollama.chat(MODEL, MESSAGES)
    ollama.embed(EMBED_MODEL, "hello")
    assert len(telemetry.genai_spans()) == 1
    assert not hasattr(ollama.chat, "__wrapped__")


def test_name_imported_while_instrumented_stops_after_uninstrument(
    monkeypatch: pytest.MonkeyPatch, instrument: Callable[..., Telemetry], server: StandinServer
) -> None:
    monkeypatch.setattr(ollama._client._client, "base_url", server.url)
    instrumentor = OllamaInstrumentor()
    telemetry = instrument(instrumentor)
    from ollama import chat  # binds the patched function to a name unwrapping cannot reach

    chat(MODEL, MESSAGES)
    instrumentor.uninstrument()
    chat(MODEL, MESSAGES)
    assert len(telemetry.genai_spans()) == 1
    assert not hasattr(ollama.Client.chat, "__wrapped__")


def test_latest_semconv_mode(
    monkeypatch: pytest.MonkeyPatch, instrument: Callable[..., Telemetry], client: ollama.Client
) -> None:
    monkeypatch.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", "gen_ai_latest_experimental")
    telemetry = instrument(OllamaInstrumentor())
    parts = list(client.chat(MODEL, MESSAGES, stream=True))
    attributes = telemetry.only_span().attributes or {}
    assert_usage(attributes, parts[-1])
    metrics = telemetry.metrics()
    assert "gen_ai.client.token.usage" not in metrics
    input_points = metrics["gen_ai.client.inference.usage.input_tokens"]
    assert point(input_points, **{"gen_ai.provider.name": "ollama"}).value == parts[-1].prompt_eval_count
    assert "gen_ai.client.inference.time_to_first_chunk" in metrics


# -- the stream exit-path matrix ---------------------------------------------------------------------------------------


def _model(headers: Headers) -> str:
    """The client takes no per-call headers: a scenario travels in the model name."""
    scenario = headers.get("x-standin-scenario")
    return f"standin-{scenario}" if scenario else MODEL


def _chat_parts(client: Any, headers: Headers) -> Any:
    return client.chat(_model(headers), MESSAGES, stream=True)


def _generate_parts(client: Any, headers: Headers) -> Any:
    return client.generate(_model(headers), "Say hello", stream=True)


def _kind(part: Any) -> str:
    return "done" if part.done else "part"


async def _async_stream(opened: Any) -> Any:
    return AsyncGeneratorStream(await opened)


def _stream_api(name: str, open_parts: Callable[[Any, Headers], Any], text: Callable[[Any], str]) -> StreamingApi:
    return StreamingApi(
        name,
        "ollama",
        lambda c, h: closing_sync(open_parts(c, h)),
        lambda c, h: _async_stream(open_parts(c, h)),
        helper=True,
        kind=_kind,
        text=text,
        response_id=lambda parts: None,
        finish_reasons=("stop",),
    )


STREAMS = [
    _stream_api("ollama-chat", _chat_parts, lambda part: str(part.message.content)),
    _stream_api("ollama-generate", _generate_parts, lambda part: str(part.response)),
]


@pytest.mark.parametrize(("api", "path"), exit_cases(STREAMS, SYNC_PATHS))
def test_sync_exit_paths(
    api: StreamingApi,
    path: str,
    client: ollama.Client,
    instrument: Callable[..., Telemetry],
    caplog: pytest.LogCaptureFixture,
) -> None:
    check_sync_exit(api, path, client, lambda: instrument(OllamaInstrumentor()), caplog)


@pytest.mark.parametrize(("api", "path"), exit_cases(STREAMS, ASYNC_PATHS))
async def test_async_exit_paths(
    api: StreamingApi,
    path: str,
    async_client: ollama.AsyncClient,
    instrument: Callable[..., Telemetry],
    caplog: pytest.LogCaptureFixture,
) -> None:
    await check_async_exit(api, path, async_client, lambda: instrument(OllamaInstrumentor()), caplog)
