"""The Gemini wire format: the real google-genai client on both backends (Gemini API and Vertex AI), and the raw
replies where the SDK hides the wire (SSE framing, error JSON, unknown paths)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from google import genai
from google.genai import errors, types
from google.oauth2.credentials import Credentials

from llmotel.standin import StandinServer, respond
from llmotel.standin.body import ChunkStream, ConnectionCut
from llmotel.standin.gemini_api import CACHED_CONTENT_TOKENS, THOUGHTS_TEXT

GEMINI = "gemini-2.5-flash"
REPLY = f"Hello from the llmotel stand-in model {GEMINI}"
PROMPT = "Say hello to the tests"  # 5 words
GEMINI_PATH = f"/gemini/v1beta/models/{GEMINI}"
VERTEX_PATH = f"/gemini/v1beta1/projects/p/locations/us-central1/publishers/google/models/{GEMINI}"
CONTENTS = [{"role": "user", "parts": [{"text": PROMPT}]}]
WEATHER = types.FunctionDeclaration(
    name="get_weather",
    description="Weather of a city",
    parameters=types.Schema(
        type=types.Type.OBJECT, properties={"city": types.Schema(type=types.Type.STRING)}, required=["city"]
    ),
)


@pytest.fixture(scope="module")
def clients(standin: StandinServer) -> Iterator[dict[str, genai.Client]]:
    options = types.HttpOptions(base_url=standin.url + "/gemini")
    made = {
        "gemini": genai.Client(api_key="standin-key", http_options=options),
        "vertex": genai.Client(
            vertexai=True,
            project="p",
            location="us-central1",
            credentials=Credentials(token="static-token"),
            http_options=options,
        ),
    }
    yield made
    for client in made.values():
        client.close()


@pytest.fixture(params=["gemini", "vertex"])
def client(request: pytest.FixtureRequest, server: StandinServer, clients: dict[str, genai.Client]) -> genai.Client:
    return clients[request.param]


def sse_chunks(path: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> list[dict[str, Any]]:
    reply = respond("POST", path + ":streamGenerateContent?alt=sse", body, headers or {})
    assert reply.status == 200 and reply.headers["content-type"].startswith("text/event-stream")
    assert isinstance(reply.body, ChunkStream)
    events = b"".join(reply.body).decode().split("\n\n")
    assert events[-1] == ""
    assert all(event.startswith("data: ") for event in events[:-1])
    return [json.loads(event[len("data: ") :]) for event in events[:-1]]


def test_generate_content(client: genai.Client, server: StandinServer) -> None:
    response = client.models.generate_content(model=GEMINI, contents=PROMPT)
    assert response.text == REPLY
    assert response.model_version == GEMINI
    assert response.response_id
    assert response.candidates and response.candidates[0].finish_reason is types.FinishReason.STOP
    usage = response.usage_metadata
    assert usage is not None
    assert (usage.prompt_token_count, usage.candidates_token_count, usage.total_token_count) == (5, 7, 12)
    assert usage.thoughts_token_count is None and usage.cached_content_token_count is None
    assert server.requests[-1].path.endswith(f"models/{GEMINI}:generateContent")


def test_stream_one_word_per_chunk_usage_complete_on_the_last(client: genai.Client) -> None:
    chunks = list(client.models.generate_content_stream(model=GEMINI, contents=PROMPT))
    assert [chunk.text for chunk in chunks] == [
        "Hello",
        " from",
        " the",
        " llmotel",
        " stand-in",
        " model",
        f" {GEMINI}",
    ]
    assert all(chunk.usage_metadata and chunk.usage_metadata.prompt_token_count == 5 for chunk in chunks)
    assert [chunk.candidates[0].finish_reason for chunk in chunks if chunk.candidates] == [None] * 6 + [
        types.FinishReason.STOP
    ]
    last = chunks[-1].usage_metadata
    assert last is not None and last.candidates_token_count == 7 and last.total_token_count == 12
    assert len({chunk.response_id for chunk in chunks}) == 1


def test_sse_framing_is_data_events() -> None:
    chunks = sse_chunks(GEMINI_PATH, {"contents": CONTENTS})
    assert len(chunks) == 7
    assert "finishReason" not in chunks[0]["candidates"][0]
    assert chunks[-1]["candidates"][0]["finishReason"] == "STOP"
    assert chunks[-1]["usageMetadata"]["candidatesTokenCount"] == 7
    assert "createTime" not in chunks[0]
    assert "createTime" in sse_chunks(VERTEX_PATH, {"contents": CONTENTS})[0]  # Vertex's replies carry it


def test_function_call_when_the_prompt_names_the_tool(client: genai.Client) -> None:
    config = types.GenerateContentConfig(
        tools=[types.Tool(function_declarations=[WEATHER])],
        automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
    )
    response = client.models.generate_content(model=GEMINI, contents="Use get_weather for Paris", config=config)
    assert response.function_calls and response.function_calls[0].name == "get_weather"
    assert response.function_calls[0].args == {"city": "standin"}  # the schema's sample, types lower-cased
    streamed = list(client.models.generate_content_stream(model=GEMINI, contents="Use get_weather now", config=config))
    assert streamed[-1].function_calls and streamed[-1].function_calls[0].args == {"city": "standin"}
    plain = client.models.generate_content(model=GEMINI, contents=PROMPT, config=config)
    assert plain.text == REPLY and not plain.function_calls


def test_tool_choice_none_and_forced() -> None:
    tools = [{"functionDeclarations": [{"name": "get_weather", "parametersJsonSchema": {"type": "object"}}]}]
    for mode, called in (("NONE", False), ("ANY", True), ("AUTO", False)):
        body = {"contents": CONTENTS, "tools": tools, "toolConfig": {"functionCallingConfig": {"mode": mode}}}
        reply = respond("POST", GEMINI_PATH + ":generateContent", body, {})
        parts = json.loads(bytes(reply.body))["candidates"][0]["content"]["parts"]  # type: ignore[arg-type]
        assert ("functionCall" in parts[0]) is called, mode


def test_function_response_turn_is_answered_with_text(client: genai.Client) -> None:
    response = client.models.generate_content(
        model=GEMINI,
        contents=[
            types.Content(role="user", parts=[types.Part.from_text(text="Use get_weather for Paris")]),
            types.Content(role="model", parts=[types.Part.from_function_call(name="get_weather", args={"city": "P"})]),
            types.Content(
                role="user", parts=[types.Part.from_function_response(name="get_weather", response={"r": "sunny"})]
            ),
        ],
        config={"tools": [types.Tool(function_declarations=[WEATHER])]},
    )
    assert response.text == REPLY
    usage = response.usage_metadata
    assert usage is not None and usage.prompt_token_count == 4 + 2  # the prompt, the result's JSON {"r": "sunny"}


def test_thinking_and_cached_content(client: genai.Client) -> None:
    config = types.GenerateContentConfig(
        thinking_config=types.ThinkingConfig(include_thoughts=True, thinking_budget=128),
        cached_content="cachedContents/notes",
    )
    response = client.models.generate_content(model=GEMINI, contents=PROMPT, config=config)
    assert response.candidates and response.candidates[0].content and response.candidates[0].content.parts
    thought, answer = response.candidates[0].content.parts
    assert thought.thought is True and thought.text == THOUGHTS_TEXT
    assert answer.text == REPLY == response.text
    usage = response.usage_metadata
    assert usage is not None
    assert usage.thoughts_token_count == len(THOUGHTS_TEXT.split())
    assert usage.cached_content_token_count == CACHED_CONTENT_TOKENS
    assert usage.prompt_token_count == 5 + CACHED_CONTENT_TOKENS
    assert usage.candidates_token_count == 7
    assert usage.total_token_count == 5 + CACHED_CONTENT_TOKENS + 7 + usage.thoughts_token_count
    hidden = client.models.generate_content(
        model=GEMINI, contents=PROMPT, config={"thinking_config": {"thinking_budget": 64}}
    )
    assert hidden.candidates and hidden.candidates[0].content and len(hidden.candidates[0].content.parts or []) == 1
    assert hidden.usage_metadata and hidden.usage_metadata.thoughts_token_count == len(THOUGHTS_TEXT.split())


def test_max_tokens_candidates_and_json(client: genai.Client) -> None:
    cut = client.models.generate_content(model=GEMINI, contents=PROMPT, config={"max_output_tokens": 3})
    assert cut.text == "Hello from the"
    assert cut.candidates and cut.candidates[0].finish_reason is types.FinishReason.MAX_TOKENS
    two = client.models.generate_content(model=GEMINI, contents=PROMPT, config={"candidate_count": 2})
    assert two.candidates and [candidate.index for candidate in two.candidates] == [0, 1]
    assert two.usage_metadata and two.usage_metadata.candidates_token_count == 14
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    structured = client.models.generate_content(
        model=GEMINI,
        contents=PROMPT,
        config={"response_mime_type": "application/json", "response_json_schema": schema},
    )
    assert json.loads(structured.text or "") == {"city": "standin"}


def test_embeddings(client: genai.Client, server: StandinServer) -> None:
    first = client.models.embed_content(model="text-embedding-004", contents=["a b c", "d"])
    again = client.models.embed_content(
        model="gemini-embedding-001", contents=["a b c"], config={"output_dimensionality": 8}
    )
    assert first.embeddings and len(first.embeddings) == 2 and len(first.embeddings[0].values or []) == 768
    assert again.embeddings and len(again.embeddings[0].values or []) == 8
    norm = sum(value * value for value in first.embeddings[0].values or [])
    assert abs(norm - 1) < 1e-9
    methods = [request.path.rpartition(":")[2] for request in server.requests]
    vertex = "projects/" in server.requests[-1].path
    if vertex:  # text-embedding models answer :predict with per-input statistics; one input goes to :embedContent
        assert methods == ["predict", "embedContent"]
        assert [e.statistics.token_count for e in first.embeddings if e.statistics] == [3, 1]
        assert again.usage_metadata and again.usage_metadata.prompt_token_count == 3
    else:
        assert methods == ["batchEmbedContents", "batchEmbedContents"]
        assert first.usage_metadata is None  # the Gemini API reports no usage for embeddings


def test_single_embed_content_path() -> None:
    body = {"content": {"parts": [{"text": "a b"}]}, "outputDimensionality": 4}
    reply = respond("POST", "/gemini/v1beta/models/gemini-embedding-001:embedContent", body, {})
    assert len(json.loads(bytes(reply.body))["embedding"]["values"]) == 4  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("status", "name", "error_class"),
    [
        (429, "RESOURCE_EXHAUSTED", errors.ClientError),
        (400, "INVALID_ARGUMENT", errors.ClientError),
        (503, "UNAVAILABLE", errors.ServerError),
    ],
)
def test_errors(client: genai.Client, status: int, name: str, error_class: type) -> None:
    with pytest.raises(errors.APIError) as raised:
        client.models.generate_content(model=f"standin-error-{status}", contents=PROMPT)
    assert type(raised.value) is error_class
    assert (raised.value.code, raised.value.status) == (status, name)
    reply = respond(
        "POST", GEMINI_PATH + ":generateContent", {"contents": CONTENTS}, {"x-standin-scenario": f"error-{status}"}
    )
    assert json.loads(bytes(reply.body)) == {  # type: ignore[arg-type]
        "error": {"code": status, "message": f"Stand-in scenario error-{status}.", "status": name}
    }
    assert ("retry-after" in reply.headers) is (status == 429)


def test_invalid_requests() -> None:
    missing = respond("POST", GEMINI_PATH + ":generateContent", {"contents": []}, {})
    assert missing.status == 400
    assert json.loads(bytes(missing.body))["error"]["status"] == "INVALID_ARGUMENT"  # type: ignore[arg-type]
    assert respond("POST", GEMINI_PATH + ":countTokens", {}, {}).status == 404
    assert respond("POST", "/gemini/v1/tunedModels/x:generateContent", {}, {}).status == 404
    assert respond("POST", GEMINI_PATH + ":generateContent", b"{not json", {}).status == 400


def test_stream_faults(client: genai.Client) -> None:
    def stream(scenario: str) -> list[Any]:
        config = {"http_options": {"headers": {"x-standin-scenario": scenario}}}
        received: list[Any] = []
        try:
            for chunk in client.models.generate_content_stream(model=GEMINI, contents=PROMPT, config=config):
                received.append(chunk)
        except Exception as exc:
            received.append(exc)
        return received

    mid_stream = stream("error-event-after-2")
    assert len(mid_stream) == 3 and isinstance(mid_stream[-1], errors.ServerError)
    assert mid_stream[-1].status == "UNAVAILABLE"
    cut = stream("cut-after-3")
    assert len(cut) == 4 and not isinstance(cut[-1], errors.APIError)  # the transport's error, not an API error
    body = respond(
        "POST",
        GEMINI_PATH + ":streamGenerateContent?alt=sse",
        {"contents": CONTENTS},
        {"x-standin-scenario": "cut-after-2,slow-first-chunk-10"},
    ).body
    assert isinstance(body, ChunkStream) and body.first_chunk_delay_s == 0.01
    with pytest.raises(ConnectionCut):
        list(body)


def test_directives_in_the_chunks_header() -> None:
    assert len(sse_chunks(VERTEX_PATH, {"contents": CONTENTS}, {"x-standin-chunks": "3"})) == 3
