"""Manual tracing of workflows, agents and tools: each helper is a decorator and a context manager.

    @invoke_agent("planner")
    async def plan(goal: str) -> str: ...

    with execute_tool("search", call_id=call.id):
        ...

Decorated plain, async, generator and async-generator functions are all supported. A generator's span is current
only while the generator's own code runs, never while the caller holds the generator, so nothing leaks into the
caller's context; it ends when the generator finishes, is closed, raises, or is dropped.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncGenerator, Callable, Generator, Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar, cast

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer

from llmotel import semconv
from llmotel.core.errors import error_type
from llmotel.core.scope import current_scope
from llmotel.core.telemetry import work_context
from llmotel.version import __version__

F = TypeVar("F", bound=Callable[..., Any])

_TRACER_SCOPE = "llmotel.tracing"

# (template, its open `with` block) per context, innermost last
_open_blocks: ContextVar[tuple[tuple[GenAISpan, AbstractContextManager[Span]], ...]] = ContextVar(
    "llmotel_open_blocks", default=()
)


class GenAISpan:
    """A span template: used as `with` it opens one span, used as a decorator it opens one per call."""

    def __init__(self, operation: str, name: str, attributes: dict[str, Any], kind: SpanKind) -> None:
        self.operation = operation
        self.name = name
        self.kind = kind
        self.attributes = {semconv.GEN_AI_OPERATION_NAME: operation, **attributes}

    def start(
        self,
        tracer: Tracer | None = None,
        context: otel_context.Context | None = None,
        start_time: int | None = None,
    ) -> Span:
        """Open one span, not made current; end it with `finish`. For integrations whose framework reports the
        start and end of a run as callbacks (they pass their instrumentor's tracer and the parent's context, and
        the start time in ns when the span is only opened once the framework's run has ended)."""
        attributes = dict(self.attributes)
        scope = current_scope()
        if scope:
            attributes.update(scope)
        tracer = tracer or trace.get_tracer(_TRACER_SCOPE, __version__)
        return tracer.start_span(
            f"{self.operation} {self.name}",
            context=context,
            kind=self.kind,
            attributes=attributes,
            start_time=start_time,
        )

    @contextmanager
    def _span(self) -> Iterator[Span]:
        span = self.start()
        try:
            token = otel_context.attach(work_context(span))
            try:
                yield span
            finally:
                otel_context.detach(token)
        except BaseException as exc:
            _fail(span, exc)
            raise
        finally:
            span.end()

    def __enter__(self) -> Span:
        manager = self._span()
        span = manager.__enter__()
        _open_blocks.set((*_open_blocks.get(), (self, manager)))
        return span

    def __exit__(self, *exc_info: Any) -> Any:
        # The innermost block this template opened in this context: a template shared by threads or tasks
        # (a module-level `agent = invoke_agent(...)`) keeps each one's blocks apart.
        blocks = _open_blocks.get()
        index = max(i for i, (template, _) in enumerate(blocks) if template is self)
        _open_blocks.set(blocks[:index] + blocks[index + 1 :])
        return blocks[index][1].__exit__(*exc_info)

    def __call__(self, function: F) -> F:
        if inspect.isasyncgenfunction(function):
            return cast(F, self._wrap_async_generator(function))
        if inspect.isgeneratorfunction(function):
            return cast(F, self._wrap_generator(function))
        if inspect.iscoroutinefunction(function):

            @functools.wraps(function)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                with self._span():
                    return await function(*args, **kwargs)

            return cast(F, run_async)

        @functools.wraps(function)
        def run(*args: Any, **kwargs: Any) -> Any:
            with self._span():
                return function(*args, **kwargs)

        return cast(F, run)

    def _wrap_generator(self, function: Callable[..., Generator[Any, Any, Any]]) -> Callable[..., Any]:
        @functools.wraps(function)
        def run(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
            span = self.start()
            generator = function(*args, **kwargs)
            to_send: Any = None
            try:
                while True:
                    token = otel_context.attach(work_context(span))
                    try:
                        item = generator.send(to_send)
                    finally:
                        otel_context.detach(token)
                    to_send = yield item
            except StopIteration as stop:
                return stop.value
            except GeneratorExit:
                generator.close()
                raise
            except BaseException as exc:
                _fail(span, exc)
                raise
            finally:
                span.end()

        return run

    def _wrap_async_generator(self, function: Callable[..., AsyncGenerator[Any, Any]]) -> Callable[..., Any]:
        @functools.wraps(function)
        async def run(*args: Any, **kwargs: Any) -> AsyncGenerator[Any, Any]:
            span = self.start()
            generator = function(*args, **kwargs)
            to_send: Any = None
            try:
                while True:
                    token = otel_context.attach(work_context(span))
                    try:
                        item = await generator.asend(to_send)
                    finally:
                        otel_context.detach(token)
                    to_send = yield item
            except StopAsyncIteration:
                return
            except GeneratorExit:
                await generator.aclose()
                raise
            except BaseException as exc:
                _fail(span, exc)
                raise
            finally:
                span.end()

        return run


def _fail(span: Span, exc: BaseException | str) -> None:
    kind = exc if isinstance(exc, str) else error_type(exc)
    span.set_attribute(semconv.ERROR_TYPE, kind)
    span.set_status(Status(StatusCode.ERROR, kind))


def finish(span: Span, error: BaseException | str | None = None) -> None:
    """End a span opened with `GenAISpan.start`, marked failed with `error.type` when `error` is given (an
    exception, or the `error.type` value itself when the framework reports a failure without its exception)."""
    if error is not None:
        _fail(span, error)
    span.end()


def invoke_workflow(name: str) -> GenAISpan:
    """A workflow: a multi-step process of LLM calls, agents and tools (`invoke_workflow {name}`)."""
    return GenAISpan("invoke_workflow", name, {semconv.GEN_AI_WORKFLOW_NAME: name}, SpanKind.INTERNAL)


def invoke_agent(
    name: str, *, agent_id: str | None = None, description: str | None = None, remote: bool = False
) -> GenAISpan:
    """An agent run (`invoke_agent {name}`): INTERNAL in-process, CLIENT when the agent is a remote service."""
    attributes: dict[str, Any] = {semconv.GEN_AI_AGENT_NAME: name}
    if agent_id is not None:
        attributes[semconv.GEN_AI_AGENT_ID] = agent_id
    if description is not None:
        attributes[semconv.GEN_AI_AGENT_DESCRIPTION] = description
    return GenAISpan("invoke_agent", name, attributes, SpanKind.CLIENT if remote else SpanKind.INTERNAL)


def execute_tool(
    name: str, *, call_id: str | None = None, tool_type: str = "function", description: str | None = None
) -> GenAISpan:
    """A tool execution (`execute_tool {name}`), linked to the model's tool call by `call_id`."""
    attributes: dict[str, Any] = {semconv.GEN_AI_TOOL_NAME: name, semconv.GEN_AI_TOOL_TYPE: tool_type}
    if call_id is not None:
        attributes[semconv.GEN_AI_TOOL_CALL_ID] = call_id
    if description is not None:
        attributes[semconv.GEN_AI_TOOL_DESCRIPTION] = description
    return GenAISpan("execute_tool", name, attributes, SpanKind.INTERNAL)
