"""Messages through the real anthropic client: plain, streamed events, stream helper, tools, caching, stops."""

from __future__ import annotations

from typing import Any

import anthropic
from anthropic.types import (
    ContentBlock,
    MessageParam,
    RawMessageStreamEvent,
    TextBlock,
    TextBlockParam,
    ThinkingBlock,
    ThinkingConfigParam,
    ToolParam,
    ToolUseBlock,
)

from llmotel.standin import StandinServer
from llmotel.standin.anthropic_api import THINKING_TEXT
from standin_support import CLAUDE, CLAUDE_SNAPSHOT

REPLY = "Hello from the llmotel stand-in model claude-haiku-4-5"
MESSAGES: list[MessageParam] = [{"role": "user", "content": "Say hello to the tests"}]
WEATHER_TOOL: ToolParam = {
    "name": "get_weather",
    "description": "Weather of a city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}
TEXT_EVENTS = [
    "message_start",
    "content_block_start",
    *["content_block_delta"] * 7,
    "content_block_stop",
    "message_delta",
    "message_stop",
]


def text_of(block: ContentBlock | Any) -> str:
    assert isinstance(block, TextBlock)
    return block.text


def tool_use_of(block: ContentBlock | Any) -> ToolUseBlock:
    assert isinstance(block, ToolUseBlock)
    return block


def test_plain_message(anthropic_client: anthropic.Anthropic, server: StandinServer) -> None:
    message = anthropic_client.messages.create(model=CLAUDE, max_tokens=100, system="Be terse.", messages=MESSAGES)

    assert message.id.startswith("msg_")
    assert message.model == CLAUDE_SNAPSHOT
    assert message.stop_reason == "end_turn"
    assert [block.type for block in message.content] == ["text"]
    assert text_of(message.content[0]) == REPLY
    assert (message.usage.input_tokens, message.usage.output_tokens) == (2 + 5, 7)
    assert (message.usage.cache_creation_input_tokens, message.usage.cache_read_input_tokens) == (0, 0)
    [request] = server.requests
    assert request.path == "/v1/messages"
    assert "anthropic-version" in request.headers
    assert request.body["max_tokens"] == 100


def test_raw_stream_event_order_with_ping(anthropic_client: anthropic.Anthropic) -> None:
    events: list[RawMessageStreamEvent] = list(
        anthropic_client.messages.create(model=CLAUDE, max_tokens=100, messages=MESSAGES, stream=True)
    )

    # The SDK drops the ping event that follows the first content_block_start.
    assert [event.type for event in events] == TEXT_EVENTS
    start, delta = events[0], events[-2]
    assert start.type == "message_start" and start.message.usage.input_tokens == 5
    assert delta.type == "message_delta"
    assert delta.delta.stop_reason == "end_turn" and delta.usage.output_tokens == 7


def test_stream_helper_text_stream_and_final_message(anthropic_client: anthropic.Anthropic) -> None:
    with anthropic_client.messages.stream(
        model=CLAUDE, max_tokens=1000, messages=MESSAGES, extra_headers={"x-standin-chunks": "200"}
    ) as stream:
        pieces = list(stream.text_stream)
        final = stream.get_final_message()

    assert len(pieces) == 200
    assert "".join(pieces) == text_of(final.content[0])
    assert final.usage.output_tokens == 200
    assert final.stop_reason == "end_turn"


def test_tool_use_plain_and_streamed(anthropic_client: anthropic.Anthropic) -> None:
    message = anthropic_client.messages.create(
        model=CLAUDE,
        max_tokens=100,
        messages=[{"role": "user", "content": "Use get_weather for Oslo"}],
        tools=[WEATHER_TOOL],
    )
    with anthropic_client.messages.stream(
        model=CLAUDE,
        max_tokens=100,
        messages=[{"role": "user", "content": "Anything"}],
        tools=[WEATHER_TOOL],
        tool_choice={"type": "tool", "name": "get_weather"},
    ) as stream:
        json_deltas = [
            event.delta.partial_json
            for event in stream
            if event.type == "content_block_delta" and event.delta.type == "input_json_delta"
        ]
        final = stream.get_final_message()

    assert message.stop_reason == "tool_use"
    [block] = message.content
    tool_use = tool_use_of(block)
    assert tool_use.name == "get_weather" and tool_use.id.startswith("toolu_")
    assert tool_use.input == {"city": "standin"}
    assert len(json_deltas) == 7
    assert final.stop_reason == "tool_use"
    assert tool_use_of(final.content[0]).input == {"city": "standin"}


def test_tool_result_turn_answers_with_text(anthropic_client: anthropic.Anthropic) -> None:
    message = anthropic_client.messages.create(
        model=CLAUDE,
        max_tokens=100,
        tools=[WEATHER_TOOL],
        messages=[
            {"role": "user", "content": "Use get_weather for Oslo"},
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Oslo"}}],
            },
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "cold"}]},
        ],
    )

    assert message.stop_reason == "end_turn"
    assert message.usage.input_tokens == 4 + 1


