"""One stream proxy for every provider: passes each chunk and every SDK helper through, and ends the span once.

The span ends on whichever comes first: the stream is exhausted, the provider raises mid-stream, the caller calls
close()/aclose() or leaves a with-block, the task is cancelled, or the proxy is garbage-collected after an early
break or an exception in the caller's loop. The span is never made current here, so spans the caller creates while
consuming the stream don't nest under it.

The proxy is a small hand-written class rather than a wrapt.ObjectProxy because it sits on the per-chunk path: a
slotted class halves what each chunk costs. It still looks like the SDK's stream to the caller: attribute reads and
writes go to the stream, and `__class__` (hence isinstance) answers with the stream's class.
"""

from __future__ import annotations

import inspect
from time import perf_counter
from typing import TYPE_CHECKING, Any

from llmotel.core.errors import report_internal_error

if TYPE_CHECKING:
    from llmotel.core.adapter import Operation
    from llmotel.core.call import Call
    from llmotel.core.telemetry import Telemetry

_OWN = frozenset({"__wrapped__", "_llmotel_call", "_llmotel_chunk", "_llmotel_operation", "_llmotel_telemetry"})


class StreamProxy:
    """Shared state and the hooks: chunk (inlined in the iteration methods), end and error (`_llmotel_end`)."""

    __slots__ = (
        "__weakref__",
        "__wrapped__",
        "_llmotel_call",
        "_llmotel_chunk",
        "_llmotel_operation",
        "_llmotel_telemetry",
    )

    def __init__(self, stream: Any, call: Call, operation: Operation, telemetry: Telemetry) -> None:
        set_own = object.__setattr__
        set_own(self, "__wrapped__", stream)
        set_own(self, "_llmotel_call", call)
        set_own(self, "_llmotel_chunk", operation.chunk)
        set_own(self, "_llmotel_operation", operation)
        set_own(self, "_llmotel_telemetry", telemetry)

    # -- looking like the wrapped stream --------------------------------------------------------------------------

    @property  # type: ignore[misc]
    def __class__(self) -> type[Any]:
        return type(self.__wrapped__)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__wrapped__, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _OWN:
            object.__setattr__(self, name, value)
        else:
            setattr(self.__wrapped__, name, value)

    def __delattr__(self, name: str) -> None:
        delattr(self.__wrapped__, name)

    def __repr__(self) -> str:
        return repr(self.__wrapped__)

    def __dir__(self) -> list[str]:
        return dir(self.__wrapped__)

    def __copy__(self) -> Any:
        raise NotImplementedError("a stream cannot be copied")

    def __reduce_ex__(self, protocol: Any) -> Any:
        raise NotImplementedError("a stream cannot be pickled")

    # -- the hooks ------------------------------------------------------------------------------------------------

    def _llmotel_chunk_failed(self) -> None:
        report_internal_error("stream chunk")

    def _llmotel_end(self, exc: BaseException | None = None) -> None:
        call = self._llmotel_call
        if call is None:
            return
        object.__setattr__(self, "_llmotel_call", None)
        try:
            self._llmotel_operation.stream_end(call)
        except Exception:
            report_internal_error("stream end")
        if exc is None:
            self._llmotel_telemetry.succeed(call)
        else:
            self._llmotel_telemetry.fail(call, exc)

    def __del__(self) -> None:  # dropped after an early break or an exception in the caller's loop
        self._llmotel_end()


class SyncStreamProxy(StreamProxy):
    __slots__ = ()

    def __iter__(self) -> SyncStreamProxy:
        return self

    def __next__(self) -> Any:
        try:
            chunk = self.__wrapped__.__next__()
        except StopIteration:
            self._llmotel_end()
            raise
        except BaseException as exc:
            self._llmotel_end(exc)
            raise
        # per-chunk hook, inlined in both iteration methods: a shared helper would add a frame to every chunk
        call = self._llmotel_call
        if call is not None:
            try:
                call.last_chunk_at = now = perf_counter()
                if call.chunks == 0:
                    call.first_chunk_at = now
                call.chunks += 1
                self._llmotel_chunk(call, chunk)
            except Exception:
                self._llmotel_chunk_failed()
        return chunk

    def close(self) -> Any:
        try:
            return self.__wrapped__.close()
        finally:
            self._llmotel_end()

    def __enter__(self) -> SyncStreamProxy:
        self.__wrapped__.__enter__()
        return self

    def __exit__(self, *exc_info: Any) -> Any:
        try:
            return self.__wrapped__.__exit__(*exc_info)
        finally:
            self._llmotel_end()


class AsyncStreamProxy(StreamProxy):
    __slots__ = ()

    def __aiter__(self) -> AsyncStreamProxy:
        return self

    async def __anext__(self) -> Any:
        try:
            chunk = await self.__wrapped__.__anext__()
        except StopAsyncIteration:
            self._llmotel_end()
            raise
        except BaseException as exc:  # includes asyncio.CancelledError
            self._llmotel_end(exc)
            raise
        # per-chunk hook, inlined in both iteration methods: a shared helper would add a frame to every chunk
        call = self._llmotel_call
        if call is not None:
            try:
                call.last_chunk_at = now = perf_counter()
                if call.chunks == 0:
                    call.first_chunk_at = now
                call.chunks += 1
                self._llmotel_chunk(call, chunk)
            except Exception:
                self._llmotel_chunk_failed()
        return chunk

    async def close(self) -> Any:
        try:
            result = self.__wrapped__.close()
            if inspect.isawaitable(result):
                result = await result
            return result
        finally:
            self._llmotel_end()

    async def aclose(self) -> Any:
        try:
            return await self.__wrapped__.aclose()
        finally:
            self._llmotel_end()

    async def __aenter__(self) -> AsyncStreamProxy:
        await self.__wrapped__.__aenter__()
        return self

    async def __aexit__(self, *exc_info: Any) -> Any:
        try:
            return await self.__wrapped__.__aexit__(*exc_info)
        finally:
            self._llmotel_end()
