"""Google GenAI (`google-genai`) through the real client over HTTP to the stand-in, on both backends: the Gemini API
(api key) and Vertex AI (`vertexai=True` with static OAuth credentials, so no Google auth or network is touched).

Token accounting of the stand-in (standin/gemini_api.py): promptTokenCount includes cachedContentTokenCount, as
Gemini reports it; candidatesTokenCount excludes thoughtsTokenCount, which semconv's output_tokens includes.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import openai
import pytest
from google import genai
from google.genai import _extra_utils, errors, types
from google.genai.models import Models
from google.oauth2.credentials import Credentials
from opentelemetry.trace import SpanKind, StatusCode

from exit_matrix import (
    ASYNC_PATHS,
    SYNC_PATHS,
    Headers,
    StreamingApi,
    check_async_exit,
    check_sync_exit,
    collect_garbage,
    exit_cases,
)
from llm_support import API_KEY, GPT, Telemetry, point
from llmotel.providers.google_genai import GoogleGenAIInstrumentor
from llmotel.providers.openai import OpenAIInstrumentor
from llmotel.standin import StandinServer

GEMINI = "gemini-2.5-flash"
CAPTURE_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
PROMPT = "Say hello to the team"  # 5 words
REPLY = f"Hello from the llmotel stand-in model {GEMINI}"  # 7 words
PROVIDERS = {"gemini": "gcp.gemini", "vertex": "gcp.vertex_ai"}
WEATHER = types.FunctionDeclaration(
    name="get_weather",
    description="Weather for a city",
    parameters_json_schema={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)
THINKING = types.ThinkingConfig(include_thoughts=True, thinking_budget=256)
THOUGHTS_TOKENS = 14  # words of the stand-in's THOUGHTS_TEXT
CACHED_TOKENS = 32  # what the stand-in counts for any cachedContent


def make_client(server: StandinServer, backend: str, headers: Headers | None = None) -> genai.Client:
    options = types.HttpOptions(base_url=server.url + "/gemini", headers=headers)
    if backend == "vertex":
        return genai.Client(
            vertexai=True,
            project="llmotel-test",
            location="us-central1",
            credentials=Credentials(token="static-test-token"),  # valid, never refreshed: no Google auth
            http_options=options,
        )
    return genai.Client(api_key=API_KEY, http_options=options)


@pytest.fixture(params=["gemini", "vertex"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def clients(standin: StandinServer) -> Iterator[dict[str, genai.Client]]:
    """One client per backend for the module: constructing one costs ~0.3 s. Async calls made with them get an
    aiohttp session of their test's event loop, closed by that test (`aio.aclose()`; the client stays usable)."""
    made = {backend: make_client(standin, backend) for backend in PROVIDERS}
    yield made
    for each in made.values():
        each.close()


@pytest.fixture
def client(server: StandinServer, clients: dict[str, genai.Client], backend: str) -> genai.Client:
    return clients[backend]


@pytest.fixture
def gemini(server: StandinServer, clients: dict[str, genai.Client]) -> genai.Client:
    return clients["gemini"]


@pytest.fixture
async def async_client(
    server: StandinServer, clients: dict[str, genai.Client], backend: str
) -> AsyncIterator[genai.Client]:
    yield clients[backend]
    await clients[backend].aio.aclose()


@pytest.fixture
def instrumented(instrument: Callable[..., Telemetry]) -> Telemetry:
    return instrument(GoogleGenAIInstrumentor())


def scenario(name: str) -> types.GenerateContentConfig:
    return types.GenerateContentConfig(http_options=types.HttpOptions(headers={"x-standin-scenario": name}))


# -- generate_content --------------------------------------------------------------------------------------------------


