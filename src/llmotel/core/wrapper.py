"""The function wrapper every instrumented SDK method gets, sync or async: begin, call, then end or proxy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from opentelemetry import context as otel_context

from llmotel.core.adapter import Operation, Router, named_arguments
from llmotel.core.call import Call, Request
from llmotel.core.errors import report_internal_error
from llmotel.core.stream import AsyncStreamProxy, SyncStreamProxy
from llmotel.core.telemetry import Telemetry

WrapperFunction = Callable[[Callable[..., Any], Any, tuple[Any, ...], dict[str, Any]], Any]


def method_wrapper(telemetry: Telemetry, operation: Operation, is_async: bool) -> WrapperFunction:
    """A wrapt wrapper that records one call of the wrapped SDK method with `operation`'s translation."""

    def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        named = named_arguments(operation.positional, args, kwargs) if args else kwargs
        started = telemetry.begin(operation, instance, named)
        if started is None:
            return wrapped(*args, **kwargs)
        call, request = started
        token = otel_context.attach(telemetry.context_with(call))  # SDK retries and HTTP spans nest under ours
        try:
            result = wrapped(*args, **kwargs)
        except BaseException as exc:
            telemetry.fail(call, exc)
            raise
        finally:
            otel_context.detach(token)
        return _complete(telemetry, operation, call, request, result, SyncStreamProxy)

    async def async_wrapper(
        wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        named = named_arguments(operation.positional, args, kwargs) if args else kwargs
        started = telemetry.begin(operation, instance, named)
        if started is None:
            return await wrapped(*args, **kwargs)
        call, request = started
        token = otel_context.attach(telemetry.context_with(call))
        try:
            result = await wrapped(*args, **kwargs)
        except BaseException as exc:
            telemetry.fail(call, exc)
            raise
        finally:
            otel_context.detach(token)
        return _complete(telemetry, operation, call, request, result, AsyncStreamProxy)

    return async_wrapper if is_async else wrapper


def routed_wrapper(telemetry: Telemetry, router: Router, is_async: bool) -> WrapperFunction:
    """A wrapt wrapper for one SDK method serving many APIs: each call is recorded by the method wrapper of the
    Operation `router` picks for it, or passed through untouched when it picks none."""
    wrappers: dict[Operation, WrapperFunction] = {}

    def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        operation = router.route(instance, args, kwargs)
        if operation is None:
            return wrapped(*args, **kwargs)
        recorded = wrappers.get(operation)
        if recorded is None:
            recorded = wrappers[operation] = method_wrapper(telemetry, operation, is_async)
        return recorded(wrapped, instance, args, kwargs)

    return wrapper


def _complete(
    telemetry: Telemetry, operation: Operation, call: Call, request: Request, result: Any, proxy: type[Any]
) -> Any:
    """End the call with a complete result, or hand back a stream proxy that ends it later."""
    try:
        if request.raw_response is not None:
            # A raw stream's chunks never pass through llmotel, and an unread body is the caller's to read.
            if request.raw_response != "stream" and not request.stream:
                operation.response(call, result.parse())
        elif operation.is_stream(request, result):
            # A sync call giving an async stream (calling an async generator function, as cohere's async
            # chat_stream is) gets the async proxy; a stream iterable both ways (LiteLLM's) stays sync. Checked on
            # the type: the common case is a hit, and a missed attribute lookup on an instance costs an exception.
            stream_type = type(result)
            if proxy is SyncStreamProxy and not hasattr(stream_type, "__next__") and hasattr(stream_type, "__anext__"):
                proxy = AsyncStreamProxy
            return operation.wrap_stream(call, result, lambda stream: proxy(stream, call, operation, telemetry))
        else:
            operation.response(call, result)
    except Exception:
        report_internal_error("response")
    telemetry.succeed(call)
    return result
