"""Spans and duration metrics of MCP operations, client and server side (the OTel MCP semantic conventions).

MCP operations are JSON-RPC requests, not model calls: their spans are named `{mcp.method.name} {target}` and their
durations go to `mcp.{client,server}.operation.duration`, so they are written here rather than by the GenAI core.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry.metrics import Histogram, Meter, MeterProvider, get_meter
from opentelemetry.trace import Link, Span, SpanKind, Status, StatusCode, TracerProvider, get_tracer
from opentelemetry.util.types import AttributeValue

from llmotel import semconv
from llmotel.config import Settings
from llmotel.core.content import ContentEncoder
from llmotel.core.errors import error_type
from llmotel.core.scope import current_scope
from llmotel.version import __version__

Attributes = dict[str, AttributeValue]

TOOLS_CALL = "tools/call"
PROMPTS_GET = "prompts/get"
RESOURCE_METHODS = frozenset({"resources/read", "resources/subscribe", "resources/unsubscribe"})
EXECUTE_TOOL = "execute_tool"
TOOL_ERROR = "tool_error"  # error.type of a tools/call whose result has isError set (MCP conventions)
PIPE, TCP = "pipe", "tcp"  # network.transport of stdio and HTTP


@dataclass
class Operation:
    """One MCP request in flight: its span, start time and the attributes its duration metric carries."""

    span: Span
    started: float
    metric_attributes: Attributes
    span_attributes: Attributes = field(default_factory=dict)  # set at the end, spans only
    arguments: Any = None  # a tools/call's arguments, kept only while content capture is on


@dataclass(frozen=True)
class Failure:
    error_type: str
    status_code: str | None  # the JSON-RPC error code, when the peer answered with one
    description: str | None


def describe_request(method: str, params: Any) -> tuple[str, Attributes, Attributes]:
    """Span name, metric attributes and span-only attributes of a request (params: typed model or wire dict)."""
    name, uri = param(params, "name"), param(params, "uri")
    metric: Attributes = {semconv.MCP_METHOD_NAME: method}
    span_only: Attributes = {}
    target = name if isinstance(name, str) and method in (TOOLS_CALL, PROMPTS_GET) else None
    if method == TOOLS_CALL:
        metric[semconv.GEN_AI_OPERATION_NAME] = EXECUTE_TOOL
        if target:
            metric[semconv.GEN_AI_TOOL_NAME] = target
    elif method == PROMPTS_GET and target:
        metric[semconv.GEN_AI_PROMPT_NAME] = target
    elif method in RESOURCE_METHODS and uri is not None:
        span_only[semconv.MCP_RESOURCE_URI] = str(uri)  # high cardinality: never in the span name or a metric
    return (f"{method} {target}" if target else method), metric, span_only


def param(params: Any, key: str) -> Any:
    """A field of request params, typed model or wire dict."""
    return params.get(key) if isinstance(params, Mapping) else getattr(params, key, None)


def outcome(method: str, result: Any, exc: BaseException | None, error: Any = None) -> Failure | None:
    """How a request ended: `error` is the JSON-RPC error (ErrorData) it was answered with, if any."""
    if error is not None:
        return Failure(str(error.code), str(error.code), error.message)
    if exc is not None:
        kind = error_type(exc)
        return Failure(kind, None, kind)
    if method == TOOLS_CALL and _is_tool_error(result):
        return Failure(TOOL_ERROR, None, None)
    return None


def _is_tool_error(result: Any) -> bool:
    """A tools/call result reporting a failed tool: the typed model or its wire (camelCase) dict."""
    if isinstance(result, Mapping):
        return result.get("isError") is True
    return getattr(result, "is_error", None) is True


def _tool_result(result: Any) -> Any:
    """A successful tool's output as JSON-like content: its structured content, else its content blocks."""
    if isinstance(result, Mapping):
        structured, blocks = result.get("structuredContent"), result.get("content")
    else:
        structured, blocks = getattr(result, "structured_content", None), getattr(result, "content", None)
    if structured is not None:
        return structured
    return [
        block.model_dump(mode="json", exclude_none=True) if hasattr(block, "model_dump") else block
        for block in blocks or ()
    ]


class MCPTelemetry:
    def __init__(
        self,
        settings: Settings,
        tracer_provider: TracerProvider | None = None,
        meter_provider: MeterProvider | None = None,
    ) -> None:
        self._capture = settings.capture.on_span  # tool arguments and results: opt-in, on the spans
        self._content = ContentEncoder(settings.content_max_bytes, settings.redactor)
        schema = "https://opentelemetry.io/schemas/" + semconv.STABLE_VERSION
        self._tracer = get_tracer("llmotel.mcp", __version__, tracer_provider, schema_url=schema)
        meter = get_meter("llmotel.mcp", __version__, meter_provider, schema_url=schema)
        self._durations = {
            SpanKind.CLIENT: _histogram(meter, semconv.MCP_CLIENT_OPERATION_DURATION),
            SpanKind.SERVER: _histogram(meter, semconv.MCP_SERVER_OPERATION_DURATION),
        }
        self.session_duration = _histogram(meter, semconv.MCP_CLIENT_SESSION_DURATION)

    def start(
        self,
        kind: SpanKind,
        name: str,
        metric_attributes: Attributes,
        span_attributes: Attributes,
        context: otel_context.Context | None = None,
        links: list[Link] | None = None,
        arguments: Any = None,
    ) -> Operation:
        """`arguments`: a tools/call's arguments, recorded at the end when content capture is on."""
        attributes = {**metric_attributes, **span_attributes}
        scope = current_scope()
        if scope:
            attributes.update(scope)
        span = self._tracer.start_span(name, context=context, kind=kind, attributes=attributes, links=links)
        return Operation(
            span, time.perf_counter(), dict(metric_attributes), arguments=arguments if self._capture else None
        )

    def end(self, operation: Operation, kind: SpanKind, failure: Failure | None, result: Any = None) -> None:
        """`result`: the request's result; a successful tools/call's output is recorded when capture is on."""
        duration = time.perf_counter() - operation.started
        metric_attributes = operation.metric_attributes
        span = operation.span
        if self._capture and metric_attributes.get(semconv.MCP_METHOD_NAME) == TOOLS_CALL:
            content = [(semconv.GEN_AI_TOOL_CALL_ARGUMENTS, operation.arguments)]
            if failure is None:  # the conventions record a result only for a successful call
                content.append((semconv.GEN_AI_TOOL_CALL_RESULT, _tool_result(result)))
            operation.span_attributes.update(self._encode(content))
        if failure is not None:
            metric_attributes[semconv.ERROR_TYPE] = failure.error_type
            if failure.status_code is not None:
                metric_attributes[semconv.RPC_RESPONSE_STATUS_CODE] = failure.status_code
            span.set_status(Status(StatusCode.ERROR, failure.description))
        span.set_attributes({**operation.span_attributes, **metric_attributes})
        span.end()
        self._durations[kind].record(duration, metric_attributes)

    def _encode(self, content: list[tuple[str, Any]]) -> Attributes:
        """Redacted and cut to size like the inference spans' content."""
        encoded = self._content.encode_values(content)
        if encoded.redactions:
            encoded.attributes[semconv.LLMOTEL_REDACTION_COUNT] = sum(encoded.redactions.values())
        return encoded.attributes


def _histogram(meter: Meter, spec: semconv.Metric) -> Histogram:
    return meter.create_histogram(
        spec.name,
        unit=spec.unit,
        description=spec.description,
        explicit_bucket_boundaries_advisory=list(spec.buckets or ()),
    )