def test_generate_content_span(instrumented: Telemetry, client: genai.Client, backend: str, server: Any) -> None:
    config = types.GenerateContentConfig(
        temperature=0.2,
        top_p=0.9,
        top_k=20,
        max_output_tokens=100,
        stop_sequences=["END"],
        seed=7,
        candidate_count=1,
        presence_penalty=0.1,
        frequency_penalty=0.3,
    )
    response = client.models.generate_content(model=GEMINI, contents=PROMPT, config=config)
    assert type(response) is types.GenerateContentResponse
    assert response.text == REPLY
    span = instrumented.only_span()
    assert span.name == f"generate_content {GEMINI}"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    attributes = span.attributes or {}
    assert attributes["gen_ai.operation.name"] == "generate_content"
    assert attributes["gen_ai.provider.name"] == PROVIDERS[backend]
    assert attributes["gen_ai.request.model"] == GEMINI
    assert attributes["gen_ai.response.model"] == response.model_version == GEMINI
    assert attributes["gen_ai.response.id"] == response.response_id
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert attributes["gen_ai.request.temperature"] == 0.2
    assert attributes["gen_ai.request.top_p"] == 0.9
    assert attributes["gen_ai.request.top_k"] == 20
    assert attributes["gen_ai.request.max_tokens"] == 100
    assert attributes["gen_ai.request.stop_sequences"] == ("END",)
    assert attributes["gen_ai.request.seed"] == 7
    assert attributes["gen_ai.request.choice.count"] == 1
    assert attributes["gen_ai.request.presence_penalty"] == 0.1
    assert attributes["gen_ai.request.frequency_penalty"] == 0.3
    assert attributes["server.address"] == "127.0.0.1"
    assert attributes["server.port"] == urlsplit(server.url).port
    assert "gen_ai.request.stream" not in attributes
    assert "gen_ai.output.type" not in attributes
    assert "gen_ai.input.messages" not in attributes  # no content unless opted in
    assert API_KEY not in json.dumps(dict(attributes))
    usage = response.usage_metadata
    assert usage is not None
    assert attributes["gen_ai.usage.input_tokens"] == usage.prompt_token_count == 5
    assert attributes["gen_ai.usage.output_tokens"] == usage.candidates_token_count == 7
    assert "gen_ai.usage.cache_read.input_tokens" not in attributes
    assert "gen_ai.usage.reasoning.output_tokens" not in attributes
    metrics = instrumented.metrics()
    assert point(metrics["gen_ai.client.token.usage"], **{"gen_ai.token.type": "input"}).sum == 5
    assert point(metrics["gen_ai.client.token.usage"], **{"gen_ai.token.type": "output"}).sum == 7
    duration = point(metrics["gen_ai.client.operation.duration"], **{"gen_ai.provider.name": PROVIDERS[backend]})
    assert duration.count == 1
    assert duration.attributes["gen_ai.response.model"] == GEMINI


async def test_async_generate_content(instrumented: Telemetry, async_client: genai.Client, backend: str) -> None:
    response = await async_client.aio.models.generate_content(model=GEMINI, contents=PROMPT)
    assert type(response) is types.GenerateContentResponse
    attributes = instrumented.only_span().attributes or {}
    assert attributes["gen_ai.provider.name"] == PROVIDERS[backend]
    assert attributes["gen_ai.response.id"] == response.response_id
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert attributes["gen_ai.usage.output_tokens"] == 7


def test_dict_config_max_tokens_and_json_output(instrumented: Telemetry, gemini: genai.Client) -> None:
    response = gemini.models.generate_content(
        model=GEMINI, contents=PROMPT, config={"max_output_tokens": 3, "temperature": 0.5}
    )
    json_response = gemini.models.generate_content(
        model=GEMINI, contents=PROMPT, config={"response_mime_type": "application/json"}
    )
    assert json.loads(json_response.text or "") == {"answer": REPLY}
    truncated, as_json = instrumented.genai_spans()
    assert response.candidates and response.candidates[0].finish_reason is types.FinishReason.MAX_TOKENS
    assert truncated.attributes["gen_ai.response.finish_reasons"] == ("max_tokens",)
    assert truncated.attributes["gen_ai.request.max_tokens"] == 3
    assert truncated.attributes["gen_ai.request.temperature"] == 0.5
    assert truncated.attributes["gen_ai.usage.output_tokens"] == 3
    assert as_json.attributes["gen_ai.output.type"] == "json"


