"""A known set of GenAI calls sent as OTLP through the real OpenTelemetry Python SDK, shaped like
llmotel's SDK output (GenAI semconv v1.41 names), so the end-to-end tests can compare what the
backends hold with what was sent. The expected cost comes from pricing/prices.yaml, independently
of the collector's llmcost code.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from opentelemetry._logs import Logger, SeverityNumber
from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.metrics import Counter, Histogram
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer, set_span_in_context

REPO_ROOT = Path(__file__).resolve().parents[2]
PRICE_TABLE = REPO_ROOT / "pricing" / "prices.yaml"

SERVICE_NAME = "llmotel-demo"  # has a daily budget in grafana/rules/budgets.rules.yml
ENVIRONMENT = "e2e"
UNPRICED_MODEL = "llmotel-e2e-unlisted-model"
PII_EMAIL = "jimin.park@example.com"
SECONDS_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92]
TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864]


@dataclass(frozen=True)
class Call:
    """One LLM call as the instrumentation would report it."""

    provider: str
    request_model: str
    response_model: str
    input_tokens: int  # includes cache reads and writes, as in semconv
    output_tokens: int
    duration_s: float
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    error_type: str | None = None
    time_to_first_chunk_s: float | None = None  # set for streaming calls
    chunks: int = 0
    prompt: str | None = None  # content capture on for this call when set
    redactions: int = 0  # values the SDK redacted from the prompt (llmotel.redactions)

    @property
    def server_address(self) -> str:
        return "api.openai.com" if self.provider == "openai" else "api.anthropic.com"


CALLS: tuple[Call, ...] = (
    Call("openai", "gpt-4o-mini", "gpt-4o-mini-2024-07-18", 120_000, 30_000, 0.9, cache_read_tokens=102_400),
    Call("openai", "gpt-4o-mini", "gpt-4o-mini-2024-07-18", 80_000, 15_000, 1.4, time_to_first_chunk_s=0.3, chunks=12),
    Call(
        "openai",
        "gpt-4o-mini",
        "gpt-4o-mini-2024-07-18",
        45_000,
        9_000,
        0.7,
        prompt=f"Email the invoice to <EMAIL> please (was {PII_EMAIL})",
        redactions=1,
    ),
    Call("openai", "gpt-4o-mini", "gpt-4o-mini", 0, 0, 0.2, error_type="RateLimitError"),
    Call(
        "anthropic",
        "claude-haiku-4-5",
        "claude-haiku-4-5-20251001",
        300_000,
        50_000,
        2.2,
        cache_read_tokens=200_000,
        cache_write_tokens=60_000,
        time_to_first_chunk_s=0.5,
        chunks=30,
    ),
    Call(
        "anthropic", "claude-haiku-4-5", "claude-haiku-4-5-20251001", 64_000, 21_000, 1.1, prompt="Summarise the ticket"
    ),
    Call("anthropic", "claude-haiku-4-5", "claude-haiku-4-5", 0, 0, 11.5, error_type="APITimeoutError"),
    Call("openai", UNPRICED_MODEL, UNPRICED_MODEL, 70_000, 10_000, 0.6),
)


def _price_entry(provider: str, model: str) -> dict[str, float] | None:
    """Latest prices of the table entry that exactly names the model (USD per 1M tokens)."""
    table = yaml.safe_load(PRICE_TABLE.read_text())
    for entry in table["models"]:
        if entry["provider"] == provider and model in entry.get("match", {}).get("exact", []):
            latest = max(entry["prices"], key=lambda price: str(price["effective_from"]))
            return {key: float(value) for key, value in latest.items() if isinstance(value, (int, float))}
    return None


def expected_cost_usd(call: Call) -> float:
    """Cost of a successful priced call: uncached input, cache reads/writes and output."""
    prices = _price_entry(call.provider, call.response_model) or _price_entry(call.provider, call.request_model)
    if prices is None or call.error_type is not None:
        return 0.0
    uncached = call.input_tokens - call.cache_read_tokens - call.cache_write_tokens
    return (
        uncached * prices["input"]
        + call.cache_read_tokens * prices.get("cache_read", prices["input"])
        + call.cache_write_tokens * prices.get("cache_write", prices["input"])
        + call.output_tokens * prices["output"]
    ) / 1_000_000


def is_priced(call: Call) -> bool:
    return (
        _price_entry(call.provider, call.response_model) is not None
        or _price_entry(call.provider, call.request_model) is not None
    )


@dataclass(frozen=True)
class SentTelemetry:
    calls: tuple[Call, ...]
    trace_ids: tuple[str, ...]  # one per call, hex
    agent_trace_id: str  # the trace whose invoke_agent span parents a failed chat call

    @property
    def succeeded(self) -> list[Call]:
        return [call for call in self.calls if call.error_type is None]


class _Providers:
    def __init__(self, otlp_grpc_endpoint: str) -> None:
        resource = Resource.create(
            {"service.name": SERVICE_NAME, "deployment.environment.name": ENVIRONMENT, "service.version": "e2e"}
        )
        endpoint = f"http://{otlp_grpc_endpoint}"
        self.tracer_provider = TracerProvider(resource=resource)
        self.tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint, insecure=True)))
        # A short export interval gives Prometheus several samples per series within seconds,
        # so rate() over the dashboards' windows has data.
        self.reader = PeriodicExportingMetricReader(
            OTLPMetricExporter(endpoint=endpoint, insecure=True), export_interval_millis=1000
        )
        self.meter_provider = MeterProvider(resource=resource, metric_readers=[self.reader])
        self.logger_provider = LoggerProvider(resource=resource)
        self.logger_provider.add_log_record_processor(
            BatchLogRecordProcessor(OTLPLogExporter(endpoint=endpoint, insecure=True))
        )

    def shutdown(self) -> None:
        self.tracer_provider.force_flush()
        self.logger_provider.force_flush()
        self.meter_provider.force_flush()
        self.tracer_provider.shutdown()
        self.logger_provider.shutdown()
        self.meter_provider.shutdown()


@dataclass(frozen=True)
class _Instruments:
    """The SDK instruments llmotel's instrumentation records with, by their semconv names."""

    tracer: Tracer
    logger: Logger
    duration: Histogram
    token_usage: Histogram
    time_to_first_chunk: Histogram
    time_per_output_chunk: Histogram
    redactions: Counter

    @classmethod
    def create(cls, providers: _Providers) -> _Instruments:
        meter = providers.meter_provider.get_meter("llmotel.e2e")

        def seconds(name: str) -> Histogram:
            return meter.create_histogram(name, unit="s", explicit_bucket_boundaries_advisory=SECONDS_BUCKETS)

        return cls(
            tracer=providers.tracer_provider.get_tracer("llmotel.e2e"),
            logger=providers.logger_provider.get_logger("llmotel.e2e"),
            duration=seconds("gen_ai.client.operation.duration"),
            token_usage=meter.create_histogram(
                "gen_ai.client.token.usage", unit="{token}", explicit_bucket_boundaries_advisory=TOKEN_BUCKETS
            ),
            time_to_first_chunk=seconds("gen_ai.client.operation.time_to_first_chunk"),
            time_per_output_chunk=seconds("gen_ai.client.operation.time_per_output_chunk"),
            redactions=meter.create_counter("llmotel.redactions", unit="{redaction}"),
        )


