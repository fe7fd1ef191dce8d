"""Manual tracing API: workflows, agents and tools over plain, async, generator and async-generator functions."""

from __future__ import annotations

import asyncio

import openai
import pytest
from opentelemetry import trace
from opentelemetry.trace import SpanKind, StatusCode

import llmotel
from llm_support import GPT, Telemetry


@pytest.fixture
def tracer_provider(telemetry: Telemetry, monkeypatch: pytest.MonkeyPatch) -> Telemetry:
    # the manual API uses the global tracer provider, as user code does
    monkeypatch.setattr(trace, "_TRACER_PROVIDER", telemetry.tracer_provider)
    return telemetry


def by_name(telemetry: Telemetry) -> dict[str, object]:
    return {span.name: span for span in telemetry.spans()}


def test_workflow_agent_tool_nesting_with_llm_span(tracer_provider: Telemetry, openai_client: openai.OpenAI) -> None:
    @llmotel.execute_tool("get_weather", call_id="call_1")
    def get_weather(city: str) -> str:
        return f"sunny in {city}"

    @llmotel.invoke_agent("planner", agent_id="agent-7")
    def plan() -> str:
        openai_client.chat.completions.create(model=GPT, messages=[{"role": "user", "content": "plan"}])
        return get_weather("Seoul")

    with llmotel.invoke_workflow("trip"):
        assert plan() == "sunny in Seoul"

    spans = by_name(tracer_provider)
    workflow, agent = spans["invoke_workflow trip"], spans["invoke_agent planner"]
    tool, llm = spans["execute_tool get_weather"], spans[f"chat {GPT}"]
    assert agent.parent.span_id == workflow.context.span_id
    assert llm.parent.span_id == agent.context.span_id
    assert tool.parent.span_id == agent.context.span_id
    assert tool.attributes["gen_ai.tool.call.id"] == "call_1"
    assert tool.attributes["gen_ai.operation.name"] == "execute_tool"
    assert agent.kind is SpanKind.INTERNAL and agent.attributes["gen_ai.agent.id"] == "agent-7"
    assert workflow.attributes["gen_ai.workflow.name"] == "trip"


def test_error_sets_status_and_reraises(tracer_provider: Telemetry) -> None:
    @llmotel.execute_tool("explode")
    def explode() -> None:
        raise KeyError("boom")

    with pytest.raises(KeyError):
        explode()
    span = tracer_provider.spans()[0]
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "KeyError"


async def test_async_function_and_async_generator(tracer_provider: Telemetry) -> None:
    @llmotel.invoke_agent("async-agent")
    async def run() -> int:
        await asyncio.sleep(0)
        return trace.get_current_span().get_span_context().span_id

    @llmotel.invoke_workflow("numbers")
    async def numbers():
        for number in range(3):
            assert trace.get_current_span().name == "invoke_workflow numbers"  # current while its code runs
            yield number

    inner = await run()
    collected = []
    async for number in numbers():
        assert not trace.get_current_span().is_recording()  # not current in the caller's loop
        collected.append(number)
    assert collected == [0, 1, 2]
    spans = by_name(tracer_provider)
    assert spans["invoke_agent async-agent"].context.span_id == inner
    assert "invoke_workflow numbers" in spans


def test_generator_does_not_leak_context(tracer_provider: Telemetry) -> None:
    @llmotel.execute_tool("pages")
    def pages():
        yield 1
        yield 2

    generator = pages()
    assert next(generator) == 1
    assert not trace.get_current_span().is_recording()
    generator.close()  # closed early: the span still ends
    assert [s.name for s in tracer_provider.spans()] == ["execute_tool pages"]


def test_conversation_scope_on_spans_not_metrics(telemetry: Telemetry, openai_client: openai.OpenAI) -> None:
    with llmotel.conversation("conv-42", user_id="user-9"):
        openai_client.chat.completions.create(model=GPT, messages=[{"role": "user", "content": "hi"}])
    openai_client.chat.completions.create(model=GPT, messages=[{"role": "user", "content": "outside"}])
    inside, outside = telemetry.genai_spans()
    assert inside.attributes["gen_ai.conversation.id"] == "conv-42"
    assert inside.attributes["user.id"] == "user-9"
    assert "gen_ai.conversation.id" not in outside.attributes
    for points in telemetry.metrics().values():
        for data_point in points:
            assert "user.id" not in data_point.attributes
            assert "gen_ai.conversation.id" not in data_point.attributes


async def test_shared_template_keeps_concurrent_blocks_apart(tracer_provider: Telemetry) -> None:
    """One module-level template used by two tasks at once: each `with` ends its own span."""
    shared = llmotel.invoke_agent("shared")
    a_entered, b_entered = asyncio.Event(), asyncio.Event()
    spans: dict[str, int] = {}

    async def first() -> None:
        with shared as span:
            spans["first"] = span.get_span_context().span_id
            a_entered.set()
            await b_entered.wait()
        # leaves first, while the second task's block is still open

    async def second() -> None:
        await a_entered.wait()
        with shared as span:
            spans["second"] = span.get_span_context().span_id
            b_entered.set()
            await asyncio.sleep(0.01)
            assert span.is_recording()  # not ended by the other task's exit

    await asyncio.gather(first(), second())
    ended = {span.context.span_id for span in tracer_provider.spans()}
    assert ended == {spans["first"], spans["second"]}