def test_candidate_count_gives_a_reason_per_candidate(instrumented: Telemetry, gemini: genai.Client) -> None:
    response = gemini.models.generate_content(model=GEMINI, contents=PROMPT, config={"candidate_count": 2})
    assert response.candidates is not None and len(response.candidates) == 2
    attributes = instrumented.only_span().attributes or {}
    assert attributes["gen_ai.response.finish_reasons"] == ("stop", "stop")
    assert attributes["gen_ai.request.choice.count"] == 2
    assert attributes["gen_ai.usage.output_tokens"] == 14


@pytest.mark.parametrize("stream", [False, True], ids=["generate", "stream"])
def test_cache_and_thoughts_tokens(instrumented: Telemetry, client: genai.Client, stream: bool) -> None:
    config = types.GenerateContentConfig(cached_content="cachedContents/team-notes", thinking_config=THINKING)
    if stream:
        chunks = list(client.models.generate_content_stream(model=GEMINI, contents=PROMPT, config=config))
        usage = chunks[-1].usage_metadata
    else:
        usage = client.models.generate_content(model=GEMINI, contents=PROMPT, config=config).usage_metadata
    assert usage is not None
    assert usage.cached_content_token_count == CACHED_TOKENS
    assert usage.prompt_token_count == 5 + CACHED_TOKENS  # Gemini's prompt count includes the cached part
    assert usage.thoughts_token_count == THOUGHTS_TOKENS
    assert usage.candidates_token_count == 7  # without the thoughts
    attributes = instrumented.only_span().attributes or {}
    assert attributes["gen_ai.usage.input_tokens"] == 5 + CACHED_TOKENS
    assert attributes["gen_ai.usage.cache_read.input_tokens"] == CACHED_TOKENS
    assert attributes["gen_ai.usage.output_tokens"] == 7 + THOUGHTS_TOKENS
    assert attributes["gen_ai.usage.reasoning.output_tokens"] == THOUGHTS_TOKENS
    output = point(instrumented.metrics()["gen_ai.client.token.usage"], **{"gen_ai.token.type": "output"})
    assert output.sum == 7 + THOUGHTS_TOKENS


# -- streams -----------------------------------------------------------------------------------------------------------


def test_stream_span_equals_the_whole_response(instrumented: Telemetry, client: genai.Client, backend: str) -> None:
    whole = client.models.generate_content(model=GEMINI, contents=PROMPT)
    chunks = list(client.models.generate_content_stream(model=GEMINI, contents=PROMPT))
    assert "".join(chunk.text or "" for chunk in chunks) == whole.text
    plain, streamed = instrumented.genai_spans()
    attributes = streamed.attributes or {}
    assert streamed.name == f"generate_content {GEMINI}"
    assert attributes["gen_ai.provider.name"] == PROVIDERS[backend]
    assert attributes["gen_ai.request.stream"] is True
    assert attributes["gen_ai.response.id"] == chunks[-1].response_id
    assert attributes["gen_ai.response.model"] == GEMINI
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert attributes["gen_ai.response.time_to_first_chunk"] > 0
    usage_keys = [key for key in plain.attributes or {} if key.startswith("gen_ai.usage.")]
    assert usage_keys
    assert {key: attributes[key] for key in usage_keys} == {key: plain.attributes[key] for key in usage_keys}
    metrics = instrumented.metrics()
    assert point(metrics["gen_ai.client.operation.time_to_first_chunk"]).count == 1
    assert point(metrics["gen_ai.client.operation.time_per_output_chunk"]).count >= 1


async def test_async_stream(instrumented: Telemetry, async_client: genai.Client, backend: str) -> None:
    stream = await async_client.aio.models.generate_content_stream(model=GEMINI, contents=PROMPT)
    texts = [chunk.text async for chunk in stream]
    assert "".join(filter(None, texts)) == REPLY
    attributes = instrumented.only_span().attributes or {}
    assert attributes["gen_ai.provider.name"] == PROVIDERS[backend]
    assert attributes["gen_ai.request.stream"] is True
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert attributes["gen_ai.usage.input_tokens"] == 5
    assert attributes["gen_ai.usage.output_tokens"] == 7


