"""Automatic function calling (AFC): execute_tool spans for the Python functions the SDK runs itself, and the usage
of the model requests a non-stream call's final response no longer shows.

The SDK gives no public hook into its AFC loop, so llmotel wraps two of its helpers (`_extra_utils`):
`invoke_function_from_dict_args` (and its async twin; the async loop runs sync functions in a thread through the
sync one), through which every function run goes: the span is current while the function runs, so work it traces
nests under it; and `get_function_response_parts` (and twin), which sees each model response the loop acts on:
a non-stream call returns only the last one, so the usage of the ones before is kept for the call's span here.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span

from llmotel.core.errors import report_internal_error
from llmotel.core.instrumentor import Patch
from llmotel.core.telemetry import Telemetry, work_context
from llmotel.tracing import execute_tool, finish

SCOPE = "llmotel.google_genai"

# span of a non-stream call in flight -> usage of its AFC model requests before the final one
_earlier_usage: weakref.WeakKeyDictionary[Any, list[Any]] = weakref.WeakKeyDictionary()

Wrapper = Callable[[Callable[..., Any], Any, tuple[Any, ...], dict[str, Any]], Any]

_EXTRA_UTILS = "google.genai._extra_utils"


def _start(telemetry: Telemetry, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Span | None:
    try:
        function = args[1] if len(args) > 1 else kwargs["function_to_invoke"]
        description = (getattr(function, "__doc__", None) or "").strip() or None
        return execute_tool(function.__name__, description=description).start(telemetry.tracer)
    except Exception:
        report_internal_error("google-genai tool span")
        return None


@contextmanager
def _tool_span(telemetry: Telemetry, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Iterator[None]:
    """The function run as the current span, ended (failed if the function raised) when the run is over."""
    span = _start(telemetry, args, kwargs)
    if span is None:
        yield
        return
    token = otel_context.attach(work_context(span))  # the tool's own model calls are recorded
    try:
        yield
    except BaseException as exc:
        finish(span, exc)
        raise
    finally:
        otel_context.detach(token)
    finish(span)


def tool_wrapper(telemetry: Telemetry, is_async: bool) -> Wrapper:
    def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        with _tool_span(telemetry, args, kwargs):
            return wrapped(*args, **kwargs)

    async def async_wrapper(
        wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        with _tool_span(telemetry, args, kwargs):
            return await wrapped(*args, **kwargs)

    return async_wrapper if is_async else wrapper


def earlier_usage(span: Any) -> list[Any]:
    """The usage metadata of the AFC model requests that preceded a non-stream call's final response."""
    return _earlier_usage.pop(span, [])


def _keep_usage(args: tuple[Any, ...], kwargs: dict[str, Any], parts: Any) -> None:
    if not parts:
        return  # no function ran: the call's final response, which the call's own span reads
    try:
        span = trace.get_current_span()
        # Only a non-stream call's span is current during the loop (a stream's chunks arrive in the caller's context,
        # and the stream's span adds up every chunk's usage itself).
        if getattr(getattr(span, "instrumentation_scope", None), "name", None) != SCOPE:
            return
        usage = (args[0] if args else kwargs["response"]).usage_metadata
        if usage is not None:
            _earlier_usage.setdefault(span, []).append(usage)
    except Exception:
        report_internal_error("google-genai afc usage")


def usage_wrapper(is_async: bool) -> Wrapper:
    def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        parts = wrapped(*args, **kwargs)
        _keep_usage(args, kwargs, parts)
        return parts

    async def async_wrapper(
        wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        parts = await wrapped(*args, **kwargs)
        _keep_usage(args, kwargs, parts)
        return parts

    return async_wrapper if is_async else wrapper


def helper_patches(telemetry: Telemetry) -> list[Patch]:
    """The AFC helpers, wrapped where this SDK version has them: they are private, and a version without them
    loses only the AFC extras, not the calls' spans. The function runs (sync, async), then the responses the loop
    acts on (sync, async)."""
    return [
        Patch(_EXTRA_UTILS, name, None, wrapper=wrapper, optional=True)
        for name, wrapper in (
            ("invoke_function_from_dict_args", tool_wrapper(telemetry, False)),
            ("invoke_function_from_dict_args_async", tool_wrapper(telemetry, True)),
            ("get_function_response_parts", usage_wrapper(False)),
            ("get_function_response_parts_async", usage_wrapper(True)),
        )
    ]
