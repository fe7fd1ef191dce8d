"""The Agents SDK's traces and spans as OTel spans, each current exactly while the SDK's own span is current.

A TracingProcessor opens and ends the OTel spans. Its callbacks alone cannot make them current: the SDK marks a span
current by setting a contextvar (`Scope`) after `on_span_start` and resets it after `on_span_end`, so llmotel
attaches the OTel context right where the SDK sets its contextvar and detaches it where the SDK resets it, in the
same contextvars context. Model calls made while an agent's span is current then nest under its `invoke_agent` span
(the openai instrumentation records them; the SDK's generation/response spans are not turned into spans here).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextvars import Token
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from agents import Handoff
from agents.tracing import (
    AgentSpanData,
    FunctionSpanData,
    HandoffSpanData,
    Span,
    Trace,
    TracingProcessor,
    get_current_span,
    get_trace_provider,
)
from opentelemetry import context as otel_context
from opentelemetry import trace as otel_trace
from opentelemetry.trace import Span as OTelSpan
from opentelemetry.trace import Tracer, set_span_in_context

from llmotel import semconv
from llmotel.config import Settings
from llmotel.core.content import ContentEncoder, parse_arguments, text_part
from llmotel.core.errors import error_type, report_internal_error
from llmotel.tracing import execute_tool, finish, invoke_agent, invoke_workflow


@dataclass
class _Open:
    span: OTelSpan
    error_type: str | None = None  # a failure the SDK handled (a tool error turned into a message to the model)


class OTelProcessor(TracingProcessor):
    """Registered once with the SDK; inert until `start` and after `stop` (the SDK has no way to unregister)."""

    def __init__(self) -> None:
        self._tracer: Tracer | None = None
        self._settings: Settings | None = None
        self._content: ContentEncoder | None = None
        self._open: dict[str, _Open] = {}  # SDK trace or span id -> its OTel span
        # id of an SDK scope token -> (that token, kept alive so the id stays unique; the OTel token to detach)
        self._attached: dict[int, tuple[Token[Any], Token[otel_context.Context]]] = {}
        self._handoff_calls: dict[str, tuple[str | None, str | None]] = {}  # handoff span id -> (tool, call id)
        self._registered_with: list[Any] = []  # SDK trace providers this processor was added to

    def start(self, tracer: Tracer, settings: Settings) -> None:
        self._tracer, self._settings = tracer, settings
        self._content = ContentEncoder(settings.content_max_bytes, settings.redactor)
        provider = get_trace_provider()
        if not self._registered(provider):
            provider.register_processor(self)
            self._registered_with.append(provider)

    def _registered(self, provider: Any) -> bool:
        """Whether `provider` still has this processor: `set_trace_processors` while uninstrumented drops it."""
        processors = getattr(getattr(provider, "_multi_processor", None), "_processors", None)
        if processors is not None:  # the default provider's list (no public getter)
            return any(processor is self for processor in processors)
        return any(registered is provider for registered in self._registered_with)

    def stop(self) -> None:
        self._tracer = None

    # -- TracingProcessor --------------------------------------------------------------------------------------------

    def on_trace_start(self, trace: Trace) -> None:
        if self._tracer is None:
            return
        try:
            span = invoke_workflow(trace.name).start(self._tracer)
            group_id = getattr(trace, "group_id", None)  # the user's conversation/thread id, when given
            if group_id:
                span.set_attribute(semconv.GEN_AI_CONVERSATION_ID, group_id)
            self._open[trace.trace_id] = _Open(span)
        except Exception:
            report_internal_error("openai_agents trace start")

    def on_trace_end(self, trace: Trace) -> None:
        opened = self._open.pop(trace.trace_id, None)
        if opened is not None:
            finish(opened.span, _propagating_error())

    def on_span_start(self, span: Span[Any]) -> None:
        if self._tracer is None:
            return
        try:
            data = span.span_data
            if isinstance(data, AgentSpanData):
                self._open[span.span_id] = _Open(invoke_agent(data.name).start(self._tracer))
            elif isinstance(data, FunctionSpanData):
                self._open[span.span_id] = _Open(execute_tool(data.name).start(self._tracer))
        except Exception:
            report_internal_error("openai_agents span start")

    def on_span_end(self, span: Span[Any]) -> None:
        try:
            data = span.span_data
            if isinstance(data, HandoffSpanData):
                call = self._handoff_calls.pop(span.span_id, (None, None))
                if self._tracer is not None:
                    self._open[span.span_id] = _Open(self._handoff_span(span, data, *call))
            opened = self._open.pop(span.span_id, None)
            if opened is None:
                return
            if isinstance(data, FunctionSpanData):
                self._tool_content(opened.span, data)
            # The tool's own exception class first: the SDK re-raises it wrapped in its UserError
            error: BaseException | str | None = opened.error_type or _propagating_error()
            if error is None and span.error is not None:
                error = "_OTHER"
            finish(opened.span, error)
        except Exception:
            report_internal_error("openai_agents span end")

    def shutdown(self) -> None:
        """The user's OTel SDK flushes and shuts down its own providers."""

    def force_flush(self) -> None:
        """Spans go to the OTel SDK as they end; nothing is buffered here."""

    # -- what the processor callbacks cannot see ---------------------------------------------------------------------

    def made_current(self, sdk_token: Token[Any], trace_or_span: Trace | Span[Any] | None) -> None:
        """The SDK made `trace_or_span` current: make its OTel span current too, until the SDK resets the token."""
        if trace_or_span is None:
            return
        key = trace_or_span.trace_id if isinstance(trace_or_span, Trace) else trace_or_span.span_id
        opened = self._open.get(key)
        if opened is not None:
            token = otel_context.attach(set_span_in_context(opened.span))
            self._attached[id(sdk_token)] = (sdk_token, token)

    def forget(self, sdk_token: Token[Any]) -> Token[otel_context.Context] | None:
        """The OTel token to detach once the SDK has reset `sdk_token` (None: nothing was attached for it)."""
        attached = self._attached.pop(id(sdk_token), None)
        return attached[1] if attached is not None else None

    def tool_call(self, call_id: str | None = None, error: BaseException | None = None) -> None:
        """Details of the tool running in the current SDK function span: its call id, or the error the SDK turned
        into a message for the model (no exception reaches the span's end then)."""
        current = get_current_span()
        if current is None or not isinstance(current.span_data, FunctionSpanData):
            return
        opened = self._open.get(current.span_id)
        if opened is None:
            return
        if call_id:
            opened.span.set_attribute(semconv.GEN_AI_TOOL_CALL_ID, call_id)
        if error is not None:
            opened.error_type = error_type(error)

    # -- helpers -----------------------------------------------------------------------------------------------------

    def handoff_call(self, tool_call: Any) -> None:
        """The model's call of the transfer tool that the current SDK handoff span executes."""
        current = get_current_span()
        if current is not None and isinstance(current.span_data, HandoffSpanData):
            call = (getattr(tool_call, "name", None), getattr(tool_call, "call_id", None))
            self._handoff_calls[current.span_id] = call

    def _handoff_span(self, span: Span[Any], data: HandoffSpanData, tool: str | None, call_id: str | None) -> OTelSpan:
        """A handoff is the model's call of the transfer tool: an `execute_tool` span, opened once the target is
        known, dated back to the handoff's start. Without the call seen, the tool has the SDK's default name."""
        tool = tool or Handoff.default_tool_name(cast(Any, _Named(data.to_agent or "")))
        started = datetime.fromisoformat(span.started_at) if span.started_at else None
        start_time = int(started.timestamp() * 1e9) if started else None
        return execute_tool(tool, call_id=call_id).start(self._tracer, start_time=start_time)

    def agent_instructions(self, agent_name: str, instructions: str | None) -> None:
        """The system prompt an agent resolved for its model call, on the agent's span (content capture only)."""
        span = otel_trace.get_current_span()
        attributes = getattr(span, "attributes", None) or {}  # a recording SDK span; a no-op one has none
        if instructions and attributes.get(semconv.GEN_AI_AGENT_NAME) == agent_name and self._capturing():
            self._set_content(span, [(semconv.GEN_AI_SYSTEM_INSTRUCTIONS, [text_part(instructions)])])

    def _tool_content(self, otel_span: OTelSpan, data: FunctionSpanData) -> None:
        """Arguments and result, when content capture is on (the SDK keeps them unless told not to trace them)."""
        if not self._capturing():
            return
        content: list[tuple[str, Any]] = []
        if data.input:
            content.append((semconv.GEN_AI_TOOL_CALL_ARGUMENTS, parse_arguments(data.input)))
        if data.output is not None:
            content.append((semconv.GEN_AI_TOOL_CALL_RESULT, data.output))
        self._set_content(otel_span, content)

    def _capturing(self) -> bool:
        return self._settings is not None and self._settings.capture.on_span

    def _set_content(self, otel_span: OTelSpan, content: list[tuple[str, Any]]) -> None:
        """Content as JSON, redacted and cut to size like the inference spans' content."""
        encoded = cast(ContentEncoder, self._content).encode_values(content)
        if encoded.redactions:
            encoded.attributes[semconv.LLMOTEL_REDACTION_COUNT] = sum(encoded.redactions.values())
        otel_span.set_attributes(encoded.attributes)