def _waves(calls: Sequence[Call], size: int) -> Iterator[Sequence[Call]]:
    for start in range(0, len(calls), size):
        yield calls[start : start + size]


def send(
    otlp_grpc_endpoint: str, calls: Sequence[Call] = CALLS, rounds: int = 2, wave_pause_s: float = 2.0
) -> SentTelemetry:
    """Emits the calls `rounds` times through the agent collector and flushes; returns what was sent.

    Every series must grow after its first sample: rate() and increase() only see growth between
    samples, so a series born holding its only increment would show no rate on the dashboards.
    """
    calls = [call for _ in range(rounds) for call in calls]
    providers = _Providers(otlp_grpc_endpoint)
    instruments = _Instruments.create(providers)
    tracer = instruments.tracer

    trace_ids: list[str] = []
    agent_trace_id = ""
    # Calls go out in waves a couple of export intervals apart, so counters grow across samples.
    for wave in _waves(calls, 3):
        for call in wave:
            # The agent run wraps a failed call: the gateway's tail sampling keeps every error trace.
            is_agent_run = call.error_type is not None and not agent_trace_id
            parent = (
                tracer.start_span(
                    "invoke_agent support-bot",
                    kind=SpanKind.INTERNAL,
                    attributes={
                        "gen_ai.operation.name": "invoke_agent",
                        "gen_ai.agent.name": "support-bot",
                    },
                )
                if is_agent_run
                else None
            )
            context = set_span_in_context(parent) if parent is not None else None
            trace_ids.append(_emit_call(call, instruments, context))
            if parent is not None:
                parent.end()
                agent_trace_id = trace_ids[-1]
        providers.meter_provider.force_flush()
        time.sleep(wave_pause_s)
    # Keep exporting the final cumulative values for a few intervals: rate() needs two samples.
    time.sleep(3 * wave_pause_s)
    providers.shutdown()
    return SentTelemetry(tuple(calls), tuple(trace_ids), agent_trace_id)


