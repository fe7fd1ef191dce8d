"""Client side: one CLIENT span per `ClientSession.send_request`, which every typed request goes through.

mcp 2.x opens its own `MCP send {method}` span in the JSON-RPC dispatcher and injects the current trace context into
`params._meta`. While our span is open the dispatcher's span is replaced by a non-recording view of ours: the
request carries our span as its `traceparent`, and the call is traced once, by us. Requests that do not go through
`send_request` (server-initiated requests, `server/discover`) keep the SDK's own span.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from typing import Any
from urllib.parse import urlsplit

from mcp.shared.exceptions import MCPError
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.instrumentation.utils import is_instrumentation_enabled
from opentelemetry.trace import NonRecordingSpan, SpanKind

from llmotel import semconv
from llmotel.core.errors import error_type, report_internal_error
from llmotel.frameworks.mcp.telemetry import (
    PIPE,
    TCP,
    Attributes,
    MCPTelemetry,
    Operation,
    describe_request,
    outcome,
    param,
)

# The span of the send_request in progress: the dispatcher's own span is suppressed only under it.
_CLIENT_SPAN_KEY = otel_context.create_key("llmotel-mcp-client-span")
_INITIALIZE, _DISCOVER = "initialize", "server/discover"

# (metric attributes, span-only attributes) of a transport, read when a request ends
TransportDescription = Callable[[], tuple[Attributes, Attributes]]


class Transports:
    """The open client transports, by the write stream a session sends on (ContextSendStream has no weakref)."""

    def __init__(self) -> None:
        self._open: dict[int, tuple[object, TransportDescription]] = {}

    def add(self, stream: object, describe: TransportDescription) -> None:
        self._open[id(stream)] = (stream, describe)

    def remove(self, stream: object) -> None:
        entry = self._open.get(id(stream))
        if entry is not None and entry[0] is stream:
            del self._open[id(stream)]

    def describe(self, session: Any) -> tuple[Attributes, Attributes]:
        # The session's dispatcher is the only link from a session to its streams (both private, hence getattr).
        stream = getattr(getattr(session, "_dispatcher", None), "_write_stream", None)
        entry = self._open.get(id(stream))
        if entry is None or entry[0] is not stream:
            return {}, {}
        return entry[1]()


def _pipe() -> tuple[Attributes, Attributes]:
    return {semconv.NETWORK_TRANSPORT: PIPE}, {}


def _http(transport: Any) -> TransportDescription:
    url = urlsplit(str(transport.url))
    metric: Attributes = {semconv.NETWORK_TRANSPORT: TCP}
    if url.hostname:
        metric[semconv.SERVER_ADDRESS] = url.hostname
        metric[semconv.SERVER_PORT] = url.port or (443 if url.scheme == "https" else 80)

    def describe() -> tuple[Attributes, Attributes]:
        session_id = transport.session_id  # known once the server answered initialize
        return metric, ({semconv.MCP_SESSION_ID: session_id} if session_id else {})

    return describe


class ClientHooks:
    def __init__(self, telemetry: MCPTelemetry) -> None:
        self._telemetry = telemetry
        self._transports = Transports()
        self._session_starts: weakref.WeakKeyDictionary[Any, float] = weakref.WeakKeyDictionary()

    async def session_enter(self, wrapped: Any, session: Any, args: Any, kwargs: Any) -> Any:
        entered = await wrapped(*args, **kwargs)
        self._session_starts[session] = time.perf_counter()
        return entered

    async def session_exit(self, wrapped: Any, session: Any, args: Any, kwargs: Any) -> Any:
        started = self._session_starts.pop(session, None)
        attributes: Attributes = {}
        try:
            if started is not None:
                # read while the transport is still open: the session closes before its transport
                attributes = self._session_attributes(session, args[1] if len(args) > 1 else kwargs.get("exc_val"))
        except Exception:
            report_internal_error("mcp session")
        try:
            return await wrapped(*args, **kwargs)
        finally:
            if started is not None:
                self._record_session(time.perf_counter() - started, attributes)

    def _record_session(self, duration: float, attributes: Attributes) -> None:
        try:
            self._telemetry.session_duration.record(duration, attributes)
        except Exception:
            report_internal_error("mcp session duration")

    def _session_attributes(self, session: Any, error: BaseException | None) -> Attributes:
        attributes = dict(self._transports.describe(session)[0])
        if isinstance(session.protocol_version, str):
            attributes[semconv.MCP_PROTOCOL_VERSION] = session.protocol_version
        if error is not None:
            attributes[semconv.ERROR_TYPE] = error_type(error)
        return attributes

    async def send_request(self, wrapped: Any, session: Any, args: Any, kwargs: Any) -> Any:
        request = args[0] if args else kwargs.get("request")
        method, params = getattr(request, "method", None), getattr(request, "params", None)
        return await self._traced(wrapped, session, args, kwargs, method, params, None)

    async def send_discover(self, wrapped: Any, session: Any, args: Any, kwargs: Any) -> Any:
        """`server/discover` (the 2026-07-28 protocol's opening request) skips send_request."""
        version = args[0] if args else kwargs.get("version")
        return await self._traced(wrapped, session, args, kwargs, _DISCOVER, None, version)

    async def _traced(
        self, wrapped: Any, session: Any, args: Any, kwargs: Any, method: Any, params: Any, version: Any
    ) -> Any:
        operation = self._begin(method, params)
        if operation is None:
            return await wrapped(*args, **kwargs)
        context = trace.set_span_in_context(operation.span)
        token = otel_context.attach(otel_context.set_value(_CLIENT_SPAN_KEY, operation.span, context))
        try:
            result = await wrapped(*args, **kwargs)
        except BaseException as exc:
            self._end(operation, session, method, version, None, exc)
            raise
        finally:
            otel_context.detach(token)
        self._end(operation, session, method, version, result, None)
        return result

    def dispatcher_span(self, wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        """`otel_span` as the dispatcher calls it: under our span, a non-recording view of it (so the injected
        traceparent is ours and nothing is traced twice); elsewhere, the SDK's own span."""
        span = otel_context.get_value(_CLIENT_SPAN_KEY)
        if not isinstance(span, trace.Span) or span is not trace.get_current_span():
            return wrapped(*args, **kwargs)
        try:
            request_id = (kwargs.get("attributes") or {}).get(semconv.JSONRPC_REQUEST_ID)
            if request_id is not None:
                span.set_attribute(semconv.JSONRPC_REQUEST_ID, str(request_id))
        except Exception:
            report_internal_error("mcp request id")
        return nullcontext(NonRecordingSpan(span.get_span_context()))

    async def post_writer(self, wrapped: Any, transport: Any, args: Any, kwargs: Any) -> Any:
        """Streamable HTTP: registers the transport under the write stream its session sends on, while open."""
        stream = kwargs.get("write_stream", args[3] if len(args) > 3 else None)
        try:
            self._transports.add(stream, _http(transport))
        except Exception:
            report_internal_error("mcp http transport")
        try:
            return await wrapped(*args, **kwargs)
        finally:
            self._transports.remove(stream)

    def stdio_client(self, wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        return self._registered(wrapped(*args, **kwargs))

    @asynccontextmanager
    async def _registered(self, transport: AbstractAsyncContextManager[Any]) -> AsyncIterator[Any]:
        async with transport as streams:
            write_stream = streams[1]
            self._transports.add(write_stream, _pipe)
            try:
                yield streams
            finally:
                self._transports.remove(write_stream)

    def _begin(self, method: Any, params: Any) -> Operation | None:
        if not isinstance(method, str) or not is_instrumentation_enabled():
            return None
        try:
            name, metric, span_only = describe_request(method, params)
            arguments = param(params, "arguments")
            return self._telemetry.start(SpanKind.CLIENT, name, metric, span_only, arguments=arguments)
        except Exception:
            report_internal_error("mcp client request")
            return None

    def _end(
        self, operation: Operation, session: Any, method: str, version: Any, result: Any, exc: BaseException | None
    ) -> None:
        """`version`: the protocol version the request itself names (server/discover), else read from the session."""
        try:
            if method == _INITIALIZE:
                version = getattr(result, "protocol_version", None)
            elif version is None:
                version = session.protocol_version
            if isinstance(version, str):
                operation.metric_attributes[semconv.MCP_PROTOCOL_VERSION] = version
            metric, span_only = self._transports.describe(session)
            operation.metric_attributes.update(metric)
            operation.span_attributes.update(span_only)
            error = exc.error if isinstance(exc, MCPError) else None
            self._telemetry.end(operation, SpanKind.CLIENT, outcome(method, result, exc, error), result)
        except Exception:
            report_internal_error("mcp client response")
