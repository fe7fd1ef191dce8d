"""The measured call: an openai client over an in-memory httpx2 transport, and the OTel SDK pipeline it reports to.

Responses come from llmotel's stand-in (the real API's wire format). For the timed rounds they are rendered once and
replayed as canned bytes, so the server side costs the same few microseconds in every variant; the memory run uses
the live stand-in so every response carries a fresh id, as real traffic does.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import httpx2
import openai
from opentelemetry import metrics, trace
from opentelemetry._logs import set_logger_provider
from opentelemetry.sdk._logs import LoggerProvider, LogRecordProcessor
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor, LogRecordExporter, LogRecordExportResult
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from llmotel.standin import CHUNKS_HEADER, ChunkStream, Reply, openai_response
from llmotel.standin.transport import StandinTransport

BASE_URL = "http://standin.invalid/v1"
CHAT_PATH = "/v1/chat/completions"
MODEL = "gpt-4o-mini"
# Typical request parameters, so every variant has request attributes to copy.
REQUEST = {
    "model": MODEL,
    "messages": [{"role": "user", "content": "Say hello to the benchmark."}],
    "max_tokens": 256,
    "temperature": 0.2,
}
STREAM_REQUEST = {**REQUEST, "stream": True, "stream_options": {"include_usage": True}}


@dataclass(frozen=True)
class Scenario:
    name: str
    content_chunks: int | None  # None: a plain (non-stream) call

    @property
    def streamed(self) -> bool:
        return self.content_chunks is not None


PLAIN = Scenario("plain", None)
STREAM_7 = Scenario("stream-7", 7)
STREAM_200 = Scenario("stream-200", 200)
SCENARIOS = (PLAIN, STREAM_7, STREAM_200)


class DroppingSpanExporter(SpanExporter):
    """Accepts every batch and drops it (the cost measured is the SDK pipeline's, not a network's); keeps them only
    while `kept` is a list, for the check before timing that each variant emits its span."""

    def __init__(self) -> None:
        self.kept: list[ReadableSpan] | None = None

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if self.kept is not None:
            self.kept.extend(spans)
        return SpanExportResult.SUCCESS


class NoopLogExporter(LogRecordExporter):
    def export(self, batch: object) -> LogRecordExportResult:
        return LogRecordExportResult.SUCCESS

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return True


@dataclass
class Pipeline:
    """The OTel SDK as an application configures it: batch span processor, a meter provider with a reader."""

    tracer_provider: TracerProvider
    span_exporter: DroppingSpanExporter
    meter_provider: MeterProvider
    logger_provider: LoggerProvider
    span_processor: BatchSpanProcessor
    log_processor: LogRecordProcessor
    metric_reader: InMemoryMetricReader

    def flush(self) -> None:
        """Hand queued spans and logs to the exporter now, so their export cost lands in the caller's timed block."""
        self.span_processor.force_flush()
        self.log_processor.force_flush()


def make_pipeline() -> Pipeline:
    span_exporter = DroppingSpanExporter()
    span_processor = BatchSpanProcessor(span_exporter)
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(span_processor)
    metric_reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[metric_reader])
    log_processor = BatchLogRecordProcessor(NoopLogExporter())
    logger_provider = LoggerProvider()
    logger_provider.add_log_record_processor(log_processor)
    # global too: an instrumentation that ignores the providers it is given still reports to this pipeline
    trace.set_tracer_provider(tracer_provider)
    metrics.set_meter_provider(meter_provider)
    set_logger_provider(logger_provider)
    return Pipeline(
        tracer_provider, span_exporter, meter_provider, logger_provider, span_processor, log_processor, metric_reader
    )


def standin_reply(scenario: Scenario) -> Reply:
    request = STREAM_REQUEST if scenario.streamed else REQUEST
    headers = {CHUNKS_HEADER: str(scenario.content_chunks)} if scenario.streamed else {}
    reply = openai_response(CHAT_PATH, json.dumps(request).encode(), headers)
    if reply.status != 200:
        raise RuntimeError(f"the stand-in refused the benchmark request ({reply.status}): {reply.body!r}")
    return reply


class CannedTransport(httpx2.BaseTransport):
    """Replays one rendered stand-in reply per request: stream or not is chosen by the request's body."""

    def __init__(self) -> None:
        self._plain = standin_reply(PLAIN)
        self._streams = {s.content_chunks: _materialised(standin_reply(s)) for s in SCENARIOS if s.streamed}
        self.stream_chunks = STREAM_7.content_chunks  # which canned stream a streamed request gets

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        request.read()  # the SDK serialised the body: a server reads it
        if b'"stream":true' not in request.content:
            assert isinstance(self._plain.body, bytes)
            return httpx2.Response(200, headers=self._plain.headers, content=self._plain.body)
        status, headers, chunks = self._streams[self.stream_chunks]
        return httpx2.Response(status, headers=headers, stream=_ReplayedChunks(chunks))


def _materialised(reply: Reply) -> tuple[int, dict[str, str], tuple[bytes, ...]]:
    assert isinstance(reply.body, ChunkStream)
    return reply.status, reply.headers, tuple(reply.body)


class _ReplayedChunks(httpx2.SyncByteStream):
    def __init__(self, chunks: tuple[bytes, ...]) -> None:
        self._chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._chunks)


def make_client(transport: httpx2.BaseTransport) -> openai.OpenAI:
    return openai.OpenAI(base_url=BASE_URL, api_key="bench", http_client=httpx2.Client(transport=transport))


Call = Callable[[], int]  # one call; returns the chunks the caller received (0 for a plain call)


def plain_call(client: openai.OpenAI) -> int:
    completion = client.chat.completions.create(**REQUEST)  # type: ignore[call-overload]
    assert completion.choices[0].finish_reason == "stop"
    return 0


def stream_call(client: openai.OpenAI) -> int:
    received = 0
    for _chunk in client.chat.completions.create(**STREAM_REQUEST):  # type: ignore[call-overload]
        received += 1
    return received


def call_for(scenario: Scenario, client: openai.OpenAI, transport: CannedTransport | None) -> Call:
    """The call of one scenario; with a canned transport, points it at the scenario's stream."""
    if not scenario.streamed:
        return lambda: plain_call(client)
    if transport is not None:
        transport.stream_chunks = scenario.content_chunks
    return lambda: stream_call(client)


def live_client() -> openai.OpenAI:
    """A client served by the live stand-in: fresh ids and timestamps on every response."""
    return make_client(StandinTransport())