def _emit_call(call: Call, instruments: _Instruments, context: Context | None) -> str:
    tracer, logger = instruments.tracer, instruments.logger
    duration, token_usage = instruments.duration, instruments.token_usage
    ttfc, tpoc, redactions = instruments.time_to_first_chunk, instruments.time_per_output_chunk, instruments.redactions
    attributes: dict[str, str | int | bool | Sequence[str]] = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": call.provider,
        "gen_ai.request.model": call.request_model,
        "server.address": call.server_address,
        "server.port": 443,
    }
    span_attributes = dict(attributes)
    if call.error_type is None:
        span_attributes.update(
            {
                "gen_ai.response.model": call.response_model,
                "gen_ai.response.id": f"resp-{call.request_model}-{call.input_tokens}",
                "gen_ai.response.finish_reasons": ["stop"],
                "gen_ai.usage.input_tokens": call.input_tokens,
                "gen_ai.usage.output_tokens": call.output_tokens,
                "gen_ai.usage.cache_read.input_tokens": call.cache_read_tokens,
                "gen_ai.usage.cache_creation.input_tokens": call.cache_write_tokens,
            }
        )
    else:
        span_attributes["error.type"] = call.error_type
    if call.prompt is not None:
        span_attributes["gen_ai.input.messages"] = json.dumps(
            [{"role": "user", "parts": [{"type": "text", "content": call.prompt}]}]
        )
        if call.redactions:
            span_attributes["llmotel.redaction.count"] = call.redactions

    start_ns = time.time_ns()
    span = tracer.start_span(
        f"chat {call.request_model}",
        context=context,
        kind=SpanKind.CLIENT,
        attributes=span_attributes,
        start_time=start_ns,
    )
    span_context = set_span_in_context(span)
    metric_attributes = dict(attributes)
    if call.error_type is None:
        metric_attributes["gen_ai.response.model"] = call.response_model
    duration.record(
        call.duration_s,
        {**metric_attributes, **({"error.type": call.error_type} if call.error_type else {})},
        context=span_context,
    )
    if call.error_type is None:
        token_usage.record(call.input_tokens, {**metric_attributes, "gen_ai.token.type": "input"}, context=span_context)
        token_usage.record(
            call.output_tokens, {**metric_attributes, "gen_ai.token.type": "output"}, context=span_context
        )
    if call.time_to_first_chunk_s is not None:
        ttfc.record(call.time_to_first_chunk_s, metric_attributes, context=span_context)
        per_chunk = (call.duration_s - call.time_to_first_chunk_s) / max(call.chunks - 1, 1)
        tpoc.record(per_chunk, metric_attributes, context=span_context)
    if call.redactions:
        redactions.add(call.redactions, {"llmotel.redaction.entity": "EMAIL"})
    if call.prompt is not None:
        logger.emit(
            event_name="gen_ai.client.inference.operation.details",
            severity_number=SeverityNumber.INFO,
            attributes=span_attributes,
            context=span_context,
        )
    if call.error_type is not None:
        logger.emit(
            event_name="gen_ai.client.operation.exception",
            severity_number=SeverityNumber.WARN,
            attributes={**metric_attributes, "error.type": call.error_type},
            context=span_context,
        )
        span.set_status(Status(StatusCode.ERROR))
    span.end(end_time=start_ns + int(call.duration_s * 1e9))
    return format(span.get_span_context().trace_id, "032x")
