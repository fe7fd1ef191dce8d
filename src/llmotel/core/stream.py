"""One stream proxy for every provider: passes each chunk and every SDK helper through, and ends the span once.

The span ends on whichever comes first: the stream is exhausted, the provider raises mid-stream, the caller calls
close()/aclose() or leaves a with-block, the task is cancelled, or the proxy is garbage-collected after an early
break or an exception in the caller's loop. The span is never made current here, so spans the caller creates while
consuming the stream don't nest under it.
"""

from __future__ import annotations

import inspect
import time
from typing import TYPE_CHECKING, Any

import wrapt

from llmotel.core.errors import report_internal_error

if TYPE_CHECKING:
    from llmotel.core.adapter import Operation
    from llmotel.core.call import Call
    from llmotel.core.telemetry import Telemetry


class StreamProxy(wrapt.ObjectProxy):  # type: ignore[misc,type-arg]
    """Shared state and the three hooks: chunk, end, error."""

    def __init__(self, stream: Any, call: Call, operation: Operation, telemetry: Telemetry) -> None:
        super().__init__(stream)
        self._self_call: Call | None = call
        self._self_operation = operation
        self._self_telemetry = telemetry

    def _self_on_chunk(self, chunk: Any) -> None:
        call = self._self_call
        if call is None:
            return
        try:
            now = time.perf_counter()
            if call.first_chunk_at is None:
                call.first_chunk_at = now
            call.last_chunk_at = now
            call.chunks += 1
            self._self_operation.chunk(call, chunk)
        except Exception:
            report_internal_error("stream chunk")

    def _self_on_end(self) -> None:
        call, self._self_call = self._self_call, None
        if call is None:
            return
        try:
            self._self_operation.stream_end(call)
        except Exception:
            report_internal_error("stream end")
        self._self_telemetry.succeed(call)

    def _self_on_error(self, exc: BaseException) -> None:
        call, self._self_call = self._self_call, None
        if call is None:
            return
        try:
            self._self_operation.stream_end(call)
        except Exception:
            report_internal_error("stream end")
        self._self_telemetry.fail(call, exc)

    def __del__(self) -> None:  # dropped after an early break or an exception in the caller's loop
        self._self_on_end()

    def __copy__(self) -> Any:
        raise NotImplementedError("a stream cannot be copied")

    def __reduce_ex__(self, protocol: Any) -> Any:
        raise NotImplementedError("a stream cannot be pickled")


class SyncStreamProxy(StreamProxy):
    def __iter__(self) -> SyncStreamProxy:
        return self

    def __next__(self) -> Any:
        try:
            chunk = self.__wrapped__.__next__()
        except StopIteration:
            self._self_on_end()
            raise
        except BaseException as exc:
            self._self_on_error(exc)
            raise
        self._self_on_chunk(chunk)
        return chunk

    def close(self) -> Any:
        try:
            return self.__wrapped__.close()
        finally:
            self._self_on_end()

    def __enter__(self) -> SyncStreamProxy:
        self.__wrapped__.__enter__()
        return self

    def __exit__(self, *exc_info: Any) -> Any:
        try:
            return self.__wrapped__.__exit__(*exc_info)
        finally:
            self._self_on_end()


class AsyncStreamProxy(StreamProxy):
    def __aiter__(self) -> AsyncStreamProxy:
        return self

    async def __anext__(self) -> Any:
        try:
            chunk = await self.__wrapped__.__anext__()
        except StopAsyncIteration:
            self._self_on_end()
            raise
        except BaseException as exc:  # includes asyncio.CancelledError
            self._self_on_error(exc)
            raise
        self._self_on_chunk(chunk)
        return chunk

    async def close(self) -> Any:
        try:
            result = self.__wrapped__.close()
            if inspect.isawaitable(result):
                result = await result
            return result
        finally:
            self._self_on_end()

    async def aclose(self) -> Any:
        try:
            return await self.__wrapped__.aclose()
        finally:
            self._self_on_end()

    async def __aenter__(self) -> AsyncStreamProxy:
        await self.__wrapped__.__aenter__()
        return self

    async def __aexit__(self, *exc_info: Any) -> Any:
        try:
            return await self.__wrapped__.__aexit__(*exc_info)
        finally:
            self._self_on_end()
