"""LangChain chains and `create_agent` agents over the real ChatOpenAI / ChatAnthropic clients and the stand-in.

The stand-in calls a tool when the last user message names it, then answers the tool result with text: an agent
asked to "Use get_weather" makes two model calls and one tool call.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from typing import Any

import openai
import pytest
from langchain.agents import create_agent
from langchain_anthropic import ChatAnthropic
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda, RunnableParallel
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode

from llm_support import API_KEY, CLAUDE, GPT, Telemetry
from llmotel.frameworks.langchain import LangChainInstrumentor
from llmotel.providers.anthropic import AnthropicInstrumentor
from llmotel.providers.openai import OpenAIInstrumentor
from llmotel.standin import StandinServer

CHAT = f"chat {GPT}"
ASK_WEATHER = {"messages": [{"role": "user", "content": "Use get_weather for Paris"}]}


@tool
def get_weather(city: str) -> str:
    """Current weather of a city."""
    return f"sunny in {city}"


@tool
def get_time(city: str) -> str:
    """Local time of a city."""
    return f"noon in {city}"


@tool
def broken_tool(city: str) -> str:
    """Always fails."""
    raise LookupError(f"no data for {city}")


@pytest.fixture
def telemetry(instrument: Callable[..., Telemetry]) -> Telemetry:
    return instrument(OpenAIInstrumentor(), AnthropicInstrumentor(), LangChainInstrumentor())


def chat_openai(server: StandinServer, model: str = GPT) -> ChatOpenAI:
    """ChatOpenAI with HTTP clients of its own: its default async client is shared process-wide, and would outlive
    the event loop of the test that made it."""
    return ChatOpenAI(
        model=model,
        base_url=server.url + "/v1",
        api_key=API_KEY,
        max_retries=0,
        http_client=openai.DefaultHttpxClient(),
        http_async_client=openai.DefaultAsyncHttpxClient(),
    )


@pytest.fixture
def model(server: StandinServer) -> ChatOpenAI:
    return chat_openai(server)


@pytest.fixture
def chain(model: ChatOpenAI) -> Any:
    return ChatPromptTemplate.from_messages([("user", "{question}")]) | model | StrOutputParser()


@pytest.fixture
def caller(telemetry: Telemetry) -> Iterator[trace.Span]:
    """The application's own span around each LangChain call: workflows nest under it, and it is current again
    afterwards (nothing of llmotel's stays current)."""
    with telemetry.tracer_provider.get_tracer("app").start_as_current_span("caller") as span:
        yield span
        assert trace.get_current_span() is span


def children(spans: list[ReadableSpan], parent: ReadableSpan) -> list[str]:
    ordered = sorted(spans, key=lambda span: span.start_time or 0)
    return [span.name for span in ordered if span.parent and span.parent.span_id == parent.context.span_id]


def named(spans: list[ReadableSpan], name: str) -> list[ReadableSpan]:
    return [span for span in spans if span.name == name]


def only(spans: list[ReadableSpan], name: str) -> ReadableSpan:
    found = named(spans, name)
    assert len(found) == 1, [span.name for span in spans]
    return found[0]


def assert_agent_tree(telemetry: Telemetry, result: dict[str, Any], parent: trace.Span | None = None) -> None:
    """agent > chat, execute_tool, chat; the tool span carries the model's tool call id."""
    spans = telemetry.genai_spans()
    agent = only(spans, "invoke_agent weather_agent")
    assert children(spans, agent) == [CHAT, "execute_tool get_weather", CHAT]
    assert len(spans) == 4, [span.name for span in spans]  # exactly one chat span per model call
    assert agent.kind is SpanKind.INTERNAL
    assert agent.attributes == {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "weather_agent"}
    if parent is not None:
        assert agent.parent is not None and agent.parent.span_id == parent.get_span_context().span_id
    tool_span = only(spans, "execute_tool get_weather")
    assert tool_span.attributes == {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "get_weather",
        "gen_ai.tool.type": "function",
        "gen_ai.tool.call.id": result["messages"][1].tool_calls[0]["id"],
        "gen_ai.tool.description": "Current weather of a city.",
    }
    assert tool_span.status.status_code is StatusCode.UNSET


# -- chains -----------------------------------------------------------------------------------------------------------


def test_chain_is_one_workflow_with_one_chat_span(telemetry: Telemetry, chain: Any, caller: trace.Span) -> None:
    assert chain.invoke({"question": "hi"}) == f"Hello from the llmotel stand-in model {GPT}"
    spans = telemetry.genai_spans()
    assert [span.name for span in spans] == [CHAT, "invoke_workflow RunnableSequence"]
    workflow = spans[1]
    assert workflow.parent is not None and workflow.parent.span_id == caller.get_span_context().span_id
    assert children(spans, workflow) == [CHAT]
    assert workflow.kind is SpanKind.INTERNAL
    assert workflow.attributes == {
        "gen_ai.operation.name": "invoke_workflow",
        "gen_ai.workflow.name": "RunnableSequence",
    }


async def test_chain_async(telemetry: Telemetry, chain: Any, caller: trace.Span) -> None:
    assert await chain.ainvoke({"question": "hi"}) == f"Hello from the llmotel stand-in model {GPT}"
    assert trace.get_current_span() is caller
    spans = telemetry.genai_spans()
    assert children(spans, only(spans, "invoke_workflow RunnableSequence")) == [CHAT]
    assert len(spans) == 2


def test_chain_stream(telemetry: Telemetry, chain: Any, caller: trace.Span) -> None:
    chunks = []
    for chunk in chain.stream({"question": "hi"}):
        assert trace.get_current_span() is caller  # between chunks, the application's context is its own
        chunks.append(chunk)
    assert "".join(chunks) == f"Hello from the llmotel stand-in model {GPT}"
    spans = telemetry.genai_spans()
    workflow = only(spans, "invoke_workflow RunnableSequence")
    assert children(spans, workflow) == [CHAT]
    assert only(spans, CHAT).attributes["gen_ai.request.stream"] is True
    assert len(spans) == 2


async def test_chain_astream(telemetry: Telemetry, chain: Any, caller: trace.Span) -> None:
    chunks = []
    async for chunk in chain.astream({"question": "hi"}):
        assert trace.get_current_span() is caller
        chunks.append(chunk)
    assert "".join(chunks) == f"Hello from the llmotel stand-in model {GPT}"
    spans = telemetry.genai_spans()
    assert children(spans, only(spans, "invoke_workflow RunnableSequence")) == [CHAT]
    assert len(spans) == 2


def test_stream_left_early_ends_the_workflow_without_error(
    telemetry: Telemetry, chain: Any, caller: trace.Span
) -> None:
    stream = chain.stream({"question": "hi"})
    next(stream)
    stream.close()
    workflow = only(telemetry.genai_spans(), "invoke_workflow RunnableSequence")
    assert workflow.status.status_code is StatusCode.UNSET


def test_chain_with_chat_anthropic(telemetry: Telemetry, server: StandinServer, caller: trace.Span) -> None:
    claude = ChatAnthropic(model=CLAUDE, base_url=server.anthropic_base_url, api_key=API_KEY, max_retries=0)
    chain = ChatPromptTemplate.from_messages([("user", "{question}")]) | claude | StrOutputParser()
    assert chain.invoke({"question": "hi"}).startswith("Hello from the llmotel stand-in model")
    spans = telemetry.genai_spans()
    workflow = only(spans, "invoke_workflow RunnableSequence")
    assert children(spans, workflow) == [f"chat {CLAUDE}"]
    assert only(spans, f"chat {CLAUDE}").attributes["gen_ai.provider.name"] == "anthropic"
    assert len(spans) == 2


def test_code_in_a_chain_step_calls_openai_under_the_workflow(
    telemetry: Telemetry, server: StandinServer, caller: trace.Span
) -> None:
    client = openai.OpenAI(base_url=server.openai_base_url, api_key=API_KEY, max_retries=0)

    def ask(question: str) -> str:
        reply = client.chat.completions.create(model=GPT, messages=[{"role": "user", "content": question}])
        return reply.choices[0].message.content or ""

    pipeline = RunnableLambda(lambda question: question.upper()) | RunnableLambda(ask)
    pipeline.invoke("hi")
    spans = telemetry.genai_spans()
    assert children(spans, only(spans, "invoke_workflow RunnableSequence")) == [CHAT]
    assert len(spans) == 2


async def test_abatch_keeps_concurrent_workflows_apart(telemetry: Telemetry, chain: Any, caller: trace.Span) -> None:
    answers = await chain.abatch([{"question": f"question {n}"} for n in range(4)])
    assert len(answers) == 4 and trace.get_current_span() is caller
    spans = telemetry.genai_spans()
    workflows = named(spans, "invoke_workflow RunnableSequence")
    assert len(workflows) == 4 and len(named(spans, CHAT)) == 4
    for workflow in workflows:
        assert children(spans, workflow) == [CHAT]
        assert workflow.parent is not None and workflow.parent.span_id == caller.get_span_context().span_id


def test_parallel_branches_run_in_threads_under_the_workflow(telemetry: Telemetry, chain: Any) -> None:
    RunnableParallel(first=chain, second=chain).invoke({"question": "hi"})
    spans = telemetry.genai_spans()
    assert children(spans, only(spans, "invoke_workflow RunnableParallel<first,second>")) == [CHAT, CHAT]
    assert len(spans) == 3


@pytest.mark.parametrize("size", [1, 3])
def test_batch_keeps_workflows_apart(telemetry: Telemetry, chain: Any, caller: trace.Span, size: int) -> None:
    chain.batch([{"question": f"question {n}"} for n in range(size)])
    spans = telemetry.genai_spans()
    workflows = named(spans, "invoke_workflow RunnableSequence")
    assert len(workflows) == size and len(spans) == 2 * size
    for workflow in workflows:
        assert children(spans, workflow) == [CHAT]


# -- agents -----------------------------------------------------------------------------------------------------------


def test_agent_with_tool(telemetry: Telemetry, model: ChatOpenAI, caller: trace.Span) -> None:
    agent = create_agent(model, [get_weather], name="weather_agent")
    result = agent.invoke(ASK_WEATHER)
    assert result["messages"][2].content == "sunny in standin"
    assert_agent_tree(telemetry, result, parent=caller)


async def test_agent_with_tool_async(telemetry: Telemetry, model: ChatOpenAI, caller: trace.Span) -> None:
    agent = create_agent(model, [get_weather], name="weather_agent")
    result = await agent.ainvoke(ASK_WEATHER)
    assert trace.get_current_span() is caller  # the agent's end ran in a shielded task: nothing to detach there
    assert_agent_tree(telemetry, result, parent=caller)


def test_agent_stream_tokens(telemetry: Telemetry, model: ChatOpenAI, caller: trace.Span) -> None:
    agent = create_agent(model, [get_weather], name="weather_agent")
    for _ in agent.stream(ASK_WEATHER, stream_mode="messages"):
        assert trace.get_current_span() is caller
    spans = telemetry.genai_spans()
    agent_span = only(spans, "invoke_agent weather_agent")
    assert children(spans, agent_span) == [CHAT, "execute_tool get_weather", CHAT]
    assert all(span.attributes["gen_ai.request.stream"] for span in named(spans, CHAT))  # the model streamed
    assert len(spans) == 4


async def test_agent_astream(telemetry: Telemetry, model: ChatOpenAI, caller: trace.Span) -> None:
    agent = create_agent(model, [get_weather], name="weather_agent")
    states = [state async for state in agent.astream(ASK_WEATHER, stream_mode="values")]
    assert_agent_tree(telemetry, states[-1], parent=caller)


async def test_agents_in_abatch_keep_their_trees_apart(telemetry: Telemetry, model: ChatOpenAI) -> None:
    agent = create_agent(model, [get_weather], name="weather_agent")
    results = await agent.abatch([ASK_WEATHER] * 3)
    spans = telemetry.genai_spans()
    agents = named(spans, "invoke_agent weather_agent")
    assert len(agents) == 3 and len(spans) == 12
    call_ids = {result["messages"][1].tool_calls[0]["id"] for result in results}
    for agent_span in agents:
        assert children(spans, agent_span) == [CHAT, "execute_tool get_weather", CHAT]
    tools = named(spans, "execute_tool get_weather")
    assert {span.attributes["gen_ai.tool.call.id"] for span in tools} == call_ids
    assert len({span.context.trace_id for span in agents}) == 3  # no caller span: each agent is its own trace


def test_parallel_tool_calls(telemetry: Telemetry, model: ChatOpenAI) -> None:
    agent = create_agent(model, [get_weather, get_time], name="weather_agent")
    agent.invoke({"messages": [{"role": "user", "content": "Use get_weather and get_time for Paris"}]})
    spans = telemetry.genai_spans()
    tree = children(spans, only(spans, "invoke_agent weather_agent"))
    assert tree[0] == CHAT and tree[-1] == CHAT
    assert sorted(tree[1:-1]) == ["execute_tool get_time", "execute_tool get_weather"]


def test_failing_tool(telemetry: Telemetry, model: ChatOpenAI, caller: trace.Span) -> None:
    agent = create_agent(model, [broken_tool], name="weather_agent")
    with pytest.raises(LookupError, match="no data for standin"):
        agent.invoke({"messages": [{"role": "user", "content": "Use broken_tool for Paris"}]})
    spans = telemetry.genai_spans()
    tool_span = only(spans, "execute_tool broken_tool")
    agent_span = only(spans, "invoke_agent weather_agent")
    assert children(spans, agent_span) == [CHAT, "execute_tool broken_tool"]
    for span in (tool_span, agent_span):
        assert span.status.status_code is StatusCode.ERROR
        assert span.attributes["error.type"] == "LookupError"


def test_agent_inside_a_chain(telemetry: Telemetry, model: ChatOpenAI, caller: trace.Span) -> None:
    agent = create_agent(model, [get_weather])  # unnamed: LangGraph's default name
    pipeline = RunnableLambda(lambda text: {"messages": [{"role": "user", "content": text}]}) | agent
    pipeline.invoke("Use get_weather for Paris")
    spans = telemetry.genai_spans()
    workflow = only(spans, "invoke_workflow RunnableSequence")
    assert children(spans, workflow) == ["invoke_agent LangGraph"]
    assert children(spans, only(spans, "invoke_agent LangGraph")) == [CHAT, "execute_tool get_weather", CHAT]
    assert len(spans) == 5


def test_agent_called_by_another_agents_tool(telemetry: Telemetry, model: ChatOpenAI) -> None:
    helper = create_agent(model, [], name="helper")

    @tool
    def ask_helper(city: str) -> str:
        """Ask the helper agent."""
        return str(helper.invoke({"messages": [{"role": "user", "content": city}]})["messages"][-1].content)

    create_agent(model, [ask_helper], name="weather_agent").invoke(
        {"messages": [{"role": "user", "content": "Use ask_helper for Paris"}]}
    )
    spans = telemetry.genai_spans()
    assert children(spans, only(spans, "invoke_agent weather_agent")) == [CHAT, "execute_tool ask_helper", CHAT]
    assert children(spans, only(spans, "execute_tool ask_helper")) == ["invoke_agent helper"]
    assert children(spans, only(spans, "invoke_agent helper")) == [CHAT]
    assert len(spans) == 6


def test_agent_run_name_from_config(telemetry: Telemetry, model: ChatOpenAI) -> None:
    create_agent(model, [get_weather], name="weather_agent").invoke(ASK_WEATHER, config={"run_name": "planner"})
    spans = telemetry.genai_spans()
    assert children(spans, only(spans, "invoke_agent planner")) == [CHAT, "execute_tool get_weather", CHAT]


def test_tool_body_runs_under_its_tool_span(telemetry: Telemetry, model: ChatOpenAI, server: StandinServer) -> None:
    client = openai.OpenAI(base_url=server.openai_base_url, api_key=API_KEY, max_retries=0)

    @tool
    def ask_expert(question: str) -> str:
        """Ask an expert model."""
        reply = client.chat.completions.create(model=GPT, messages=[{"role": "user", "content": question}])
        return reply.choices[0].message.content or ""

    create_agent(model, [ask_expert], name="weather_agent").invoke(
        {"messages": [{"role": "user", "content": "Use ask_expert for Paris"}]}
    )
    spans = telemetry.genai_spans()
    assert children(spans, only(spans, "execute_tool ask_expert")) == [CHAT]


def test_tool_content_only_when_captured(
    instrument: Callable[..., Telemetry], model: ChatOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "SPAN_ONLY")
    telemetry = instrument(OpenAIInstrumentor(), LangChainInstrumentor())
    create_agent(model, [get_weather], name="weather_agent").invoke(ASK_WEATHER)
    attributes = only(telemetry.genai_spans(), "execute_tool get_weather").attributes
    assert json.loads(attributes["gen_ai.tool.call.arguments"]) == {"city": "standin"}
    assert json.loads(attributes["gen_ai.tool.call.result"]) == "sunny in standin"


def test_latest_semconv_mode(
    instrument: Callable[..., Telemetry], model: ChatOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", "gen_ai_latest_experimental")
    telemetry = instrument(OpenAIInstrumentor(), LangChainInstrumentor())
    result = create_agent(model, [get_weather], name="weather_agent").invoke(ASK_WEATHER)
    assert_agent_tree(telemetry, result)


def test_no_tool_content_by_default(telemetry: Telemetry, model: ChatOpenAI) -> None:
    create_agent(model, [get_weather], name="weather_agent").invoke(ASK_WEATHER)
    attributes = only(telemetry.genai_spans(), "execute_tool get_weather").attributes
    assert "gen_ai.tool.call.arguments" not in attributes and "gen_ai.tool.call.result" not in attributes


# -- alone, and uninstrumented ---------------------------------------------------------------------------------------


def test_langchain_alone_still_records_workflow_agent_and_tool(
    instrument: Callable[..., Telemetry], model: ChatOpenAI
) -> None:
    telemetry = instrument(LangChainInstrumentor())
    create_agent(model, [get_weather], name="weather_agent").invoke(ASK_WEATHER)
    spans = telemetry.genai_spans()
    assert [span.name for span in spans] == ["execute_tool get_weather", "invoke_agent weather_agent"]
    assert children(spans, spans[1]) == ["execute_tool get_weather"]


def test_uninstrument(telemetry: Telemetry, chain: Any, model: ChatOpenAI) -> None:
    LangChainInstrumentor().uninstrument()
    chain.invoke({"question": "hi"})
    create_agent(model, [get_weather], name="weather_agent").invoke(ASK_WEATHER)
    assert [span.name for span in telemetry.genai_spans()] == [CHAT] * 3  # the provider's spans only


def test_exception_from_the_model_is_reraised_unchanged(telemetry: Telemetry, server: StandinServer) -> None:
    chain = ChatPromptTemplate.from_messages([("user", "{question}")]) | chat_openai(server, "standin-error-400")
    with pytest.raises(openai.BadRequestError):
        chain.invoke({"question": "hi"})
    spans = telemetry.genai_spans()
    workflow = only(spans, "invoke_workflow RunnableSequence")
    assert workflow.status.status_code is StatusCode.ERROR
    assert workflow.attributes["error.type"] == "langchain_openai.OpenAIInvalidRequestError"  # raised by ChatOpenAI
    assert children(spans, workflow) == ["chat standin-error-400"]


async def test_task_cancelled_mid_agent(telemetry: Telemetry, model: ChatOpenAI, server: StandinServer) -> None:
    slow = chat_openai(server, "standin-slow-first-chunk-2000")
    task = asyncio.create_task(create_agent(slow, [get_weather], name="weather_agent").ainvoke(ASK_WEATHER))
    await asyncio.sleep(0.2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    agent_span = only(telemetry.genai_spans(), "invoke_agent weather_agent")
    assert agent_span.attributes["error.type"] == "asyncio.CancelledError"
