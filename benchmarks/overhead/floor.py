"""The floor: the least any instrumentation must do for one chat call, hand-written against the OTel SDK.

One CLIENT span carrying the same attributes llmotel writes for this workload, the duration histogram, the two
token-usage records, and time-to-first-chunk on streams. No content, no error events, no context propagation, no
adapter layer, no defensive try/except: what is left is the cost of the SDK work semconv asks for. It supports only
what the benchmark calls (sync `chat.completions.create`, a stream read by iteration).
"""

from __future__ import annotations

import time
from typing import Any

import openai.resources.chat.completions.completions as chat_module
from opentelemetry.instrumentation.utils import unwrap
from opentelemetry.metrics import MeterProvider
from opentelemetry.trace import Span, SpanKind, TracerProvider
from wrapt import wrap_function_wrapper

from llmotel import semconv

_STABLE = semconv.STABLE
_REQUEST_PARAMETERS = (
    ("max_tokens", semconv.GEN_AI_REQUEST_MAX_TOKENS),
    ("temperature", semconv.GEN_AI_REQUEST_TEMPERATURE),
    ("top_p", semconv.GEN_AI_REQUEST_TOP_P),
)


class FloorInstrumentation:
    def __init__(self, tracer_provider: TracerProvider, meter_provider: MeterProvider) -> None:
        self._tracer = tracer_provider.get_tracer("bench.floor")
        meter = meter_provider.get_meter("bench.floor")
        duration, time_to_first_chunk, token_usage = (
            _STABLE.CLIENT_OPERATION_DURATION,
            _STABLE.CLIENT_TIME_TO_FIRST_CHUNK,
            _STABLE.CLIENT_TOKEN_USAGE,
        )
        assert duration and time_to_first_chunk and token_usage
        self._duration = meter.create_histogram(
            duration.name, unit=duration.unit, explicit_bucket_boundaries_advisory=list(duration.buckets or ())
        )
        self._time_to_first_chunk = meter.create_histogram(
            time_to_first_chunk.name,
            unit=time_to_first_chunk.unit,
            explicit_bucket_boundaries_advisory=list(time_to_first_chunk.buckets or ()),
        )
        self._token_usage = meter.create_histogram(
            token_usage.name, unit=token_usage.unit, explicit_bucket_boundaries_advisory=list(token_usage.buckets or ())
        )

    def instrument(self) -> None:
        wrap_function_wrapper(chat_module, "Completions.create", self._create)

    def uninstrument(self) -> None:
        unwrap(chat_module.Completions, "create")

    def _create(self, wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        model = kwargs.get("model")
        url = instance._client.base_url
        attributes: dict[str, Any] = {
            semconv.GEN_AI_OPERATION_NAME: "chat",
            semconv.GEN_AI_PROVIDER_NAME: "openai",
            semconv.GEN_AI_REQUEST_MODEL: model,
            semconv.SERVER_ADDRESS: url.host,
            semconv.SERVER_PORT: url.port or (443 if url.scheme == "https" else 80),
        }
        metric_attributes = dict(attributes)
        for keyword, attribute in _REQUEST_PARAMETERS:
            value = kwargs.get(keyword)
            if value is not None:
                attributes[attribute] = value
        attributes[semconv.OPENAI_API_TYPE] = "chat_completions"
        streamed = kwargs.get("stream") is True
        if streamed:
            attributes[semconv.GEN_AI_REQUEST_STREAM] = True
        span = self._tracer.start_span(f"chat {model}", kind=SpanKind.CLIENT, attributes=attributes)
        started = time.perf_counter()
        result = wrapped(*args, **kwargs)
        if streamed:
            return _FloorStream(result, self, span, started, metric_attributes)
        self.finish(span, started, metric_attributes, result, result.choices, result.usage, None)
        return result

    def finish(
        self,
        span: Span,
        started: float,
        metric_attributes: dict[str, Any],
        response: Any,
        choices: Any,
        usage: Any,
        time_to_first_chunk: float | None,
    ) -> None:
        """End the span and record the metrics; `response` is the completion or a stream's first chunk."""
        duration = time.perf_counter() - started
        metric_attributes[semconv.GEN_AI_RESPONSE_MODEL] = response.model
        attributes: dict[str, Any] = {
            semconv.GEN_AI_RESPONSE_MODEL: response.model,
            semconv.GEN_AI_RESPONSE_ID: response.id,
            semconv.GEN_AI_RESPONSE_FINISH_REASONS: [choice.finish_reason for choice in choices],
            semconv.GEN_AI_USAGE_INPUT_TOKENS: usage.prompt_tokens,
            semconv.GEN_AI_USAGE_OUTPUT_TOKENS: usage.completion_tokens,
            semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: usage.prompt_tokens_details.cached_tokens,
            semconv.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS: usage.completion_tokens_details.reasoning_tokens,
            semconv.OPENAI_RESPONSE_SERVICE_TIER: response.service_tier,
            semconv.OPENAI_RESPONSE_SYSTEM_FINGERPRINT: response.system_fingerprint,
        }
        if time_to_first_chunk is not None:
            attributes[semconv.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] = time_to_first_chunk
        span.set_attributes(attributes)
        span.end()
        self._duration.record(duration, metric_attributes)
        self._token_usage.record(usage.prompt_tokens, {**metric_attributes, semconv.GEN_AI_TOKEN_TYPE: "input"})
        self._token_usage.record(usage.completion_tokens, {**metric_attributes, semconv.GEN_AI_TOKEN_TYPE: "output"})
        if time_to_first_chunk is not None:
            self._time_to_first_chunk.record(time_to_first_chunk, metric_attributes)


class _FloorStream:
    """Iterates the SDK stream, keeping the first chunk, the chunks with a finish reason, and the usage chunk."""

    __slots__ = (
        "_finishing",
        "_first",
        "_first_at",
        "_instrumentation",
        "_metric_attributes",
        "_span",
        "_started",
        "_stream",
        "_usage",
    )

    def __init__(
        self,
        stream: Any,
        instrumentation: FloorInstrumentation,
        span: Span,
        started: float,
        metric_attributes: dict[str, Any],
    ) -> None:
        self._stream = stream
        self._instrumentation = instrumentation
        self._span = span
        self._started = started
        self._metric_attributes = metric_attributes
        self._first: Any = None
        self._first_at = 0.0
        self._finishing: list[Any] = []
        self._usage: Any = None

    def __iter__(self) -> _FloorStream:
        return self

    def __next__(self) -> Any:
        try:
            chunk = self._stream.__next__()
        except StopIteration:
            time_to_first_chunk = self._first_at - self._started
            self._instrumentation.finish(
                self._span,
                self._started,
                self._metric_attributes,
                self._first,
                self._finishing,
                self._usage,
                time_to_first_chunk,
            )
            raise
        if self._first is None:
            self._first = chunk
            self._first_at = time.perf_counter()
        for choice in chunk.choices:
            if choice.finish_reason:
                self._finishing.append(choice)
        if chunk.usage is not None:
            self._usage = chunk.usage
        return chunk
