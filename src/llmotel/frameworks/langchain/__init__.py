"""LangChain (`langchain-core` >= 1.7, LangGraph, `langchain.agents.create_agent`): workflow, agent and tool spans.

Zero-code: while instrumented, every LangChain callback manager carries llmotel's callback handler (through
LangChain's configure hook, the mechanism its own tracers use), inherited by every child run. What it records
is described in handler.py; the model calls inside are recorded by the provider instrumentations (openai,
anthropic, ...), which must be instrumented too for chat spans.

Those provider spans must nest under the agent or workflow that made the call, so the span of the run a child
belongs to is made current wherever LangChain runs a child:
- in the fresh copy of the context LangChain makes for each child run (`set_config_context`, in langchain-core and
  LangGraph; LangSmith makes its own parent run current there too): a chain step, a lambda's or a graph node's
  code, a tool's body. Never detached: that context is dropped after the child;
- around a model's `generate`/`agenerate` (attached and detached in the same frame), for the batch paths that call
  a model without a context of its own.
Attaching in the callbacks instead would leave spans current in the application's context (async run ends are
called in a shielded task, and a stream's callbacks run in the caller's context between chunks).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span
from wrapt import register_post_import_hook

from llmotel.core.errors import report_internal_error
from llmotel.core.instrumentor import GenAIInstrumentor, Patch

if TYPE_CHECKING:
    from llmotel.frameworks.langchain.handler import SpanCallbackHandler


class _HandlerSlot:
    """Stands for a ContextVar in LangChain's configure hooks: holds llmotel's handler in every context while
    instrumented, None otherwise (hooks cannot be unregistered, so uninstrument empties the slot)."""

    handler: SpanCallbackHandler | None = None
    registered = False

    def get(self) -> SpanCallbackHandler | None:
        return self.handler


_slot = _HandlerSlot()


class LangChainInstrumentor(GenAIInstrumentor):
    scope = "llmotel.langchain"
    instruments = ("langchain-core >= 1.7, < 2",)

    def patches(self) -> Sequence[Patch]:
        enter, generate, agenerate = _enter_span_of_parent_run, _generate_in_parent_span, _agenerate_in_parent_span
        chat_models, llms = "langchain_core.language_models.chat_models", "langchain_core.language_models.llms"
        return [
            Patch("langchain_core.runnables.config", "_set_config_context", None, wrapper=enter),
            Patch("langgraph._internal._runnable", "_set_config_context", None, wrapper=enter),
            Patch(chat_models, "BaseChatModel.generate", None, wrapper=generate),
            Patch(chat_models, "BaseChatModel.agenerate", None, wrapper=agenerate),
            Patch(llms, "BaseLLM.generate", None, wrapper=generate),
            Patch(llms, "BaseLLM.agenerate", None, wrapper=agenerate),
        ]

    def _after_instrument(self) -> None:
        telemetry = self.telemetry

        def install(hooks_module: Any) -> None:  # once LangChain's callback machinery is imported
            if not telemetry.active:
                return
            from llmotel.frameworks.langchain.handler import SpanCallbackHandler

            _slot.handler = SpanCallbackHandler(telemetry.tracer, telemetry.settings)
            if not _slot.registered:
                hooks_module.register_configure_hook(_slot, True)
                _slot.registered = True

        register_post_import_hook(install, "langchain_core.tracers.context")

    def _after_uninstrument(self) -> None:
        _slot.handler = None


def _span_of_parent(callbacks: Any) -> Span | None:
    """The span of the run a child with these callbacks belongs to (a callback manager knows its parent run)."""
    parent_run_id = getattr(callbacks, "parent_run_id", None)
    if _slot.handler is None or parent_run_id is None:
        return None
    return _slot.handler.span_of_children(parent_run_id)


def _enter_span_of_parent_run(
    wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """Runs inside the fresh context LangChain made for one child run: makes the parent run's span current there.

    Not detached on purpose: that context is LangChain's copy for this one child run, dropped after it, so the span
    never becomes current in the application's own context."""
    result = wrapped(*args, **kwargs)
    try:
        config = args[0] if args else kwargs.get("config")
        span = _span_of_parent(config.get("callbacks")) if config else None
        if span is not None:
            otel_context.attach(trace.set_span_in_context(span))
    except Exception:
        report_internal_error("langchain parent span")
    return result


def _context_for_model(args: tuple[Any, ...], kwargs: dict[str, Any]) -> otel_context.Context | None:
    """The context a model's calls run in, when it is not current yet (`generate(inputs, stop, callbacks)`)."""
    try:
        span = _span_of_parent(kwargs["callbacks"] if "callbacks" in kwargs else args[2] if len(args) > 2 else None)
        if span is None or span is trace.get_current_span():
            return None
        return trace.set_span_in_context(span)
    except Exception:
        report_internal_error("langchain model parent span")
        return None


def _generate_in_parent_span(
    wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    context = _context_for_model(args, kwargs)
    if context is None:
        return wrapped(*args, **kwargs)
    token = otel_context.attach(context)
    try:
        return wrapped(*args, **kwargs)
    finally:
        otel_context.detach(token)


async def _agenerate_in_parent_span(
    wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    context = _context_for_model(args, kwargs)
    if context is None:
        return await wrapped(*args, **kwargs)
    token = otel_context.attach(context)  # one coroutine, one task: detached in the context it was attached in
    try:
        return await wrapped(*args, **kwargs)
    finally:
        otel_context.detach(token)


__all__ = ["LangChainInstrumentor"]
