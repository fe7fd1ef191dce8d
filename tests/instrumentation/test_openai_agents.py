"""The OpenAI Agents SDK with a real openai client over HTTP to the stand-in, instrumented by llmotel's openai and
openai_agents instrumentations together: workflow > agent > (model calls, tools) trees, one GenAI span per model
call, context that follows the SDK's own current span (sync, async, streamed, concurrent runs) and never leaks.

The stand-in calls a tool when the last user message names it, and `transfer_to_<agent>` is the handoff tool.
The SDK's default exporter (OpenAI's trace backend) is removed for these tests: no network.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import agents
import openai
import pytest
from agents import (
    Agent,
    GuardrailFunctionOutput,
    Model,
    OpenAIChatCompletionsModel,
    OpenAIResponsesModel,
    RunConfig,
    Runner,
    function_tool,
    input_guardrail,
    trace,
)
from agents.tracing.processors import default_processor
from agents.tracing.scope import Scope
from opentelemetry import trace as otel_trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode

from llm_support import API_KEY, GPT, Telemetry
from llmotel.frameworks.openai_agents import OpenAIAgentsInstrumentor
from llmotel.providers.openai import OpenAIInstrumentor
from llmotel.standin import StandinServer

CAPTURE_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
WORKFLOW = "invoke_workflow Agent workflow"
CHAT = f"chat {GPT}"
Tree = list[tuple[str, "Tree"]]


@function_tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"Sunny in {city}"


@function_tool
def book_flight(city: str) -> str:
    """Book a flight (always fails)."""
    raise ValueError(f"no flights to {city}")


@pytest.fixture(autouse=True)
def no_trace_export() -> Iterator[None]:
    """Without the SDK's default processor nothing is sent to OpenAI's trace backend; restored afterwards."""
    agents.set_trace_processors([])
    yield
    agents.set_trace_processors([default_processor()])


@pytest.fixture
def telemetry(instrument: Callable[..., Telemetry]) -> Telemetry:
    return instrument(OpenAIInstrumentor(), OpenAIAgentsInstrumentor())


@pytest.fixture
async def client(server: StandinServer) -> AsyncIterator[openai.AsyncOpenAI]:
    async with openai.AsyncOpenAI(base_url=server.url + "/v1", api_key=API_KEY, max_retries=0) as client:
        yield client


def chat_model(client: openai.AsyncOpenAI, model: str = GPT) -> Model:
    return OpenAIChatCompletionsModel(model=model, openai_client=client)


def assistant(model: Model, name: str = "assistant", **options: Any) -> Agent[Any]:
    return Agent(name=name, instructions="Answer briefly.", model=model, tools=[get_weather, book_flight], **options)


def tree(spans: list[ReadableSpan]) -> Tree:
    """(name, children) from the roots down, siblings in start order."""
    ids = {span.context.span_id for span in spans}
    children: dict[int | None, list[ReadableSpan]] = {}
    for span in spans:
        parent = span.parent.span_id if span.parent and span.parent.span_id in ids else None
        children.setdefault(parent, []).append(span)

    def below(parent: int | None) -> Tree:
        ordered = sorted(children.get(parent, []), key=lambda span: span.start_time or 0)
        return [(span.name, below(span.context.span_id)) for span in ordered]

    return below(None)


def by_name(telemetry: Telemetry, name: str) -> list[ReadableSpan]:
    return [span for span in telemetry.spans() if span.name == name]


def tool_run_tree(agent: str = "assistant", tool: str = "get_weather") -> Tree:
    return [(WORKFLOW, [(f"invoke_agent {agent}", [(CHAT, []), (f"execute_tool {tool}", []), (CHAT, [])])])]


def assert_no_context_left() -> None:
    assert not otel_trace.get_current_span().get_span_context().is_valid
    assert Scope.get_current_span() is None and Scope.get_current_trace() is None


# -- the tree of a run ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("semconv_mode", ["", "gen_ai_latest_experimental"])
async def test_run_with_tool(
    instrument: Callable[..., Telemetry],
    client: openai.AsyncOpenAI,
    server: StandinServer,
    monkeypatch: pytest.MonkeyPatch,
    semconv_mode: str,
) -> None:
    monkeypatch.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", semconv_mode)
    telemetry = instrument(OpenAIInstrumentor(), OpenAIAgentsInstrumentor())
    result = await Runner.run(assistant(chat_model(client)), "Use get_weather for Paris")

    assert result.final_output.startswith("Hello from the llmotel stand-in")
    assert tree(telemetry.spans()) == tool_run_tree()
    assert len(server.requests) == len(by_name(telemetry, CHAT)) == 2  # one GenAI span per model call
    (workflow,) = by_name(telemetry, WORKFLOW)
    (agent,) = by_name(telemetry, "invoke_agent assistant")
    (tool,) = by_name(telemetry, "execute_tool get_weather")
    assert workflow.kind is agent.kind is tool.kind is SpanKind.INTERNAL
    assert dict(workflow.attributes or {}) == {
        "gen_ai.operation.name": "invoke_workflow",
        "gen_ai.workflow.name": "Agent workflow",
    }
    assert dict(agent.attributes or {}) == {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "assistant"}
    tool_result = server.requests[1].body["messages"][-1]  # the tool's result went back with the model's call id
    assert dict(tool.attributes or {}) == {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "get_weather",
        "gen_ai.tool.type": "function",
        "gen_ai.tool.call.id": tool_result["tool_call_id"],
    }
    assert all(span.status.status_code is StatusCode.UNSET for span in telemetry.spans())
    assert_no_context_left()


def test_run_sync_with_responses_model(telemetry: Telemetry, server: StandinServer) -> None:
    client = openai.AsyncOpenAI(base_url=server.url + "/v1", api_key=API_KEY, max_retries=0)
    model = OpenAIResponsesModel(model=GPT, openai_client=client)
    result = Runner.run_sync(assistant(model), "Use get_weather for Paris")

    assert result.final_output.startswith("Hello from the llmotel stand-in")
    assert [request.path for request in server.requests] == ["/v1/responses"] * 2
    assert tree(telemetry.spans()) == tool_run_tree()
    assert {span.attributes["openai.api.type"] for span in by_name(telemetry, CHAT)} == {"responses"}  # type: ignore[index]
    assert_no_context_left()


async def test_run_streamed(telemetry: Telemetry, client: openai.AsyncOpenAI) -> None:
    streamed = Runner.run_streamed(assistant(chat_model(client)), "Use get_weather for Paris")
    assert_no_context_left()  # the run happens in its own task
    events = [event async for event in streamed.stream_events()]

    assert events and streamed.is_complete
    assert tree(telemetry.spans()) == tool_run_tree()
    assert all(span.attributes["gen_ai.request.stream"] for span in by_name(telemetry, CHAT))  # type: ignore[index]
    assert_no_context_left()


async def test_parallel_tool_calls(telemetry: Telemetry, client: openai.AsyncOpenAI, server: StandinServer) -> None:
    @function_tool
    async def get_time(city: str) -> str:
        """The local time in a city."""
        await asyncio.sleep(0.01)  # both tools run at once
        return "noon"

    agent = Agent(name="assistant", model=chat_model(client), tools=[get_weather, get_time])
    await Runner.run(agent, "Use get_weather and get_time for Paris")

    ((workflow, ((agent_span, calls),)),) = tree(telemetry.spans())
    assert (workflow, agent_span) == (WORKFLOW, "invoke_agent assistant")
    assert sorted(calls) == [(CHAT, []), (CHAT, []), ("execute_tool get_time", []), ("execute_tool get_weather", [])]
    call_ids = {span.attributes["gen_ai.tool.call.id"] for span in telemetry.spans() if span.name.startswith("execute")}  # type: ignore[index]
    assert call_ids == {message["tool_call_id"] for message in server.requests[1].body["messages"][-2:]}


async def test_streamed_run_cancelled_early(telemetry: Telemetry, client: openai.AsyncOpenAI) -> None:
    streamed = Runner.run_streamed(assistant(chat_model(client)), "Use get_weather for Paris")
    async for _ in streamed.stream_events():
        streamed.cancel()
    await asyncio.sleep(0)

    (workflow,) = by_name(telemetry, WORKFLOW)  # ended, like the agent's span, and marked as cancelled
    (agent,) = by_name(telemetry, "invoke_agent assistant")
    assert workflow.attributes["error.type"] == agent.attributes["error.type"] == "asyncio.CancelledError"  # type: ignore[index]
    assert_no_context_left()


async def test_concurrent_runs_keep_their_trees_apart(telemetry: Telemetry, client: openai.AsyncOpenAI) -> None:
    names = [f"agent{i}" for i in range(4)]
    await asyncio.gather(
        *(Runner.run(assistant(chat_model(client), name=name), "Use get_weather for Paris") for name in names)
    )

    trees = sorted(tree(telemetry.spans()), key=lambda root: root[1][0][0])
    assert trees == [root for name in names for root in tool_run_tree(agent=name)]
    for workflow in by_name(telemetry, WORKFLOW):  # four traces, not one
        members = [span for span in telemetry.spans() if span.context.trace_id == workflow.context.trace_id]
        assert len(members) == 5
    assert_no_context_left()


def test_run_sync_in_threads_keeps_trees_apart(telemetry: Telemetry, server: StandinServer) -> None:
    def run(name: str) -> None:
        client = openai.AsyncOpenAI(base_url=server.url + "/v1", api_key=API_KEY, max_retries=0)
        Runner.run_sync(assistant(chat_model(client), name=name), "Use get_weather for Paris")

    names = ["left", "right"]
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(run, names))

    trees = sorted(tree(telemetry.spans()), key=lambda root: root[1][0][0])
    assert trees == [root for name in names for root in tool_run_tree(agent=name)]


async def test_run_inside_an_application_span(telemetry: Telemetry, client: openai.AsyncOpenAI) -> None:
    tracer = telemetry.tracer_provider.get_tracer("app")
    with tracer.start_as_current_span("handle request") as request:
        await Runner.run(assistant(chat_model(client)), "Use get_weather for Paris")
        assert otel_trace.get_current_span() is request
        with tracer.start_as_current_span("after the run"):
            pass

    assert tree(telemetry.spans()) == [("handle request", [*tool_run_tree(), ("after the run", [])])]


async def test_runs_in_one_sdk_trace(telemetry: Telemetry, client: openai.AsyncOpenAI) -> None:
    with trace("Trip planner", group_id="thread-42"):
        await Runner.run(assistant(chat_model(client), name="planner"), "Say hello")
        await Runner.run(assistant(chat_model(client), name="booker"), "Say hello")

    assert tree(telemetry.spans()) == [
        (
            "invoke_workflow Trip planner",
            [("invoke_agent planner", [(CHAT, [])]), ("invoke_agent booker", [(CHAT, [])])],
        )
    ]
    (workflow,) = by_name(telemetry, "invoke_workflow Trip planner")
    assert workflow.attributes["gen_ai.conversation.id"] == "thread-42"  # type: ignore[index]


async def test_agent_as_tool(telemetry: Telemetry, client: openai.AsyncOpenAI) -> None:
    translator = Agent(name="translator", instructions="Translate.", model=chat_model(client))
    tool = translator.as_tool(tool_name="translate", tool_description="Translate a text.")
    orchestrator = Agent(name="orchestrator", model=chat_model(client), tools=[tool])
    await Runner.run(orchestrator, "Use translate for this sentence")

    assert tree(telemetry.spans()) == [
        (
            WORKFLOW,
            [
                (
                    "invoke_agent orchestrator",
                    [(CHAT, []), ("execute_tool translate", [("invoke_agent translator", [(CHAT, [])])]), (CHAT, [])],
                )
            ],
        )
    ]


# -- handoffs and failures ------------------------------------------------------------------------------------------


async def test_handoff(telemetry: Telemetry, client: openai.AsyncOpenAI, server: StandinServer) -> None:
    specialist = Agent(name="billing agent", instructions="Handle billing.", model=chat_model(client))
    triage = Agent(name="triage", instructions="Route.", model=chat_model(client), handoffs=[specialist])
    result = await Runner.run(triage, "Please transfer_to_billing_agent about my invoice")

    assert result.last_agent is specialist
    assert tree(telemetry.spans()) == [
        (
            WORKFLOW,
            [
                ("invoke_agent triage", [(CHAT, []), ("execute_tool transfer_to_billing_agent", [])]),
                ("invoke_agent billing agent", [(CHAT, [])]),
            ],
        )
    ]
    (handoff,) = by_name(telemetry, "execute_tool transfer_to_billing_agent")
    (triage_chat, _) = sorted(by_name(telemetry, CHAT), key=lambda span: span.start_time or 0)
    handoff_result = server.requests[1].body["messages"][-1]  # the specialist's history ends with the transfer
    assert dict(handoff.attributes or {}) == {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "transfer_to_billing_agent",
        "gen_ai.tool.type": "function",
        "gen_ai.tool.call.id": handoff_result["tool_call_id"],
    }
    assert triage_chat.end_time <= handoff.start_time < handoff.end_time  # type: ignore[operator]


async def test_handoff_with_its_own_tool_name(telemetry: Telemetry, client: openai.AsyncOpenAI) -> None:
    specialist = Agent(name="billing agent", instructions="Handle billing.", model=chat_model(client))
    escalate = agents.handoff(specialist, tool_name_override="escalate_to_billing")
    triage = Agent(name="triage", instructions="Route.", model=chat_model(client), handoffs=[escalate])
    result = await Runner.run(triage, "Please escalate_to_billing now")

    assert result.last_agent is specialist
    (handoff,) = by_name(telemetry, "execute_tool escalate_to_billing")
    assert handoff.attributes["gen_ai.tool.call.id"]  # type: ignore[index]


async def test_failing_tool(telemetry: Telemetry, client: openai.AsyncOpenAI) -> None:
    result = await Runner.run(assistant(chat_model(client)), "Use book_flight for Paris")

    assert result.final_output  # the SDK turned the error into a message for the model, and the run went on
    assert tree(telemetry.spans()) == tool_run_tree(tool="book_flight")
    (tool,) = by_name(telemetry, "execute_tool book_flight")
    assert tool.status.status_code is StatusCode.ERROR
    assert tool.attributes["error.type"] == "ValueError"  # type: ignore[index]
    assert all(span.status.status_code is StatusCode.UNSET for span in telemetry.spans() if span is not tool)


async def test_failing_tool_without_error_handler(telemetry: Telemetry, client: openai.AsyncOpenAI) -> None:
    @function_tool(failure_error_function=None)
    def cancel_flight(city: str) -> str:
        """Cancel a flight (always fails)."""
        raise KeyError(city)

    agent = Agent(name="assistant", model=chat_model(client), tools=[cancel_flight])
    with pytest.raises(agents.UserError) as raised:
        await Runner.run(agent, "Use cancel_flight for Paris")

    assert isinstance(raised.value.__cause__, KeyError)
    (tool,) = by_name(telemetry, "execute_tool cancel_flight")
    (agent_span,) = by_name(telemetry, "invoke_agent assistant")
    (workflow,) = by_name(telemetry, WORKFLOW)
    assert tool.attributes["error.type"] == "KeyError"  # type: ignore[index]  # the tool's own exception
    assert agent_span.attributes["error.type"] == workflow.attributes["error.type"] == "agents.UserError"  # type: ignore[index]
    assert_no_context_left()


async def test_tripped_guardrail(telemetry: Telemetry, client: openai.AsyncOpenAI) -> None:
    @input_guardrail
    def no_refunds(context: Any, agent: Any, user_input: Any) -> GuardrailFunctionOutput:
        return GuardrailFunctionOutput(output_info=None, tripwire_triggered=True)

    agent = assistant(chat_model(client), input_guardrails=[no_refunds])
    with pytest.raises(agents.InputGuardrailTripwireTriggered):
        await Runner.run(agent, "I want a refund")

    (agent_span,) = by_name(telemetry, "invoke_agent assistant")
    (workflow,) = by_name(telemetry, WORKFLOW)
    assert agent_span.parent.span_id == workflow.context.span_id  # type: ignore[union-attr]
    assert agent_span.attributes["error.type"] == "agents.InputGuardrailTripwireTriggered"  # type: ignore[index]
    assert_no_context_left()


@pytest.mark.parametrize("model", ["standin-error-500", "standin-error-event-after-2"])
async def test_failing_streamed_run(telemetry: Telemetry, client: openai.AsyncOpenAI, model: str) -> None:
    streamed = Runner.run_streamed(assistant(chat_model(client, model)), "Say hello")
    with pytest.raises(openai.APIError) as raised:
        async for _ in streamed.stream_events():
            pass

    assert tree(telemetry.spans()) == [(WORKFLOW, [("invoke_agent assistant", [(f"chat {model}", [])])])]
    expected = f"openai.{type(raised.value).__name__}"
    assert {(span.attributes or {}).get("error.type") for span in telemetry.spans()} == {expected}
    assert_no_context_left()


async def test_failing_model_call(telemetry: Telemetry, client: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.InternalServerError):
        await Runner.run(assistant(chat_model(client, "standin-error-500")), "Say hello")

    assert tree(telemetry.spans()) == [(WORKFLOW, [("invoke_agent assistant", [("chat standin-error-500", [])])])]
    for span in telemetry.spans():
        assert span.status.status_code is StatusCode.ERROR
        assert (span.attributes or {})["error.type"] == "openai.InternalServerError", span.name
    assert_no_context_left()


# -- content, exporters, uninstrument -------------------------------------------------------------------------------


async def test_no_content_by_default(telemetry: Telemetry, client: openai.AsyncOpenAI) -> None:
    await Runner.run(assistant(chat_model(client)), "Use get_weather for Paris")

    for span in telemetry.spans():
        assert not {"gen_ai.tool.call.arguments", "gen_ai.tool.call.result"} & set(span.attributes or {})


async def test_tool_content_when_captured(
    instrument: Callable[..., Telemetry], client: openai.AsyncOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CAPTURE_ENV, "SPAN_ONLY")
    telemetry = instrument(OpenAIInstrumentor(), OpenAIAgentsInstrumentor())
    await Runner.run(assistant(chat_model(client)), "Use get_weather for Paris")

    (tool,) = by_name(telemetry, "execute_tool get_weather")
    assert tool.attributes["gen_ai.tool.call.arguments"] == '{"city":"standin"}'  # type: ignore[index]
    assert tool.attributes["gen_ai.tool.call.result"] == '"Sunny in standin"'  # type: ignore[index]


async def test_tool_content_not_traced_by_the_sdk(
    instrument: Callable[..., Telemetry], client: openai.AsyncOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CAPTURE_ENV, "SPAN_ONLY")
    telemetry = instrument(OpenAIInstrumentor(), OpenAIAgentsInstrumentor())
    config = RunConfig(trace_include_sensitive_data=False)  # the user's choice in the SDK wins
    await Runner.run(assistant(chat_model(client)), "Use get_weather for Paris", run_config=config)

    (tool,) = by_name(telemetry, "execute_tool get_weather")
    assert "gen_ai.tool.call.arguments" not in (tool.attributes or {})


async def test_set_trace_processors_keeps_llmotel(telemetry: Telemetry, client: openai.AsyncOpenAI) -> None:
    agents.set_trace_processors([])  # how users stop the export to OpenAI
    await Runner.run(assistant(chat_model(client)), "Use get_weather for Paris")

    assert tree(telemetry.spans()) == tool_run_tree()


async def test_uninstrument(instrument: Callable[..., Telemetry], client: openai.AsyncOpenAI) -> None:
    instrumentor = OpenAIAgentsInstrumentor()
    telemetry = instrument(OpenAIInstrumentor(), instrumentor)
    instrumentor.uninstrument()
    await Runner.run(assistant(chat_model(client)), "Use get_weather for Paris")

    assert tree(telemetry.spans()) == [(CHAT, []), (CHAT, [])]  # openai alone is still instrumented
    assert not hasattr(Scope.set_current_span, "__wrapped__")

    instrumentor.instrument(tracer_provider=telemetry.tracer_provider)  # and back, without a second processor
    telemetry.spans_exporter.clear()
    await Runner.run(assistant(chat_model(client)), "Use get_weather for Paris")
    assert tree(telemetry.spans()) == tool_run_tree()


async def test_agent_instructions_when_captured(
    instrument: Callable[..., Telemetry], client: openai.AsyncOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CAPTURE_ENV, "SPAN_ONLY")
    telemetry = instrument(OpenAIInstrumentor(), OpenAIAgentsInstrumentor())
    specialist = Agent(
        name="billing agent", instructions=lambda _ctx, _agent: "Handle billing.", model=chat_model(client)
    )
    triage = Agent(name="triage", instructions="Route.", model=chat_model(client), handoffs=[specialist])
    await Runner.run(triage, "Please transfer_to_billing_agent about my invoice")

    instructions = {
        span.name: span.attributes.get("gen_ai.system_instructions")  # type: ignore[union-attr]
        for span in telemetry.spans()
        if span.name.startswith("invoke_agent")
    }
    assert instructions == {
        "invoke_agent triage": '[{"type":"text","content":"Route."}]',
        "invoke_agent billing agent": '[{"type":"text","content":"Handle billing."}]',
    }


async def test_no_instructions_by_default(telemetry: Telemetry, client: openai.AsyncOpenAI) -> None:
    await Runner.run(assistant(chat_model(client)), "Say hello")

    (agent,) = by_name(telemetry, "invoke_agent assistant")
    assert "gen_ai.system_instructions" not in (agent.attributes or {})


async def test_sdk_tracing_disabled(telemetry: Telemetry, client: openai.AsyncOpenAI) -> None:
    config = RunConfig(tracing_disabled=True)  # the user turned the SDK's tracing off: no agent spans
    await Runner.run(assistant(chat_model(client)), "Use get_weather for Paris", run_config=config)

    assert tree(telemetry.spans()) == [(CHAT, []), (CHAT, [])]
    assert_no_context_left()


async def test_captured_tool_content_is_redacted(
    instrument: Callable[..., Telemetry], client: openai.AsyncOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    @function_tool
    def find_owner(city: str) -> str:
        """The owner's contact."""
        return "write to jane.doe@example.com"

    monkeypatch.setenv(CAPTURE_ENV, "SPAN_ONLY")
    telemetry = instrument(OpenAIInstrumentor(), OpenAIAgentsInstrumentor())
    agent = Agent(name="assistant", model=chat_model(client), tools=[find_owner])
    await Runner.run(agent, "Use find_owner for Paris")

    (tool,) = by_name(telemetry, "execute_tool find_owner")
    assert tool.attributes["gen_ai.tool.call.result"] == '"write to <EMAIL>"'  # type: ignore[index]
    assert tool.attributes["llmotel.redaction.count"] == 1  # type: ignore[index]


