"""Real clients over real HTTP to the stand-in server, with llmotel instrumenting them into in-memory SDK exporters.

Each test gets fresh providers and a fresh instrumentation (instrument before, uninstrument after), so the content
capture and semconv-mode environment a test sets is what the instrumentation reads.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import anthropic
import openai
import pytest
from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from llm_support import API_KEY, Telemetry
from llmotel.providers.anthropic import AnthropicInstrumentor
from llmotel.providers.openai import OpenAIInstrumentor
from llmotel.standin import StandinServer


@pytest.fixture
def young_heap() -> Iterator[None]:
    """Full collections scan only what the test allocated: the SDKs' type modules make each one take ~0.3 s.
    Modules that collect garbage per test use it: `pytestmark = pytest.mark.usefixtures("young_heap")`."""
    gc.freeze()
    yield
    gc.unfreeze()


@pytest.fixture(scope="session")
def standin() -> Iterator[StandinServer]:
    with StandinServer() as server:
        yield server


@pytest.fixture
def server(standin: StandinServer) -> StandinServer:
    standin.requests.clear()
    return standin


@pytest.fixture
def instrument() -> Iterator[Callable[..., Telemetry]]:
    """Call to instrument (after setting any environment the test needs): `instrument()` instruments openai and
    anthropic, `instrument(CohereInstrumentor(), ...)` exactly the instrumentors given; undone after the test."""
    instrumentors: list[Any] = []

    def start(*chosen: BaseInstrumentor) -> Telemetry:
        spans = InMemorySpanExporter()
        tracer_provider = TracerProvider()
        tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
        reader = InMemoryMetricReader()
        meter_provider = MeterProvider(metric_readers=[reader])
        logs = InMemoryLogRecordExporter()
        logger_provider = LoggerProvider()
        logger_provider.add_log_record_processor(SimpleLogRecordProcessor(logs))
        for instrumentor in chosen or (OpenAIInstrumentor(), AnthropicInstrumentor()):
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
