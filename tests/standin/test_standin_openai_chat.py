"""Chat completions through the real openai client: text, streams, usage, tools, n>1, structured output, Azure."""

from __future__ import annotations

import json

import openai
import pydantic
import pytest
from openai.types.chat import ChatCompletionFunctionToolParam, ChatCompletionMessageParam

from llmotel.standin import StandinServer
from standin_support import GPT, GPT_SNAPSHOT

PROMPT: list[ChatCompletionMessageParam] = [
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": "Say hello to the tests"},
]
PROMPT_WORDS = 3 + 5
REPLY = "Hello from the llmotel stand-in model gpt-4o-mini"

WEATHER_TOOL: ChatCompletionFunctionToolParam = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather of a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
            "required": ["city", "days"],
        },
    },
}


def test_plain_completion_reports_dated_model_and_predictable_usage(
    openai_client: openai.OpenAI, server: StandinServer
) -> None:
    completion = openai_client.chat.completions.create(model=GPT, messages=PROMPT)

    assert completion.model == GPT_SNAPSHOT
    assert completion.id.startswith("chatcmpl-")
    assert completion.object == "chat.completion"
    assert completion.service_tier == "default"
    assert completion.system_fingerprint
    choice = completion.choices[0]
    assert choice.finish_reason == "stop"
    assert choice.message.role == "assistant"
    assert choice.message.content == REPLY
    usage = completion.usage
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (PROMPT_WORDS, 7, PROMPT_WORDS + 7)
    assert usage.prompt_tokens_details is not None and usage.prompt_tokens_details.cached_tokens == 0
    assert usage.completion_tokens_details is not None and usage.completion_tokens_details.reasoning_tokens == 0

    [request] = server.requests
    assert (request.method, request.path) == ("POST", "/v1/chat/completions")
    assert request.headers["authorization"] == "Bearer standin-key"
    assert request.body["messages"] == PROMPT


def test_cached_and_reasoning_tokens_follow_documented_triggers(openai_client: openai.OpenAI) -> None:
    completion = openai_client.chat.completions.create(
        model="o4-mini",
        messages=PROMPT,
        prompt_cache_key="tenant-1",
        reasoning_effort="high",
        service_tier="flex",
    )

    usage = completion.usage
    assert usage is not None and usage.prompt_tokens_details and usage.completion_tokens_details
    # Cached: every message but the last ("You are terse." = 3 words); reasoning: "high" = 32, inside completion.
    assert usage.prompt_tokens_details.cached_tokens == 3
    assert usage.completion_tokens_details.reasoning_tokens == 32
    assert usage.completion_tokens == 7 + 32
    assert completion.service_tier == "flex"
    assert completion.model == "o4-mini-2025-04-16"


def test_stream_with_usage_ends_with_a_choiceless_usage_chunk(openai_client: openai.OpenAI) -> None:
    stream = openai_client.chat.completions.create(
        model=GPT,
        messages=PROMPT,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)

    assert chunks[0].choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == REPLY
    assert [c.choices[0].finish_reason for c in chunks[:-1]] == [None] * 8 + ["stop"]
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 7
    assert all(c.usage is None for c in chunks[:-1])
    assert {c.id for c in chunks} == {chunks[0].id}
    assert {c.model for c in chunks} == {GPT_SNAPSHOT}


def test_stream_without_usage_has_no_usage_chunk(openai_client: openai.OpenAI) -> None:
    chunks = list(openai_client.chat.completions.create(model=GPT, messages=PROMPT, stream=True))

    assert all(c.choices and c.usage is None for c in chunks)
    assert chunks[-1].choices[0].finish_reason == "stop"


@pytest.mark.parametrize("chunks", [7, 200])
def test_chunk_count_header_sets_the_number_of_content_deltas(openai_client: openai.OpenAI, chunks: int) -> None:
    stream = openai_client.chat.completions.create(
        model=GPT,
        messages=PROMPT,
        stream=True,
        stream_options={"include_usage": True},
        extra_headers={"x-standin-chunks": str(chunks)},
    )
    events = list(stream)

    content_deltas = [c for c in events if c.choices and c.choices[0].delta.content]
    assert len(content_deltas) == chunks
    assert events[-1].usage is not None and events[-1].usage.completion_tokens == chunks


def test_tool_call_when_the_prompt_names_the_tool(openai_client: openai.OpenAI) -> None:
    completion = openai_client.chat.completions.create(
        model=GPT,
        messages=[{"role": "user", "content": "Use get_weather for Paris"}],
        tools=[WEATHER_TOOL],
    )

    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    [call] = choice.message.tool_calls or []
    assert call.type == "function" and call.id.startswith("call_")
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "standin", "days": 1}
    assert completion.usage is not None
    assert completion.usage.completion_tokens == len(call.function.arguments.split())


