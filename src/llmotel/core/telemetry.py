"""The one place that turns call records into spans, metrics and events."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry._logs import Logger, LoggerProvider, SeverityNumber, get_logger
from opentelemetry.metrics import Histogram, Meter, MeterProvider, get_meter
from opentelemetry.trace import (
    Span,
    SpanKind,
    Status,
    StatusCode,
    Tracer,
    TracerProvider,
    get_tracer,
    set_span_in_context,
)

from llmotel import semconv
from llmotel.config import Settings
from llmotel.core.adapter import Operation
from llmotel.core.call import Attributes, Call, Request
from llmotel.core.content import ContentEncoder
from llmotel.core.errors import error_type, report_internal_error
from llmotel.core.scope import current_scope
from llmotel.version import __version__

_SUPPRESS_KEY = (
    otel_context._SUPPRESS_INSTRUMENTATION_KEY
)  # the key opentelemetry-instrumentation's suppress_instrumentation() sets
# Set while an instrumented SDK method runs. A library that calls another instrumented library (LiteLLM calling
# openai, a cloud SDK wrapping another) makes one logical call: only the outermost records it.
_IN_CALL_KEY = otel_context.create_key("llmotel-genai-call")


def work_context(span: Span) -> otel_context.Context:
    """The current context with `span` (a workflow, agent or tool span) current and a new logical scope: a tool
    that an SDK runs inside its own call (Gemini's automatic function calling) makes model calls of its own,
    and those are recorded again."""
    return otel_context.set_value(_IN_CALL_KEY, False, set_span_in_context(span))


class Telemetry:
    """Owns the tracer, meter and logger of one instrumentation and writes everything they emit."""

    def __init__(
        self,
        scope: str,
        settings: Settings,
        tracer_provider: TracerProvider | None = None,
        meter_provider: MeterProvider | None = None,
        logger_provider: LoggerProvider | None = None,
    ) -> None:
        self.settings = settings
        # False once the instrumentor is undone: wrappers an SDK keeps elsewhere (cohere binds methods onto each
        # client, `from ollama import chat` binds a name) outlive unwrapping, and must stop recording then.
        self.active = True
        schema = "https://opentelemetry.io/schemas/" + semconv.STABLE_VERSION
        self._tracer: Tracer = get_tracer(scope, __version__, tracer_provider, schema_url=schema)
        meter: Meter = get_meter(scope, __version__, meter_provider, schema_url=schema)
        self._logger: Logger = get_logger(scope, __version__, logger_provider, schema_url=schema)
        self._content = ContentEncoder(settings.content_max_bytes, settings.redactor)
        names = settings.names
        self._latest = settings.latest_semconv
        self._cache_write_attribute = names.GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS or ""
        self._duration = _histogram(meter, names.CLIENT_OPERATION_DURATION)
        self._time_to_first_chunk = _histogram(meter, names.CLIENT_TIME_TO_FIRST_CHUNK)
        self._time_per_output_chunk = _histogram(meter, names.CLIENT_TIME_PER_OUTPUT_CHUNK)
        self._token_usage = _histogram(meter, names.CLIENT_TOKEN_USAGE)
        # latest-mode usage counters, one per token kind, in the order of Call's usage fields
        self._usage_counters = [
            meter.create_counter(spec.name, unit=spec.unit, description=spec.description) if spec else None
            for spec in (
                names.CLIENT_USAGE_INPUT_TOKENS,
                names.CLIENT_USAGE_OUTPUT_TOKENS,
                names.CLIENT_USAGE_CACHE_READ_INPUT_TOKENS,
                names.CLIENT_USAGE_CACHE_WRITE_INPUT_TOKENS,
                names.CLIENT_USAGE_REASONING_OUTPUT_TOKENS,
            )
        ]
        self._redactions = meter.create_counter(
            semconv.LLMOTEL_REDACTIONS.name,
            unit=semconv.LLMOTEL_REDACTIONS.unit,
            description=semconv.LLMOTEL_REDACTIONS.description,
        )

    @property
    def tracer(self) -> Tracer:
        """For framework integrations that open workflow/agent/tool spans with `llmotel.tracing` templates."""
        return self._tracer

    # -- lifecycle of one call -------------------------------------------------------------------------------------

    def begin(self, operation: Operation, instance: Any, kwargs: Mapping[str, Any]) -> tuple[Call, Request] | None:
        """Start the span for a call; None when instrumentation is off or suppressed, or llmotel itself failed."""
        if not self.active or otel_context.get_value(_SUPPRESS_KEY) or otel_context.get_value(_IN_CALL_KEY):
            return None
        try:
            request = operation.request(instance, kwargs)
            attributes: Attributes = {
                semconv.GEN_AI_OPERATION_NAME: request.operation,
                semconv.GEN_AI_PROVIDER_NAME: request.provider,
                semconv.GEN_AI_REQUEST_MODEL: request.model,
            }
            if request.server_address:
                attributes[semconv.SERVER_ADDRESS] = request.server_address
                if request.server_port:
                    attributes[semconv.SERVER_PORT] = request.server_port
            metric_attributes = dict(attributes)
            attributes.update(request.attributes)
            scope = current_scope()
            if scope is not None:
                attributes.update(scope)
            span = self._tracer.start_span(
                f"{request.operation} {request.model}", kind=SpanKind.CLIENT, attributes=attributes
            )
            capture = self.settings.capture is not self.settings.capture.NO_CONTENT
            call = Call(span, time.perf_counter(), metric_attributes, capture)
        except Exception:
            report_internal_error("begin")
            return None
        if capture:
            try:
                call.input_content = operation.input_content(kwargs)
            except Exception:  # the call is still traced, without its input content
                report_internal_error("input content")
        return call, request

    def succeed(self, call: Call) -> None:
        try:
            self._end(call, None)
        except Exception:
            report_internal_error("succeed")

    def fail(self, call: Call, exc: BaseException) -> None:
        try:
            self._end(call, error_type(exc))
        except Exception:
            report_internal_error("fail")

    def context_with(self, call: Call) -> otel_context.Context:
        """Context in which the SDK's own work (HTTP spans, retries) nests under the call's span, and in which
        nested instrumented calls are not recorded again."""
        return otel_context.set_value(_IN_CALL_KEY, True, set_span_in_context(call.span))

    # -- writing ------------------------------------------------------------------------------------------------------

    def _end(self, call: Call, error: str | None) -> None:
        ended = time.perf_counter()
        span = call.span
        attributes: Attributes = {}
        metric_attributes = call.metric_attributes
        if call.response_model:
            metric_attributes = {**metric_attributes, semconv.GEN_AI_RESPONSE_MODEL: call.response_model}
            attributes[semconv.GEN_AI_RESPONSE_MODEL] = call.response_model
        if call.response_id:
            attributes[semconv.GEN_AI_RESPONSE_ID] = call.response_id
        if call.finish_reasons:
            attributes[semconv.GEN_AI_RESPONSE_FINISH_REASONS] = call.finish_reasons
        usage = (
            call.input_tokens,
            call.output_tokens,
            call.cache_read_tokens,
            call.cache_write_tokens,
            call.reasoning_tokens,
        )
        for key, value in zip(_USAGE_ATTRIBUTES, usage):
            if value is not None:
                attributes[key or self._cache_write_attribute] = value
        if call.response_attributes:
            attributes.update(call.response_attributes)
        if call.first_chunk_at is not None:
            attributes[semconv.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] = call.first_chunk_at - call.started
        if error is not None:
            attributes[semconv.ERROR_TYPE] = error
            span.set_status(Status(StatusCode.ERROR, error))
        if call.capture_content:
            self._write_content(call, attributes)
        span.set_attributes(attributes)
        span.end()

        duration_attributes = metric_attributes
        if error is not None:
            duration_attributes = {**metric_attributes, semconv.ERROR_TYPE: error}
        if self._duration is not None:
            self._duration.record(ended - call.started, duration_attributes)
        self._record_usage(call, metric_attributes, usage, error)
        if call.first_chunk_at is not None:
            if self._time_to_first_chunk is not None:
                self._time_to_first_chunk.record(call.first_chunk_at - call.started, metric_attributes)
            if call.chunks > 1 and self._time_per_output_chunk is not None:
                per_chunk = (call.last_chunk_at - call.first_chunk_at) / (call.chunks - 1)
                self._time_per_output_chunk.record(per_chunk, metric_attributes)
        if error is not None:
            self._logger.emit(
                event_name=semconv.EVENT_OPERATION_EXCEPTION,
                severity_number=SeverityNumber.WARN,
                attributes={**metric_attributes, semconv.ERROR_TYPE: error},
                context=set_span_in_context(span),
            )

    def _record_usage(
        self, call: Call, metric_attributes: Attributes, usage: tuple[int | None, ...], error: str | None
    ) -> None:
        if self._token_usage is not None:  # stable: one histogram, input and output
            if call.input_tokens is not None:
                self._token_usage.record(call.input_tokens, {**metric_attributes, semconv.GEN_AI_TOKEN_TYPE: "input"})
            if call.output_tokens is not None:
                self._token_usage.record(call.output_tokens, {**metric_attributes, semconv.GEN_AI_TOKEN_TYPE: "output"})
            return
        # latest: a counter per token kind; a failed call still records (0, modality unknown)
        modality = "unknown" if error is not None else "text"
        counter_attributes = {**metric_attributes, semconv.LATEST.GEN_AI_TOKEN_MODALITY or "": modality}
        for counter, value in zip(self._usage_counters, usage):
            if counter is not None and (value is not None or error is not None):
                counter.add(value or 0, counter_attributes)

    def _write_content(self, call: Call, attributes: Attributes) -> None:
        content = self._content.encode(call.input_content, call.output_messages)
        attributes.update(content.attributes)
        if content.redactions:
            attributes[semconv.LLMOTEL_REDACTION_COUNT] = sum(content.redactions.values())
            for entity, count in content.redactions.items():
                self._redactions.add(count, {semconv.LLMOTEL_REDACTION_ENTITY: entity})
        if not self.settings.capture.on_event:
            return
        # A span dropped by sampling is a NonRecordingSpan, with no attributes to copy: the event still goes out.
        event_attributes: dict[str, Any] = dict(getattr(call.span, "attributes", None) or {})
        event_attributes.update(attributes)
        self._logger.emit(
            event_name=semconv.EVENT_INFERENCE_DETAILS,
            severity_number=SeverityNumber.INFO,
            attributes=event_attributes,
            context=set_span_in_context(call.span),
        )
        if not self.settings.capture.on_span:
            for key in content.attributes:
                del attributes[key]


# span attribute per Call usage field; "" stands for the mode-dependent cache-write name
_USAGE_ATTRIBUTES = (
    semconv.GEN_AI_USAGE_INPUT_TOKENS,
    semconv.GEN_AI_USAGE_OUTPUT_TOKENS,
    semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
    "",
    semconv.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
)


def _histogram(meter: Meter, spec: semconv.Metric | None) -> Histogram | None:
    if spec is None:
        return None
    return meter.create_histogram(
        spec.name,
        unit=spec.unit,
        description=spec.description,
        explicit_bucket_boundaries_advisory=list(spec.buckets) if spec.buckets else None,
    )
