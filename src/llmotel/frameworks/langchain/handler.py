"""The callback handler: workflow, agent and tool spans from LangChain's run callbacks.

Which runs get a span (the rest are LangChain plumbing: prompt templates, parsers, lambdas, sequences, graph nodes):
- a chain run started by the application itself (no parent run): `invoke_workflow {name}`;
- a `langchain.agents.create_agent` graph, at any depth: `invoke_agent {name}`;
- every tool run: `execute_tool {name}`.
Model runs get none: the provider instrumentations record the model calls, so one call stays one chat span.

Spans are parented by run: each run knows the span its children belong to (its own, or the nearest recorded
ancestor's), so the tree is right however LangChain schedules the runs (threads, tasks, streams, batches).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from opentelemetry import trace
from opentelemetry.trace import Span, Tracer

from llmotel import semconv
from llmotel.config import Settings
from llmotel.core.content import fit_json
from llmotel.core.errors import raise_internal_errors, report_internal_error
from llmotel.tracing import GenAISpan, execute_tool, finish, invoke_agent, invoke_workflow

# metadata `langchain.agents.create_agent` puts on its graph (and, inherited, on every run inside it)
_INTEGRATION_KEY = "ls_integration"
_CREATE_AGENT = "langchain_create_agent"
_AGENT_NAME_KEY = "lc_agent_name"
_UNNAMED_GRAPH = "LangGraph"  # the run name of a graph compiled without a name


@dataclass(slots=True)
class _Run:
    span: Span  # the span this run's children belong to
    owned: bool  # the run opened `span` and ends it
    in_agent: bool  # the run carries create_agent's metadata


class SpanCallbackHandler(BaseCallbackHandler):
    """Added to every callback manager while LangChain is instrumented (see `LangChainInstrumentor`)."""

    # Called in the run's own thread or task, synchronously, also by the async callback managers: a run's start
    # sees the context the run is started in.
    run_inline = True

    def __init__(self, tracer: Tracer, settings: Settings) -> None:
        super().__init__()
        self.raise_error = raise_internal_errors()  # else LangChain logs and swallows our failures
        self._tracer = tracer
        self._settings = settings
        self._runs: dict[UUID, _Run] = {}

    @property
    def ignore_llm(self) -> bool:
        return True

    @property
    def ignore_chat_model(self) -> bool:
        return True

    def span_of_children(self, run_id: UUID) -> Span | None:
        """The span that runs (and model calls) started inside run `run_id` belong to."""
        run = self._runs.get(run_id)
        return run.span if run is not None else None

    # -- chains and agents ---------------------------------------------------------------------------------------

    def on_chain_start(
        self,
        serialized: dict[str, Any] | None,
        inputs: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        try:
            parent = self._runs.get(parent_run_id) if parent_run_id is not None else None
            name = kwargs.get("name") or (serialized or {}).get("name") or "chain"
            in_agent = (metadata or {}).get(_INTEGRATION_KEY) == _CREATE_AGENT
            template: GenAISpan
            if in_agent and self._is_agent_graph(name, metadata or {}, parent):
                template = invoke_agent(name)
            elif parent is None:
                template = invoke_workflow(name)
            else:
                self._runs[run_id] = _Run(parent.span, False, in_agent)
                return
            self._open(run_id, template, parent, in_agent)
        except Exception:
            report_internal_error("langchain on_chain_start")

    @staticmethod
    def _is_agent_graph(name: str, metadata: dict[str, Any], parent: _Run | None) -> bool:
        # Every run inside the agent inherits its metadata; the graph's own run is the outermost one carrying it,
        # or (an agent inside another agent's tool) the one named after the agent.
        return parent is None or not parent.in_agent or name in (metadata.get(_AGENT_NAME_KEY), _UNNAMED_GRAPH)

    def on_chain_end(self, outputs: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._close(run_id, None)

    def on_chain_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._close(run_id, error)

    # -- tools ---------------------------------------------------------------------------------------------------

    def on_tool_start(self, serialized: dict[str, Any] | None, input_str: str, *, run_id: UUID, **kwargs: Any) -> None:
        try:
            parent_run_id, inputs = kwargs.get("parent_run_id"), kwargs.get("inputs")
            parent = self._runs.get(parent_run_id) if parent_run_id is not None else None
            serialized = serialized or {}
            template = execute_tool(
                kwargs.get("name") or serialized.get("name") or "tool",
                call_id=kwargs.get("tool_call_id"),
                description=serialized.get("description") or None,
            )
            span = self._open(run_id, template, parent, parent is not None and parent.in_agent)
            if self._settings.capture.on_span:
                self._set_content(span, semconv.GEN_AI_TOOL_CALL_ARGUMENTS, inputs if inputs is not None else input_str)
        except Exception:
            report_internal_error("langchain on_tool_start")

    def on_tool_end(self, output: Any, *, run_id: UUID, **kwargs: Any) -> None:
        run = self._runs.get(run_id)
        if run is not None and run.owned and self._settings.capture.on_span:
            try:  # a ToolMessage (a tool called with a model's tool call) or the tool's plain return value
                self._set_content(run.span, semconv.GEN_AI_TOOL_CALL_RESULT, getattr(output, "content", output))
            except Exception:
                report_internal_error("langchain tool result")
        self._close(run_id, None)

    def on_tool_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._close(run_id, error)

    # -- retrievers: no span, but their children still find their place ---------------------------------------------

    def on_retriever_start(self, *args: Any, run_id: UUID, parent_run_id: UUID | None = None, **kwargs: Any) -> None:
        parent = self._runs.get(parent_run_id) if parent_run_id is not None else None
        if parent is not None:
            self._runs[run_id] = _Run(parent.span, False, parent.in_agent)

    def on_retriever_end(self, documents: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._close(run_id, None)

    def on_retriever_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._close(run_id, error)

    # -- spans -----------------------------------------------------------------------------------------------------

    def _open(self, run_id: UUID, template: GenAISpan, parent: _Run | None, in_agent: bool) -> Span:
        # A run with no recorded parent nests under whatever span is current where the application started it.
        context = trace.set_span_in_context(parent.span) if parent is not None else None
        span = template.start(self._tracer, context)
        self._runs[run_id] = _Run(span, True, in_agent)
        return span

    def _close(self, run_id: UUID, error: BaseException | None) -> None:
        run = self._runs.pop(run_id, None)
        if run is None or not run.owned:
            return
        try:
            # GeneratorExit: the application stopped reading a stream early, which is not a failure
            finish(run.span, None if isinstance(error, GeneratorExit) else error)
        except Exception:
            report_internal_error("langchain span end")

    def _set_content(self, span: Span, key: str, value: Any) -> None:
        if self._settings.redactor is not None:  # before any cut: a cut secret no longer matches its pattern
            value = self._settings.redactor.redact_json(value)
        text, truncated = fit_json(value, self._settings.content_max_bytes)
        span.set_attribute(key, text)
        if truncated:
            span.set_attribute(semconv.LLMOTEL_CONTENT_TRUNCATED, True)