async def test_async_stream_aclose(instrumented: Telemetry, async_client: genai.Client) -> None:
    """The async counterpart of the matrix's `close` path: an async generator is closed with aclose()."""
    stream = await async_client.aio.models.generate_content_stream(model=GEMINI, contents=PROMPT)
    async for _ in stream:
        break
    await stream.aclose()
    span = instrumented.only_span()
    assert span.status.status_code is StatusCode.UNSET
    assert span.attributes["gen_ai.request.stream"] is True


# The SDK's streams are plain generators (sync) and async generators (async): a caller leaves them with
# contextlib.closing / aclosing, so the matrix's with-block enters that (a "helper" that gives the stream on enter).
def _stream(client: genai.Client, headers: Headers) -> Any:
    return client.models.generate_content_stream(
        model=GEMINI, contents=PROMPT, config={"http_options": {"headers": headers}}
    )


async def _async_stream(client: genai.Client, headers: Headers) -> Any:
    stream = await client.aio.models.generate_content_stream(
        model=GEMINI, contents=PROMPT, config={"http_options": {"headers": headers}}
    )
    return contextlib.aclosing(stream)


def _text(chunk: Any) -> str:
    return str(chunk.text or "")


STREAM_APIS = [
    StreamingApi(
        "google-genai-stream",
        "google-genai",
        lambda client, headers: contextlib.closing(_stream(client, headers)),
        _async_stream,
        helper=True,
        kind=lambda chunk: "chunk",
        text=_text,
        response_id=lambda chunks: chunks[-1].response_id if chunks else None,
    )
]


@pytest.mark.usefixtures("young_heap")
@pytest.mark.parametrize(("api", "path"), exit_cases(STREAM_APIS, SYNC_PATHS))
def test_sync_exit_path(
    api: StreamingApi,
    path: str,
    instrument: Callable[..., Telemetry],
    gemini: genai.Client,
    caplog: pytest.LogCaptureFixture,
) -> None:
    check_sync_exit(api, path, gemini, lambda: instrument(GoogleGenAIInstrumentor()), caplog)


@pytest.mark.usefixtures("young_heap")
@pytest.mark.parametrize(("api", "path"), exit_cases(STREAM_APIS, ASYNC_PATHS))
async def test_async_exit_path(
    api: StreamingApi,
    path: str,
    instrument: Callable[..., Telemetry],
    gemini: genai.Client,
    caplog: pytest.LogCaptureFixture,
) -> None:
    try:
        await check_async_exit(api, path, gemini, lambda: instrument(GoogleGenAIInstrumentor()), caplog)
    finally:
        await gemini.aio.aclose()


# -- function calling --------------------------------------------------------------------------------------------------


def test_function_call_content(
    monkeypatch: pytest.MonkeyPatch, instrument: Callable[..., Telemetry], client: genai.Client
) -> None:
    monkeypatch.setenv(CAPTURE_ENV, "SPAN_ONLY")
    telemetry = instrument(GoogleGenAIInstrumentor())
    response = client.models.generate_content(
        model=GEMINI,
        contents="Use get_weather for Seoul",
        config=types.GenerateContentConfig(
            system_instruction="Be brief.", tools=[types.Tool(function_declarations=[WEATHER])]
        ),
    )
    assert response.function_calls and response.function_calls[0].args == {"city": "standin"}
    attributes = telemetry.only_span().attributes or {}
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert json.loads(attributes["gen_ai.output.messages"]) == [
        {
            "role": "assistant",
            "parts": [{"type": "tool_call", "id": None, "name": "get_weather", "arguments": {"city": "standin"}}],
            "finish_reason": "stop",
        }
    ]
    assert json.loads(attributes["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": "Use get_weather for Seoul"}]}
    ]
    assert json.loads(attributes["gen_ai.system_instructions"]) == [{"type": "text", "content": "Be brief."}]
    assert json.loads(attributes["gen_ai.tool.definitions"]) == [
        {
            "type": "function",
            "name": "get_weather",
            "description": "Weather for a city",
            "parameters": WEATHER.parameters_json_schema,
        }
    ]