def test_cache_control_writes_on_first_turn_and_reads_later(anthropic_client: anthropic.Anthropic) -> None:
    system: list[TextBlockParam] = [
        {"type": "text", "text": "A long shared system prompt here", "cache_control": {"type": "ephemeral"}}
    ]
    first = anthropic_client.messages.create(model=CLAUDE, max_tokens=100, system=system, messages=MESSAGES)
    later = anthropic_client.messages.create(
        model=CLAUDE,
        max_tokens=100,
        system=system,
        messages=[*MESSAGES, {"role": "assistant", "content": "Hello"}, {"role": "user", "content": "Again now"}],
    )

    assert (first.usage.cache_creation_input_tokens, first.usage.cache_read_input_tokens) == (6, 0)
    assert first.usage.cache_creation is not None and first.usage.cache_creation.ephemeral_5m_input_tokens == 6
    assert first.usage.input_tokens == 5
    assert (later.usage.cache_creation_input_tokens, later.usage.cache_read_input_tokens) == (0, 6)
    assert later.usage.input_tokens == 5 + 1 + 2


def test_cache_usage_survives_in_streamed_final_message(anthropic_client: anthropic.Anthropic) -> None:
    system: list[TextBlockParam] = [
        {"type": "text", "text": "Cached prompt", "cache_control": {"type": "ephemeral", "ttl": "1h"}}
    ]
    with anthropic_client.messages.stream(model=CLAUDE, max_tokens=100, system=system, messages=MESSAGES) as stream:
        final = stream.get_final_message()

    assert final.usage.cache_creation_input_tokens == 2
    assert final.usage.cache_creation is not None and final.usage.cache_creation.ephemeral_1h_input_tokens == 2


def test_max_tokens_stop_reason(anthropic_client: anthropic.Anthropic) -> None:
    message = anthropic_client.messages.create(model=CLAUDE, max_tokens=2, messages=MESSAGES)

    assert message.stop_reason == "max_tokens"
    assert text_of(message.content[0]) == "Hello from"
    assert message.usage.output_tokens == 2


def test_count_tokens(anthropic_client: anthropic.Anthropic) -> None:
    counted = anthropic_client.messages.count_tokens(model=CLAUDE, system="Be terse.", messages=MESSAGES)

    assert counted.input_tokens == 7


def test_extended_thinking_block_and_thinking_tokens(anthropic_client: anthropic.Anthropic) -> None:
    thinking: ThinkingConfigParam = {"type": "enabled", "budget_tokens": 1024}
    message = anthropic_client.messages.create(model=CLAUDE, max_tokens=2000, messages=MESSAGES, thinking=thinking)
    with anthropic_client.messages.stream(
        model=CLAUDE, max_tokens=2000, messages=MESSAGES, thinking=thinking
    ) as stream:
        thinking_deltas = [event.thinking for event in stream if event.type == "thinking"]
        final = stream.get_final_message()

    for reply in (message, final):
        assert [block.type for block in reply.content] == ["thinking", "text"]
        first = reply.content[0]
        assert isinstance(first, ThinkingBlock)
        assert first.thinking == THINKING_TEXT and first.signature
        assert text_of(reply.content[1]) == REPLY
        assert reply.usage.output_tokens_details is not None
        assert reply.usage.output_tokens_details.thinking_tokens == 12
        assert reply.usage.output_tokens == 7 + 12
    assert len(thinking_deltas) == 12


async def test_async_create_and_stream(async_anthropic_client: anthropic.AsyncAnthropic) -> None:
    message = await async_anthropic_client.messages.create(model=CLAUDE, max_tokens=100, messages=MESSAGES)
    async with async_anthropic_client.messages.stream(model=CLAUDE, max_tokens=100, messages=MESSAGES) as stream:
        text = "".join([piece async for piece in stream.text_stream])
        final = await stream.get_final_message()

    assert text_of(message.content[0]) == REPLY
    assert text == REPLY
    assert final.usage.output_tokens == 7
