"""Server side: one SERVER span per inbound request or notification, parented by the `traceparent` in its `_meta`.

mcp 2.x runs `OpenTelemetryMiddleware` as the outermost middleware of every server. Its `__call__` is replaced by
ours while instrumented (same position, so it still sees initialize, unknown methods, invalid params and the
handler's result), which keeps each request traced once. A server whose middleware list drops it is not traced.
"""

from __future__ import annotations

from typing import Any

from mcp.server.streamable_http import MCP_SESSION_ID_HEADER
from mcp.shared.direct_dispatcher import DIRECT_TRANSPORT_KIND
from mcp.shared.jsonrpc_dispatcher import handler_exception_to_error_data
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.instrumentation.utils import is_instrumentation_enabled
from opentelemetry.trace import Link, SpanKind

from llmotel import semconv
from llmotel.core.errors import report_internal_error
from llmotel.frameworks.mcp.telemetry import (
    PIPE,
    TCP,
    Failure,
    MCPTelemetry,
    Operation,
    describe_request,
    outcome,
    param,
)


class ServerHooks:
    def __init__(self, telemetry: MCPTelemetry) -> None:
        self._telemetry = telemetry

    async def middleware(self, wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        operation = self._begin(args[0]) if len(args) == 2 and not kwargs else None  # how the runner calls it
        if operation is None:
            return await wrapped(*args, **kwargs)
        ctx, call_next = args
        try:
            with trace.use_span(operation.span, False, record_exception=False, set_status_on_exception=False):
                result = await call_next(ctx)
        except BaseException as exc:
            # the JSON-RPC error the dispatcher will answer with (MCPError, invalid params); other exceptions go out
            # as a catch-all code that says nothing, so their class is the more useful error.type
            error = handler_exception_to_error_data(exc) if isinstance(exc, Exception) else None
            self._end(operation, outcome(ctx.method, None, exc, error))
            raise
        self._end(operation, outcome(ctx.method, result, None), result)
        return result

    def _begin(self, ctx: Any) -> Operation | None:
        if not is_instrumentation_enabled():
            return None
        try:
            name, metric, span_only = describe_request(ctx.method, ctx.params)
            if ctx.protocol_version:
                metric[semconv.MCP_PROTOCOL_VERSION] = ctx.protocol_version
            # streamable HTTP hands each message its HTTP request; stdio messages have none, nor in-process ones
            http_request = ctx.request
            if http_request is not None:
                metric[semconv.NETWORK_TRANSPORT] = TCP
            elif _transport_kind(ctx) != DIRECT_TRANSPORT_KIND:
                metric[semconv.NETWORK_TRANSPORT] = PIPE
            headers = getattr(http_request, "headers", None)
            session_id = headers.get(MCP_SESSION_ID_HEADER) if headers is not None else None
            if session_id:
                span_only[semconv.MCP_SESSION_ID] = session_id
            if ctx.request_id is not None:
                span_only[semconv.JSONRPC_REQUEST_ID] = str(ctx.request_id)
            parent = _remote_parent(ctx.meta)
            links = None
            ambient = trace.get_current_span().get_span_context()
            if parent is not None and ambient.is_valid:
                links = [Link(ambient)]  # the transport's context (an HTTP server span), per the MCP conventions
            arguments = param(ctx.params, "arguments")
            return self._telemetry.start(
                SpanKind.SERVER, name, metric, span_only, context=parent, links=links, arguments=arguments
            )
        except Exception:
            report_internal_error("mcp server request")
            return None

    def _end(self, operation: Operation, failure: Failure | None, result: Any = None) -> None:
        try:
            self._telemetry.end(operation, SpanKind.SERVER, failure, result)
        except Exception:
            report_internal_error("mcp server response")


def _transport_kind(ctx: Any) -> Any:
    """The message's transport kind ("direct" for an in-process client), read off the session's request channel: the
    request context itself does not carry it in mcp 2.3."""
    channel = getattr(ctx.session, "_request_outbound", None)
    return getattr(getattr(channel, "transport", None), "kind", None)


def _remote_parent(meta: Any) -> otel_context.Context | None:
    """The client's context from `params._meta`; None (ambient parenting) when it carries no valid traceparent."""
    if not meta:
        return None
    context = propagate.extract(meta, context=otel_context.Context())
    return context if trace.get_current_span(context).get_span_context().is_valid else None
