"""SDK stream helpers (`client.messages.stream(...)`) return a context manager that sends the request on enter and
wraps the raw event stream in a helper object. The call starts on enter, and the helper's raw stream is swapped for
the stream proxy, so the helper's own iteration, `text_stream` and `get_final_message()` all pass through it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import wrapt
from opentelemetry import context as otel_context

from llmotel.core.adapter import Operation
from llmotel.core.call import Call
from llmotel.core.errors import report_internal_error
from llmotel.core.stream import AsyncStreamProxy, SyncStreamProxy
from llmotel.core.telemetry import Telemetry


def manager_wrapper(telemetry: Telemetry, operation: Operation, is_async: bool) -> Callable[..., Any]:
    proxy_class = AsyncManagerProxy if is_async else SyncManagerProxy

    def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return proxy_class(wrapped(*args, **kwargs), telemetry, operation, instance, kwargs)

    return wrapper


class _ManagerProxy(wrapt.ObjectProxy):  # type: ignore[misc,type-arg]
    def __init__(
        self, manager: Any, telemetry: Telemetry, operation: Operation, instance: Any, kwargs: dict[str, Any]
    ) -> None:
        super().__init__(manager)
        self._self_telemetry = telemetry
        self._self_operation = operation
        self._self_instance = instance
        self._self_kwargs = kwargs

    def _self_attach_stream(self, helper: Any, call: Call, proxy_class: type[Any]) -> None:
        try:
            helper._raw_stream = proxy_class(helper._raw_stream, call, self._self_operation, self._self_telemetry)
        except Exception:
            report_internal_error("stream helper")
            self._self_telemetry.succeed(call)


class SyncManagerProxy(_ManagerProxy):
    def __enter__(self) -> Any:
        started = self._self_telemetry.begin(self._self_operation, self._self_instance, self._self_kwargs)
        if started is None:
            return self.__wrapped__.__enter__()
        call, _ = started
        token = otel_context.attach(self._self_telemetry.context_with(call))
        try:
            helper = self.__wrapped__.__enter__()
        except BaseException as exc:
            self._self_telemetry.fail(call, exc)
            raise
        finally:
            otel_context.detach(token)
        self._self_attach_stream(helper, call, SyncStreamProxy)
        return helper

    def __exit__(self, *exc_info: Any) -> Any:
        return self.__wrapped__.__exit__(*exc_info)


class AsyncManagerProxy(_ManagerProxy):
    async def __aenter__(self) -> Any:
        started = self._self_telemetry.begin(self._self_operation, self._self_instance, self._self_kwargs)
        if started is None:
            return await self.__wrapped__.__aenter__()
        call, _ = started
        token = otel_context.attach(self._self_telemetry.context_with(call))
        try:
            helper = await self.__wrapped__.__aenter__()
        except BaseException as exc:
            self._self_telemetry.fail(call, exc)
            raise
        finally:
            otel_context.detach(token)
        self._self_attach_stream(helper, call, AsyncStreamProxy)
        return helper

    async def __aexit__(self, *exc_info: Any) -> Any:
        return await self.__wrapped__.__aexit__(*exc_info)