LAZY_PATCHING = """
import sys
from wrapt import FunctionWrapper
from llmotel.frameworks.openai_agents import OpenAIAgentsInstrumentor
instrumentor = OpenAIAgentsInstrumentor()
instrumentor.instrument()
instrumentor.uninstrument()  # its import hook stays registered, turned off
instrumentor.instrument()
assert "agents" not in sys.modules, "instrument() imported the SDK"
from agents.tracing import get_trace_provider
from agents.tracing.scope import Scope
wrapper = vars(Scope)["set_current_span"]
assert isinstance(wrapper, FunctionWrapper) and not isinstance(wrapper.__wrapped__, FunctionWrapper), "patched once"
processors = get_trace_provider()._multi_processor._processors
assert sum(type(p).__name__ == "OTelProcessor" for p in processors) == 1, processors
instrumentor.uninstrument()
assert not isinstance(vars(Scope)["set_current_span"], FunctionWrapper)
"""


def test_patches_wait_for_the_application_to_import_the_sdk() -> None:
    """Zero-code: `opentelemetry-instrument` instruments at startup; the SDK is patched when the app imports it."""
    subprocess.run([sys.executable, "-c", LAZY_PATCHING], check=True, timeout=60)


async def test_captured_tool_content_is_cut_to_size(
    instrument: Callable[..., Telemetry], client: openai.AsyncOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    @function_tool
    def read_report(city: str) -> str:
        """A long report."""
        return "word " * 500

    monkeypatch.setenv(CAPTURE_ENV, "SPAN_ONLY")
    monkeypatch.setenv("LLMOTEL_CONTENT_MAX_BYTES", "256")
    telemetry = instrument(OpenAIInstrumentor(), OpenAIAgentsInstrumentor())
    await Runner.run(
        Agent(name="assistant", model=chat_model(client), tools=[read_report]), "Use read_report for Paris"
    )

    (tool,) = by_name(telemetry, "execute_tool read_report")
    assert len(tool.attributes["gen_ai.tool.call.result"].encode()) <= 256  # type: ignore[index,union-attr]
    assert tool.attributes["llmotel.content.truncated"] is True  # type: ignore[index]
