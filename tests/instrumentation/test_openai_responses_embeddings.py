"""OpenAI Responses API and embeddings through the real client."""

from __future__ import annotations

import base64

import openai

from llm_support import GPT, GPT_SNAPSHOT, Telemetry, point


def test_responses_create(telemetry: Telemetry, openai_client: openai.OpenAI) -> None:
    response = openai_client.responses.create(model=GPT, input="Say hello", instructions="Be brief", temperature=0.1)
    span = telemetry.only_span()
    attributes = span.attributes
    assert span.name == f"chat {GPT}"
    assert attributes["openai.api.type"] == "responses"
    assert attributes["gen_ai.response.id"] == response.id
    assert attributes["gen_ai.response.model"] == response.model == GPT_SNAPSHOT
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert attributes["gen_ai.usage.input_tokens"] == response.usage.input_tokens
    assert attributes["gen_ai.usage.output_tokens"] == response.usage.output_tokens
    assert attributes["gen_ai.usage.cache_read.input_tokens"] == response.usage.input_tokens_details.cached_tokens


def test_responses_reasoning_tokens(telemetry: Telemetry, openai_client: openai.OpenAI) -> None:
    response = openai_client.responses.create(model="o3", input="Think", reasoning={"effort": "medium"})
    reasoning = response.usage.output_tokens_details.reasoning_tokens
    assert reasoning > 0
    assert telemetry.only_span().attributes["gen_ai.usage.reasoning.output_tokens"] == reasoning


async def test_responses_async_stream(telemetry: Telemetry, async_openai_client: openai.AsyncOpenAI) -> None:
    stream = await async_openai_client.responses.create(model=GPT, input="Say hello", stream=True)
    events = [event async for event in stream]
    completed = events[-1].response
    span = telemetry.only_span()
    assert span.attributes["gen_ai.request.stream"] is True
    assert span.attributes["gen_ai.response.id"] == completed.id
    assert span.attributes["gen_ai.usage.output_tokens"] == completed.usage.output_tokens
    assert span.attributes["gen_ai.response.time_to_first_chunk"] > 0


def test_responses_function_call(telemetry: Telemetry, openai_client: openai.OpenAI) -> None:
    tools = [{"type": "function", "name": "lookup", "parameters": {"type": "object", "properties": {}}}]
    openai_client.responses.create(model=GPT, input="please lookup the order", tools=tools)
    assert telemetry.only_span().attributes["gen_ai.response.finish_reasons"] == ("tool_calls",)


def test_embeddings(telemetry: Telemetry, openai_client: openai.OpenAI) -> None:
    result = openai_client.embeddings.create(model="text-embedding-3-small", input=["one two three"])
    span = telemetry.only_span()
    assert span.name == "embeddings text-embedding-3-small"
    assert span.attributes["gen_ai.operation.name"] == "embeddings"
    assert span.attributes["gen_ai.usage.input_tokens"] == result.usage.prompt_tokens
    assert span.attributes["gen_ai.embeddings.dimension.count"] == len(result.data[0].embedding)
    usage = telemetry.metrics()["gen_ai.client.token.usage"]
    assert point(usage, **{"gen_ai.token.type": "input"}).sum == result.usage.prompt_tokens


async def test_embeddings_base64_async(telemetry: Telemetry, async_openai_client: openai.AsyncOpenAI) -> None:
    result = await async_openai_client.embeddings.create(
        model="text-embedding-3-small", input="hello", encoding_format="base64"
    )
    assert isinstance(result.data[0].embedding, str)
    base64.b64decode(result.data[0].embedding)
    span = telemetry.only_span()
    assert span.attributes["gen_ai.request.encoding_formats"] == ("base64",)