def test_function_response_turn_content(
    monkeypatch: pytest.MonkeyPatch, instrument: Callable[..., Telemetry], gemini: genai.Client
) -> None:
    monkeypatch.setenv(CAPTURE_ENV, "SPAN_ONLY")
    telemetry = instrument(GoogleGenAIInstrumentor())
    call = types.Part.from_function_call(name="get_weather", args={"city": "Seoul"})
    result = types.Part.from_function_response(name="get_weather", response={"result": "12 C"})
    gemini.models.generate_content(
        model=GEMINI,
        contents=[
            types.Content(role="user", parts=[types.Part.from_text(text="Use get_weather for Seoul")]),
            types.Content(role="model", parts=[call]),
            types.Content(role="user", parts=[result]),
        ],
        config={"tools": [{"function_declarations": [WEATHER]}]},
    )
    attributes = telemetry.only_span().attributes or {}
    inputs = json.loads(attributes["gen_ai.input.messages"])
    assert [message["role"] for message in inputs] == ["user", "assistant", "tool"]
    assert inputs[1]["parts"] == [
        {"type": "tool_call", "id": None, "name": "get_weather", "arguments": {"city": "Seoul"}}
    ]
    assert inputs[2]["parts"] == [{"type": "tool_call_response", "id": None, "response": {"result": "12 C"}}]
    output = json.loads(attributes["gen_ai.output.messages"])
    assert output[0]["parts"] == [{"type": "text", "content": REPLY}]


def get_weather(city: str) -> str:
    """Weather for a city."""
    return f"12 C in {city}"


def by_operation(telemetry: Telemetry) -> dict[str, list[Any]]:
    spans: dict[str, list[Any]] = {}
    for span in telemetry.genai_spans():
        spans.setdefault(span.attributes["gen_ai.operation.name"], []).append(span)
    return spans


def test_automatic_function_calling_is_one_call_with_its_tool_run(
    instrumented: Telemetry, client: genai.Client, server: StandinServer
) -> None:
    """AFC: the SDK asks the model, runs get_weather itself, and asks again; the caller made one call."""
    response = client.models.generate_content(
        model=GEMINI, contents="Use get_weather for Seoul", config={"tools": [get_weather]}
    )
    assert response.text == REPLY
    history = response.automatic_function_calling_history or []
    assert len(history) == 3
    assert len([r for r in server.requests if r.path.endswith(":generateContent")]) == 2
    spans = by_operation(instrumented)
    (call,) = spans["generate_content"]
    (tool,) = spans["execute_tool"]
    assert call.attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert call.attributes["gen_ai.response.id"] == response.response_id
    # both model requests: the SDK's response keeps only the last one's usage (prompt 9, the tool result included)
    assert response.usage_metadata is not None
    assert (response.usage_metadata.prompt_token_count, response.usage_metadata.candidates_token_count) == (9, 7)
    assert call.attributes["gen_ai.usage.input_tokens"] == 4 + 9
    assert call.attributes["gen_ai.usage.output_tokens"] == 2 + 7  # the call's arguments {"city": "standin"}, the text
    usage_points = instrumented.metrics()["gen_ai.client.token.usage"]
    assert point(usage_points, **{"gen_ai.token.type": "input"}).sum == 13
    assert tool.name == "execute_tool get_weather"
    assert tool.kind is SpanKind.INTERNAL
    assert tool.attributes["gen_ai.tool.name"] == "get_weather"
    assert tool.attributes["gen_ai.tool.type"] == "function"
    assert tool.attributes["gen_ai.tool.description"] == "Weather for a city."
    assert tool.parent is not None and tool.parent.span_id == call.context.span_id
    assert history[2].parts[0].function_response.response == {"result": "12 C in standin"}


def test_model_calls_inside_an_automatic_function_call_are_recorded(
    instrument: Callable[..., Telemetry], gemini: genai.Client, server: StandinServer
) -> None:
    """A tool the SDK runs inside its call is new work: its own LLM call is a logical call of its own, not a
    retry of the Gemini call, so it gets its span (nested-call suppression stops at the tool span)."""
    telemetry = instrument(GoogleGenAIInstrumentor(), OpenAIInstrumentor())
    with openai.OpenAI(base_url=server.openai_base_url, api_key=API_KEY, max_retries=0) as helper_llm:

        def summarize_weather(city: str) -> str:
            """Weather summary for a city."""
            completion = helper_llm.chat.completions.create(model=GPT, messages=[{"role": "user", "content": city}])
            return completion.choices[0].message.content or ""

        gemini.models.generate_content(
            model=GEMINI, contents="Use summarize_weather for Seoul", config={"tools": [summarize_weather]}
        )
    spans = by_operation(telemetry)
    (tool,) = spans["execute_tool"]
    (chat,) = spans["chat"]
    assert chat.parent is not None and chat.parent.span_id == tool.context.span_id