def test_no_tool_call_when_not_asked_and_text_after_tool_result(openai_client: openai.OpenAI) -> None:
    plain = openai_client.chat.completions.create(
        model=GPT,
        messages=[{"role": "user", "content": "Tell me a joke"}],
        tools=[WEATHER_TOOL],
    )
    after_tool = openai_client.chat.completions.create(
        model=GPT,
        messages=[
            {"role": "user", "content": "Use get_weather for Paris"},
            {
                "role": "assistant",
                "tool_calls": [
                    {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
        ],
        tools=[WEATHER_TOOL],
    )

    assert plain.choices[0].finish_reason == "stop"
    assert after_tool.choices[0].finish_reason == "stop"
    assert after_tool.choices[0].message.content == REPLY


def test_required_tool_choice_streams_argument_deltas(openai_client: openai.OpenAI) -> None:
    stream = openai_client.chat.completions.create(
        model=GPT,
        messages=[{"role": "user", "content": "Anything"}],
        tools=[WEATHER_TOOL],
        tool_choice="required",
        stream=True,
    )
    chunks = list(stream)

    deltas = [call for c in chunks for call in (c.choices[0].delta.tool_calls or [])]
    assert deltas[0].id and deltas[0].function and deltas[0].function.name == "get_weather"
    arguments = "".join((d.function.arguments or "") for d in deltas if d.function)
    assert json.loads(arguments) == {"city": "standin", "days": 1}
    assert len([d for d in deltas if d.function and d.function.arguments]) == 7
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_stream_helper_accumulates_the_tool_call(openai_client: openai.OpenAI) -> None:
    with openai_client.chat.completions.stream(
        model=GPT,
        messages=[{"role": "user", "content": "Call get_weather now"}],
        tools=[WEATHER_TOOL],
    ) as stream:
        final = stream.get_final_completion()

    [call] = final.choices[0].message.tool_calls or []
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments)["city"] == "standin"


def test_n_choices_and_max_tokens_truncation(openai_client: openai.OpenAI) -> None:
    completion = openai_client.chat.completions.create(
        model=GPT,
        messages=PROMPT,
        n=3,
        max_completion_tokens=4,
    )

    assert [c.index for c in completion.choices] == [0, 1, 2]
    assert {c.finish_reason for c in completion.choices} == {"length"}
    assert {c.message.content for c in completion.choices} == {"Hello from the llmotel"}
    assert completion.usage is not None and completion.usage.completion_tokens == 3 * 4


def test_n_choices_stream_interleaves_choice_indexes(openai_client: openai.OpenAI) -> None:
    chunks = list(openai_client.chat.completions.create(model=GPT, messages=PROMPT, n=2, stream=True))

    texts = {0: "", 1: ""}
    for chunk in chunks:
        texts[chunk.choices[0].index] += chunk.choices[0].delta.content or ""
    assert texts == {0: REPLY, 1: REPLY}


class Address(pydantic.BaseModel):
    street: str
    number: int


class Person(pydantic.BaseModel):
    name: str
    age: int
    score: float
    active: bool
    tags: list[str]
    address: Address
    nickname: str | None


def test_parse_returns_an_object_satisfying_the_schema(openai_client: openai.OpenAI) -> None:
    completion = openai_client.chat.completions.parse(
        model=GPT, messages=[{"role": "user", "content": "Describe a person"}], response_format=Person
    )

    person = completion.choices[0].message.parsed
    assert person == Person(
        name="standin",
        age=1,
        score=1.5,
        active=True,
        tags=["standin"],
        address=Address(street="standin", number=1),
        nickname="standin",
    )
    content = completion.choices[0].message.content or ""
    assert completion.usage is not None and completion.usage.completion_tokens == len(content.split())


def test_strict_pydantic_tool_and_streamed_structured_output(openai_client: openai.OpenAI) -> None:
    parsed = openai_client.chat.completions.parse(
        model=GPT,
        messages=[{"role": "user", "content": "Call lookup_address"}],
        tools=[openai.pydantic_function_tool(Address, name="lookup_address")],
    )
    with openai_client.chat.completions.stream(
        model=GPT, messages=[{"role": "user", "content": "Describe"}], response_format=Address
    ) as stream:
        final = stream.get_final_completion()

    [call] = parsed.choices[0].message.tool_calls or []
    assert call.function.parsed_arguments == Address(street="standin", number=1)
    assert final.choices[0].message.parsed == Address(street="standin", number=1)


def test_json_object_mode_answers_json(openai_client: openai.OpenAI) -> None:
    completion = openai_client.chat.completions.create(
        model=GPT,
        messages=PROMPT,
        response_format={"type": "json_object"},
    )

    assert json.loads(completion.choices[0].message.content or "") == {"answer": REPLY}


def test_azure_deployment_and_plain_paths_answer_the_same(server: StandinServer) -> None:
    client = openai.AzureOpenAI(
        azure_endpoint=server.url, api_key="azure-key", api_version="2025-04-01-preview", max_retries=0
    )
    completion = client.chat.completions.create(model="my-deployment", messages=PROMPT)
    response = client.responses.create(model="my-deployment", input="Hi")

    assert completion.choices[0].message.content == "Hello from the llmotel stand-in model my-deployment"
    assert response.output_text == "Hello from the llmotel stand-in model my-deployment"
    paths = [request.path for request in server.requests]
    assert paths == [
        "/openai/deployments/my-deployment/chat/completions?api-version=2025-04-01-preview",
        "/openai/responses?api-version=2025-04-01-preview",
    ]
    assert server.requests[0].headers["api-key"] == "azure-key"


async def test_async_client_plain_and_stream(async_openai_client: openai.AsyncOpenAI) -> None:
    completion = await async_openai_client.chat.completions.create(model=GPT, messages=PROMPT)
    stream = await async_openai_client.chat.completions.create(
        model=GPT,
        messages=PROMPT,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = [chunk async for chunk in stream]

    assert completion.choices[0].message.content == REPLY
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == REPLY
    assert chunks[-1].usage is not None and chunks[-1].usage.prompt_tokens == PROMPT_WORDS
