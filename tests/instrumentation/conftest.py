"""Real clients over real HTTP to the stand-in server, with llmotel instrumenting them into in-memory SDK exporters.

Each test gets fresh providers and a fresh instrumentation (instrument before, uninstrument after), so the content
capture and semconv-mode environment a test sets is what the instrumentation reads.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import anthropic
import openai
import pytest
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from llmotel.providers.anthropic import AnthropicInstrumentor
from llmotel.providers.openai import OpenAIInstrumentor
from llmotel.standin import StandinServer

GPT = "gpt-4o-mini"
GPT_SNAPSHOT = "gpt-4o-mini-2024-07-18"
CLAUDE = "claude-haiku-4-5"
CLAUDE_SNAPSHOT = "claude-haiku-4-5-20251001"
API_KEY = "sk-test-never-in-telemetry-0123456789"


@dataclass
class Telemetry:
    """What the instrumentation exported, read back from the SDK's in-memory exporters."""

    spans_exporter: InMemorySpanExporter
    metric_reader: InMemoryMetricReader
    logs_exporter: InMemoryLogRecordExporter
    tracer_provider: TracerProvider

    def spans(self) -> list[ReadableSpan]:
        return list(self.spans_exporter.get_finished_spans())

    def genai_spans(self) -> list[ReadableSpan]:
        return [s for s in self.spans() if s.attributes and "gen_ai.operation.name" in s.attributes]

    def only_span(self) -> ReadableSpan:
        spans = self.genai_spans()
        assert len(spans) == 1, [s.name for s in spans]
        return spans[0]

    def metrics(self) -> dict[str, list[Any]]:
        """metric name -> data points"""
        found: dict[str, list[Any]] = {}
        data = self.metric_reader.get_metrics_data()
        for resource_metrics in data.resource_metrics if data else ():
            for scope_metrics in resource_metrics.scope_metrics:
                for metric in scope_metrics.metrics:
                    found.setdefault(metric.name, []).extend(metric.data.data_points)
        return found

    def events(self, name: str | None = None) -> list[Any]:
        records = [data.log_record for data in self.logs_exporter.get_finished_logs()]
        return [r for r in records if name is None or r.event_name == name]


@pytest.fixture(scope="session")
def standin() -> Iterator[StandinServer]:
    with StandinServer() as server:
        yield server


@pytest.fixture
def server(standin: StandinServer) -> StandinServer:
    standin.requests.clear()
    return standin


@pytest.fixture
def instrument() -> Iterator[Callable[[], Telemetry]]:
    """Call to instrument openai and anthropic (after setting any environment the test needs)."""
    instrumentors: list[Any] = []

    def start() -> Telemetry:
        spans = InMemorySpanExporter()
        tracer_provider = TracerProvider()
        tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
        reader = InMemoryMetricReader()
        meter_provider = MeterProvider(metric_readers=[reader])
        logs = InMemoryLogRecordExporter()
        logger_provider = LoggerProvider()
        logger_provider.add_log_record_processor(SimpleLogRecordProcessor(logs))
        for instrumentor in (OpenAIInstrumentor(), AnthropicInstrumentor()):
            instrumentor.instrument(
                tracer_provider=tracer_provider, meter_provider=meter_provider, logger_provider=logger_provider
            )
            instrumentors.append(instrumentor)
        return Telemetry(spans, reader, logs, tracer_provider)

    yield start
    for instrumentor in instrumentors:
        instrumentor.uninstrument()


@pytest.fixture
def telemetry(instrument: Callable[[], Telemetry]) -> Telemetry:
    return instrument()


@pytest.fixture
def openai_client(server: StandinServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=server.openai_base_url, api_key=API_KEY, max_retries=0) as client:
        yield client


@pytest.fixture
async def async_openai_client(server: StandinServer) -> AsyncIterator[openai.AsyncOpenAI]:
    async with openai.AsyncOpenAI(base_url=server.openai_base_url, api_key=API_KEY, max_retries=0) as client:
        yield client


@pytest.fixture
def anthropic_client(server: StandinServer) -> Iterator[anthropic.Anthropic]:
    with anthropic.Anthropic(base_url=server.anthropic_base_url, api_key=API_KEY, max_retries=0) as client:
        yield client


@pytest.fixture
async def async_anthropic_client(server: StandinServer) -> AsyncIterator[anthropic.AsyncAnthropic]:
    async with anthropic.AsyncAnthropic(base_url=server.anthropic_base_url, api_key=API_KEY, max_retries=0) as client:
        yield client


def point(points: list[Any], **attributes: Any) -> Any:
    """The one data point whose attributes include `attributes`."""
    matching = [p for p in points if all(p.attributes.get(k) == v for k, v in attributes.items())]
    assert len(matching) == 1, (attributes, [dict(p.attributes) for p in points])
    return matching[0]