def test_automatic_function_calling_stream_sums_usage(
    instrumented: Telemetry, client: genai.Client, server: StandinServer
) -> None:
    chunks = list(
        client.models.generate_content_stream(
            model=GEMINI, contents="Use get_weather for Seoul", config={"tools": [get_weather]}
        )
    )
    assert len([r for r in server.requests if ":streamGenerateContent" in r.path]) == 2
    finals = [chunk.usage_metadata for chunk in chunks if chunk.candidates and chunk.candidates[0].finish_reason]
    assert len(finals) == 2  # one finished model request per AFC round
    spans = by_operation(instrumented)
    (call,) = spans["generate_content"]
    assert [tool.name for tool in spans["execute_tool"]] == ["execute_tool get_weather"]
    attributes = call.attributes or {}
    assert attributes["gen_ai.usage.input_tokens"] == sum(usage.prompt_token_count for usage in finals)
    assert attributes["gen_ai.usage.output_tokens"] == sum(usage.candidates_token_count for usage in finals)
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)


async def get_forecast(city: str) -> str:
    """Forecast for a city."""
    return f"rain in {city}"


def broken_tool(city: str) -> str:
    """Always fails."""
    raise RuntimeError("weather service down")


async def test_async_automatic_function_calling_tool_spans(instrumented: Telemetry, async_client: genai.Client) -> None:
    response = await async_client.aio.models.generate_content(
        model=GEMINI,
        contents="Use get_forecast and broken_tool for Seoul",
        config={"tools": [get_forecast, broken_tool]},
    )
    assert response.text == REPLY
    results = {
        part.function_response.name: part.function_response.response
        for part in (response.automatic_function_calling_history or [])[2].parts or []
    }
    assert results["get_forecast"] == {"result": "rain in standin"}
    assert "weather service down" in results["broken_tool"]["error"]  # the SDK hands the failure to the model
    spans = by_operation(instrumented)
    (call,) = spans["generate_content"]
    tools = {span.attributes["gen_ai.tool.name"]: span for span in spans["execute_tool"]}
    assert sorted(tools) == ["broken_tool", "get_forecast"]
    assert tools["get_forecast"].status.status_code is StatusCode.UNSET
    assert tools["broken_tool"].status.status_code is StatusCode.ERROR
    assert tools["broken_tool"].attributes["error.type"] == "google.FunctionInvocationError"
    assert all(span.parent.span_id == call.context.span_id for span in tools.values())
    assert call.status.status_code is StatusCode.UNSET
    final = response.usage_metadata
    assert final is not None and final.prompt_token_count is not None
    assert call.attributes["gen_ai.usage.input_tokens"] == 6 + final.prompt_token_count  # the first request: 6 words
    assert call.attributes["gen_ai.usage.output_tokens"] == 2 * 2 + 7  # two calls' arguments, then the text


def test_chat_turns_are_one_span_each(
    monkeypatch: pytest.MonkeyPatch, instrument: Callable[..., Telemetry], gemini: genai.Client
) -> None:
    monkeypatch.setenv(CAPTURE_ENV, "SPAN_ONLY")
    telemetry = instrument(GoogleGenAIInstrumentor())
    chat = gemini.chats.create(model=GEMINI)
    chat.send_message(PROMPT)
    streamed = "".join(chunk.text or "" for chunk in chat.send_message_stream("Now say goodbye"))
    assert streamed == REPLY
    first, second = telemetry.genai_spans()
    assert "gen_ai.request.stream" not in first.attributes
    assert second.attributes["gen_ai.request.stream"] is True
    history = json.loads(second.attributes["gen_ai.input.messages"])
    assert [message["role"] for message in history] == ["user", "assistant", "user"]
    assert json.loads(second.attributes["gen_ai.output.messages"]) == [
        {"role": "assistant", "parts": [{"type": "text", "content": REPLY}], "finish_reason": "stop"}
    ]


