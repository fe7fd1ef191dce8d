"""SDK stream helpers (`client.messages.stream(...)`, `client.chat.completions.stream(...)`) return a context
manager that sends the request on enter and wraps the raw event stream in a helper object.

Two cases, one proxy:
- the helper posts directly (anthropic): the call starts on enter, and the helper's raw stream is swapped for the
  stream proxy, so the helper's iteration, `text_stream` and `get_final_message()` all pass through it;
- the helper calls an instrumented method (openai's helpers call `create(stream=True)`), whose stream proxy the helper
  already holds; but the helper's close() closes the HTTP response behind the proxy's back, so the helper is
  proxied too, and its close() and with-exit end the call.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import wrapt
from opentelemetry import context as otel_context

from llmotel.core.adapter import Operation
from llmotel.core.call import Call
from llmotel.core.errors import report_internal_error
from llmotel.core.stream import AsyncStreamProxy, StreamProxy, SyncStreamProxy
from llmotel.core.telemetry import Telemetry


def manager_wrapper(telemetry: Telemetry, operation: Operation | None, is_async: bool) -> Callable[..., Any]:
    """`operation` None: the helper's request goes through an instrumented method that starts the call itself."""
    proxy_class = AsyncManagerProxy if is_async else SyncManagerProxy

    def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return proxy_class(wrapped(*args, **kwargs), telemetry, operation, instance, kwargs)

    return wrapper


def _instrumented_raw_stream(helper: Any) -> StreamProxy | None:
    raw = getattr(helper, "_raw_stream", None)
    return raw if isinstance(raw, StreamProxy) else None


class _HelperProxy(wrapt.ObjectProxy):  # type: ignore[misc,type-arg]
    """A helper stream whose close() and with-exit also end the call its raw stream proxy carries."""

    def __init__(self, helper: Any, raw: StreamProxy) -> None:
        super().__init__(helper)
        self._self_raw = raw

    # wrapt proxies __iter__ but not these: the helper stream must stay usable with next(), async for and anext()
    def __next__(self) -> Any:
        return self.__wrapped__.__next__()

    def __aiter__(self) -> Any:
        return self.__wrapped__.__aiter__()

    def __anext__(self) -> Any:
        return self.__wrapped__.__anext__()

    def close(self) -> Any:
        try:
            result = self.__wrapped__.close()
        except BaseException:
            self._self_raw._llmotel_end()
            raise
        if inspect.isawaitable(result):
            return self._self_close_async(result)
        self._self_raw._llmotel_end()
        return result

    async def _self_close_async(self, closing: Any) -> Any:
        try:
            return await closing
        finally:
            self._self_raw._llmotel_end()

    def __enter__(self) -> Any:
        self.__wrapped__.__enter__()
        return self

    def __exit__(self, *exc_info: Any) -> Any:
        try:
            return self.__wrapped__.__exit__(*exc_info)
        finally:
            self._self_raw._llmotel_end()

    async def __aenter__(self) -> Any:
        await self.__wrapped__.__aenter__()
        return self

    async def __aexit__(self, *exc_info: Any) -> Any:
        try:
            return await self.__wrapped__.__aexit__(*exc_info)
        finally:
            self._self_raw._llmotel_end()


class _ManagerProxy(wrapt.ObjectProxy):  # type: ignore[misc,type-arg]
    def __init__(
        self, manager: Any, telemetry: Telemetry, operation: Operation | None, instance: Any, kwargs: dict[str, Any]
    ) -> None:
        super().__init__(manager)
        self._self_telemetry = telemetry
        self._self_operation = operation
        self._self_instance = instance
        self._self_kwargs = kwargs
        self._self_helper: Any = None

    def _self_begin(self) -> tuple[Call, Any] | None:
        if self._self_operation is None:
            return None
        return self._self_telemetry.begin(self._self_operation, self._self_instance, self._self_kwargs)

    def _self_attach_stream(self, helper: Any, call: Call | None, proxy_class: type[Any]) -> Any:
        """The object to hand the caller: the helper with its raw stream instrumented."""
        try:
            if call is not None:
                helper._raw_stream = proxy_class(helper._raw_stream, call, self._self_operation, self._self_telemetry)
                return helper
            raw = _instrumented_raw_stream(helper)
            if raw is not None:
                self._self_helper = _HelperProxy(helper, raw)
                return self._self_helper
        except Exception:
            report_internal_error("stream helper")
            if call is not None:
                self._self_telemetry.succeed(call)
        return helper

    def _self_end_helper(self) -> None:
        helper, self._self_helper = self._self_helper, None
        if helper is not None:
            helper._self_raw._llmotel_end()


class SyncManagerProxy(_ManagerProxy):
    def __enter__(self) -> Any:
        started = self._self_begin()
        if started is None:
            return self._self_attach_stream(self.__wrapped__.__enter__(), None, SyncStreamProxy)
        call, _ = started
        token = otel_context.attach(self._self_telemetry.context_with(call))
        try:
            helper = self.__wrapped__.__enter__()
        except BaseException as exc:
            self._self_telemetry.fail(call, exc)
            raise
        finally:
            otel_context.detach(token)
        return self._self_attach_stream(helper, call, SyncStreamProxy)

    def __exit__(self, *exc_info: Any) -> Any:
        try:
            return self.__wrapped__.__exit__(*exc_info)
        finally:
            self._self_end_helper()


class AsyncManagerProxy(_ManagerProxy):
    async def __aenter__(self) -> Any:
        started = self._self_begin()
        if started is None:
            return self._self_attach_stream(await self.__wrapped__.__aenter__(), None, AsyncStreamProxy)
        call, _ = started
        token = otel_context.attach(self._self_telemetry.context_with(call))
        try:
            helper = await self.__wrapped__.__aenter__()
        except BaseException as exc:
            self._self_telemetry.fail(call, exc)
            raise
        finally:
            otel_context.detach(token)
        return self._self_attach_stream(helper, call, AsyncStreamProxy)

    async def __aexit__(self, *exc_info: Any) -> Any:
        try:
            return await self.__wrapped__.__aexit__(*exc_info)
        finally:
            self._self_end_helper()