@dataclass(frozen=True)
class _Named:
    name: str


def _propagating_error() -> BaseException | None:
    """The exception unwinding through the SDK's `with`/`finally` that ends this span, if any. A generator closed
    early (the caller stopped reading a stream) is not a failure."""
    error = sys.exc_info()[1]
    return None if isinstance(error, GeneratorExit) else error


def patches(processor: OTelProcessor) -> list[tuple[str, str, Callable[..., Any]]]:
    """(module, attribute, wrapt wrapper) of what the processor callbacks cannot see."""

    def set_current(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        sdk_token = wrapped(*args, **kwargs)
        try:
            processor.made_current(sdk_token, sdk_token.var.get())
        except Exception:
            report_internal_error("openai_agents set current")
        return sdk_token

    def reset_current(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        otel_token = processor.forget(args[0] if args else kwargs["token"])
        # A token reset from a foreign context raises here (the SDK tolerates that only for abandoned generators);
        # the OTel token then belongs to that other context too, and is left alone as the SDK leaves its own.
        result = wrapped(*args, **kwargs)
        if otel_token is not None:
            otel_context.detach(otel_token)
        return result

    def keep_processor(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        # `set_trace_processors([...])` replaces the SDK's exporters (a common way to stop exporting to OpenAI):
        # it must not silently end llmotel's instrumentation.
        processors = list(args[0] if args else kwargs["processors"])
        if processor not in processors:
            processors.append(processor)
        return wrapped(processors)

    def tool_call_id(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        # The SDK builds a tool's context, which carries the model's call id, inside the tool's function span.
        tool_context = wrapped(*args, **kwargs)
        try:
            processor.tool_call(call_id=getattr(tool_context, "tool_call_id", None))
        except Exception:
            report_internal_error("openai_agents tool call id")
        return tool_context

    def handoff_call(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        # The one place a handoff's tool call (its name and call id) passes inside the SDK's handoff span.
        if kwargs.get("invocation_role") == "handoff":
            try:
                processor.handoff_call(args[0] if args else kwargs.get("raw_item"))
            except Exception:
                report_internal_error("openai_agents handoff call")
        return wrapped(*args, **kwargs)

    async def tool_error(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        # Here a failing function tool's exception becomes a message to the model; only its class reaches the span.
        try:
            processor.tool_call(error=kwargs.get("error"))
        except Exception:
            report_internal_error("openai_agents tool error")
        return await wrapped(*args, **kwargs)

    async def system_prompt(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        prompt = await wrapped(*args, **kwargs)
        try:
            processor.agent_instructions(getattr(instance, "name", ""), prompt)
        except Exception:
            report_internal_error("openai_agents instructions")
        return prompt

    return [
        ("agents.agent", "Agent.get_system_prompt", system_prompt),
        ("agents.tracing.scope", "Scope.set_current_span", set_current),
        ("agents.tracing.scope", "Scope.set_current_trace", set_current),
        ("agents.tracing.scope", "Scope.reset_current_span", reset_current),
        ("agents.tracing.scope", "Scope.reset_current_trace", reset_current),
        ("agents.tracing.provider", "DefaultTraceProvider.set_processors", keep_processor),
        ("agents.tool_context", "ToolContext.from_agent_context", tool_call_id),
        ("agents.tool", "maybe_invoke_function_tool_failure_error_function", tool_error),
        ("agents.run_context", "RunContextWrapper._mark_tool_invocation_executed", handoff_call),
    ]