# -- content -----------------------------------------------------------------------------------------------------------


def test_streamed_thoughts_content_and_event(
    monkeypatch: pytest.MonkeyPatch, instrument: Callable[..., Telemetry], gemini: genai.Client
) -> None:
    monkeypatch.setenv(CAPTURE_ENV, "SPAN_AND_EVENT")
    telemetry = instrument(GoogleGenAIInstrumentor())
    chunks = list(
        gemini.models.generate_content_stream(
            model=GEMINI, contents=PROMPT, config={"thinking_config": THINKING, "system_instruction": "Be brief."}
        )
    )
    thoughts = "".join(
        part.text or "" for chunk in chunks for part in chunk.candidates[0].content.parts if part.thought
    )
    attributes = telemetry.only_span().attributes or {}
    assert json.loads(attributes["gen_ai.output.messages"]) == [
        {
            "role": "assistant",
            "parts": [{"type": "reasoning", "content": thoughts}, {"type": "text", "content": REPLY}],
            "finish_reason": "stop",
        }
    ]
    assert json.loads(attributes["gen_ai.system_instructions"]) == [{"type": "text", "content": "Be brief."}]
    (event,) = telemetry.events("gen_ai.client.inference.operation.details")
    assert json.loads(event.attributes["gen_ai.output.messages"]) == json.loads(attributes["gen_ai.output.messages"])


def test_no_content_by_default(instrumented: Telemetry, gemini: genai.Client) -> None:
    gemini.models.generate_content(model=GEMINI, contents=PROMPT, config={"system_instruction": "Be brief."})
    attributes = instrumented.only_span().attributes or {}
    assert not [key for key in attributes if key in ("gen_ai.input.messages", "gen_ai.system_instructions")]
    assert "gen_ai.output.messages" not in attributes
    assert instrumented.events("gen_ai.client.inference.operation.details") == []


# -- embeddings --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "input_tokens"),
    [("text-embedding-004", {"gemini": None, "vertex": 6}), ("gemini-embedding-001", {"gemini": None, "vertex": 6})],
)
def test_embed_content(
    instrumented: Telemetry, client: genai.Client, backend: str, model: str, input_tokens: dict[str, int | None]
) -> None:
    response = client.models.embed_content(
        model=model, contents=["Say hello to the team", "Hi"], config={"output_dimensionality": 64}
    )
    assert response.embeddings is not None and len(response.embeddings[0].values or []) == 64
    span = instrumented.only_span()
    attributes = span.attributes or {}
    assert span.name == f"embeddings {model}"
    assert attributes["gen_ai.operation.name"] == "embeddings"
    assert attributes["gen_ai.provider.name"] == PROVIDERS[backend]
    assert attributes["gen_ai.embeddings.dimension.count"] == 64
    assert attributes.get("gen_ai.usage.input_tokens") == input_tokens[backend]


async def test_async_embed_content(instrumented: Telemetry, async_client: genai.Client, backend: str) -> None:
    await async_client.aio.models.embed_content(model="text-embedding-004", contents="Say hello")
    span = instrumented.only_span()
    assert span.name == "embeddings text-embedding-004"
    assert span.attributes["gen_ai.provider.name"] == PROVIDERS[backend]


# -- errors ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "error_class", "expected"),
    [
        (429, errors.ClientError, "RESOURCE_EXHAUSTED"),
        (400, errors.ClientError, "INVALID_ARGUMENT"),
        (500, errors.ServerError, "INTERNAL"),
    ],
)
@pytest.mark.parametrize("stream", [False, True], ids=["generate", "stream"])
def test_http_errors(
    instrumented: Telemetry, client: genai.Client, status: int, error_class: type, expected: str, stream: bool
) -> None:
    config = scenario(f"error-{status}")
    with pytest.raises(errors.APIError) as raised:
        if stream:
            list(client.models.generate_content_stream(model=GEMINI, contents=PROMPT, config=config))
        else:
            client.models.generate_content(model=GEMINI, contents=PROMPT, config=config)
    assert type(raised.value) is error_class
    assert raised.value.code == status
    span = instrumented.only_span()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == expected
    duration = instrumented.metrics()["gen_ai.client.operation.duration"]
    assert point(duration, **{"error.type": expected}).count == 1
    assert instrumented.events("gen_ai.client.operation.exception")


