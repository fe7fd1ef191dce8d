"""The Responses API through the real openai client: plain, streamed event sequence, function calls, parse."""

from __future__ import annotations

import json

import openai
import pydantic
from openai.types.responses import FunctionToolParam

from llmotel.standin import StandinServer
from standin_support import GPT, GPT_SNAPSHOT

REPLY = "Hello from the llmotel stand-in model gpt-4o-mini"
WEATHER_TOOL: FunctionToolParam = {
    "type": "function",
    "name": "get_weather",
    "description": "Weather of a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    "strict": True,
}
TEXT_EVENTS = [
    "response.created",
    "response.in_progress",
    "response.output_item.added",
    "response.content_part.added",
    *["response.output_text.delta"] * 7,
    "response.output_text.done",
    "response.content_part.done",
    "response.output_item.done",
    "response.completed",
]


def test_plain_response_with_usage_details(openai_client: openai.OpenAI, server: StandinServer) -> None:
    response = openai_client.responses.create(
        model=GPT, instructions="Be brief.", input="Say hello please", prompt_cache_key="k"
    )

    assert response.id.startswith("resp_")
    assert response.status == "completed"
    assert response.model == GPT_SNAPSHOT
    assert response.output_text == REPLY
    usage = response.usage
    assert usage is not None
    # Input: "Be brief." (2) + "Say hello please" (3); cached: all but the last input item.
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (5, 7, 12)
    assert usage.input_tokens_details.cached_tokens == 2
    assert usage.output_tokens_details.reasoning_tokens == 0
    assert server.requests[0].path == "/v1/responses"


def test_stream_follows_the_real_event_sequence(openai_client: openai.OpenAI) -> None:
    events = list(openai_client.responses.create(model=GPT, input="Hi", stream=True))

    assert [e.type for e in events] == TEXT_EVENTS
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert "".join(e.delta for e in events if e.type == "response.output_text.delta") == REPLY
    completed = events[-1]
    assert completed.type == "response.completed"
    assert completed.response.usage is not None and completed.response.usage.output_tokens == 7
    assert completed.response.output_text == REPLY
    assert events[0].type == "response.created" and events[0].response.usage is None


def test_stream_helper_gives_the_final_response(openai_client: openai.OpenAI) -> None:
    with openai_client.responses.stream(model=GPT, input="Hi", reasoning={"effort": "low"}) as stream:
        text = "".join(e.delta for e in stream if e.type == "response.output_text.delta")
        final = stream.get_final_response()

    assert text == REPLY
    assert final.output[0].type == "reasoning"
    assert final.usage is not None and final.usage.output_tokens_details.reasoning_tokens == 8
    assert final.usage.output_tokens == 7 + 8


def test_function_call_plain_and_streamed(openai_client: openai.OpenAI) -> None:
    plain = openai_client.responses.create(
        model=GPT,
        input=[{"role": "user", "content": "Call get_weather for Rome"}],
        tools=[WEATHER_TOOL],
    )
    events = list(
        openai_client.responses.create(
            model=GPT,
            input="Anything",
            tools=[WEATHER_TOOL],
            tool_choice="required",
            stream=True,
        )
    )

    [call] = plain.output
    assert call.type == "function_call" and call.name == "get_weather"
    assert json.loads(call.arguments) == {"city": "standin"}
    types = [e.type for e in events]
    assert types[2] == "response.output_item.added"
    assert types.count("response.function_call_arguments.delta") == 7
    deltas = "".join(e.delta for e in events if e.type == "response.function_call_arguments.delta")
    assert json.loads(deltas) == {"city": "standin"}
    assert types[-3:] == ["response.function_call_arguments.done", "response.output_item.done", "response.completed"]


def test_function_call_output_turn_answers_with_text(openai_client: openai.OpenAI) -> None:
    response = openai_client.responses.create(
        model=GPT,
        input=[
            {"role": "user", "content": "Call get_weather for Rome"},
            {"type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "call_1", "output": "sunny and warm"},
        ],
        tools=[WEATHER_TOOL],
    )

    assert response.output_text == REPLY
    assert response.usage is not None and response.usage.input_tokens == 4 + 3


def test_max_output_tokens_makes_the_response_incomplete(openai_client: openai.OpenAI) -> None:
    response = openai_client.responses.create(model=GPT, input="Hi", max_output_tokens=3)

    assert response.status == "incomplete"
    assert response.incomplete_details is not None
    assert response.incomplete_details.reason == "max_output_tokens"
    assert response.output_text == "Hello from the"


class Verdict(pydantic.BaseModel):
    label: str
    confidence: float


def test_parse_with_text_format(openai_client: openai.OpenAI) -> None:
    response = openai_client.responses.parse(model=GPT, input="Classify", text_format=Verdict)

    assert response.output_parsed == Verdict(label="standin", confidence=1.5)


async def test_async_stream(async_openai_client: openai.AsyncOpenAI) -> None:
    stream = await async_openai_client.responses.create(model=GPT, input="Hi", stream=True)
    events = [event async for event in stream]

    assert [e.type for e in events] == TEXT_EVENTS