async def test_async_error_and_mid_stream_error(instrumented: Telemetry, async_client: genai.Client) -> None:
    with pytest.raises(errors.ClientError):
        await async_client.aio.models.generate_content(model="standin-error-429", contents=PROMPT)
    stream = await async_client.aio.models.generate_content_stream(
        model=GEMINI, contents=PROMPT, config=scenario("error-event-after-2")
    )
    received = []
    with pytest.raises(errors.ServerError):
        async for chunk in stream:
            received.append(chunk)
    assert len(received) == 2
    rate_limited, mid_stream = instrumented.genai_spans()
    assert rate_limited.attributes["error.type"] == "RESOURCE_EXHAUSTED"
    assert mid_stream.attributes["error.type"] == "UNAVAILABLE"
    assert mid_stream.attributes["gen_ai.usage.input_tokens"] == 5  # what arrived before the failure


def test_embed_error(instrumented: Telemetry, gemini: genai.Client) -> None:
    with pytest.raises(errors.ClientError):
        gemini.models.embed_content(model="standin-error-404", contents="Say hello")
    assert instrumented.only_span().attributes["error.type"] == "NOT_FOUND"


# -- modes and lifecycle -----------------------------------------------------------------------------------------------


def test_latest_semconv_mode(
    monkeypatch: pytest.MonkeyPatch, instrument: Callable[..., Telemetry], client: genai.Client, backend: str
) -> None:
    monkeypatch.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", "gen_ai_latest_experimental")
    telemetry = instrument(GoogleGenAIInstrumentor())
    client.models.generate_content(
        model=GEMINI, contents=PROMPT, config={"cached_content": "cachedContents/notes", "thinking_config": THINKING}
    )
    attributes = telemetry.only_span().attributes or {}
    assert attributes["gen_ai.provider.name"] == PROVIDERS[backend]
    assert attributes["gen_ai.usage.cache_read.input_tokens"] == CACHED_TOKENS
    metrics = telemetry.metrics()
    assert "gen_ai.client.token.usage" not in metrics
    assert point(metrics["gen_ai.client.inference.duration"]).count == 1
    usage = metrics["gen_ai.client.inference.usage.output_tokens"]
    assert point(usage, **{"gen_ai.token.modality": "text"}).value == 7 + THOUGHTS_TOKENS
    reasoning = metrics["gen_ai.client.inference.usage.reasoning.output_tokens"]
    assert point(reasoning, **{"gen_ai.token.modality": "text"}).value == THOUGHTS_TOKENS


@pytest.mark.usefixtures("young_heap")
def test_uninstrument(instrumented: Telemetry, gemini: genai.Client) -> None:
    proxied = gemini.models.generate_content_stream(model=GEMINI, contents=PROMPT)
    assert type(proxied).__name__ != "generator"  # proxied while instrumented...
    assert isinstance(proxied, Iterator)  # ...yet still an iterator to the caller
    list(proxied)
    assert len(instrumented.genai_spans()) == 1

    GoogleGenAIInstrumentor().uninstrument()  # the same singleton the fixture instrumented
    assert not hasattr(Models.generate_content, "__wrapped__")
    assert not hasattr(_extra_utils.invoke_function_from_dict_args, "__wrapped__")
    stream = gemini.models.generate_content_stream(model=GEMINI, contents=PROMPT)
    assert type(stream).__name__ == "generator"
    list(stream)
    gemini.models.generate_content(model=GEMINI, contents=PROMPT)
    gemini.models.embed_content(model="text-embedding-004", contents="hi")
    with pytest.raises(errors.ClientError):
        gemini.models.generate_content(model="standin-error-429", contents=PROMPT)
    collect_garbage()
    assert len(instrumented.genai_spans()) == 1  # nothing new
