"""A small OTLP/HTTP receiver on loopback that stands in for Tempo, Prometheus and Loki.

It decodes every export with the official OTLP protobuf classes and keeps the requests, so a
test can look at exactly what the collector sent. It can be stopped and started again on the
same port to play a backend outage.
"""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord
from opentelemetry.proto.metrics.v1.metrics_pb2 import Metric
from opentelemetry.proto.trace.v1.trace_pb2 import Span

T = TypeVar("T")

# Path suffix -> (request class, response class). Prefixes differ per backend
# (/api/v1/otlp/v1/metrics for Prometheus, /otlp/v1/logs for Loki), the suffix does not.
_SIGNALS: dict[str, tuple[Any, Any]] = {
    "/v1/traces": (trace_service_pb2.ExportTraceServiceRequest, trace_service_pb2.ExportTraceServiceResponse),
    "/v1/metrics": (metrics_service_pb2.ExportMetricsServiceRequest, metrics_service_pb2.ExportMetricsServiceResponse),
    "/v1/logs": (logs_service_pb2.ExportLogsServiceRequest, logs_service_pb2.ExportLogsServiceResponse),
}


def any_value(value: AnyValue) -> Any:
    """The Python value of an OTLP AnyValue."""
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [any_value(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return attrs(value.kvlist_value.values)
    return getattr(value, kind)


def attrs(kvs: Iterator[KeyValue] | Any) -> dict[str, Any]:
    return {kv.key: any_value(kv.value) for kv in kvs}


@dataclass
class ReceivedSpan:
    resource: dict[str, Any]
    span: Span

    @property
    def attributes(self) -> dict[str, Any]:
        return attrs(self.span.attributes)


@dataclass
class ReceivedLog:
    resource: dict[str, Any]
    record: LogRecord

    @property
    def attributes(self) -> dict[str, Any]:
        return attrs(self.record.attributes)


@dataclass
class ReceivedMetric:
    resource: dict[str, Any]
    metric: Metric


@dataclass
class OtlpSink:
    port: int
    # decode=False only counts requests (a benchmark sink must cost the sender nothing).
    decode: bool = True
    received_requests: int = 0
    requests: dict[str, list[Any]] = field(default_factory=lambda: {k: [] for k in _SIGNALS})
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> OtlpSink:
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if not sink.decode:
                    with sink._lock:
                        sink.received_requests += 1
                    self.send_response(200)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                suffix = next((s for s in _SIGNALS if self.path.endswith(s)), None)
                if suffix is None:
                    self.send_error(404)
                    return
                request_cls, response_cls = _SIGNALS[suffix]
                request = request_cls.FromString(body)
                with sink._lock:
                    sink.requests[suffix].append(request)
                payload = response_cls().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def spans(self) -> list[ReceivedSpan]:
        with self._lock:
            reqs = list(self.requests["/v1/traces"])
        return [
            ReceivedSpan(attrs(rs.resource.attributes), span)
            for req in reqs
            for rs in req.resource_spans
            for ss in rs.scope_spans
            for span in ss.spans
        ]

    def logs(self) -> list[ReceivedLog]:
        with self._lock:
            reqs = list(self.requests["/v1/logs"])
        return [
            ReceivedLog(attrs(rl.resource.attributes), record)
            for req in reqs
            for rl in req.resource_logs
            for sl in rl.scope_logs
            for record in sl.log_records
        ]

    def metrics(self, name: str) -> list[ReceivedMetric]:
        with self._lock:
            reqs = list(self.requests["/v1/metrics"])
        return [
            ReceivedMetric(attrs(rm.resource.attributes), metric)
            for req in reqs
            for rm in req.resource_metrics
            for sm in rm.scope_metrics
            for metric in sm.metrics
            if metric.name == name
        ]

    def latest_cumulative_sums(self, name: str) -> dict[tuple[tuple[str, Any], ...], float]:
        """The last value of each series of a cumulative sum, keyed by resource + point attributes."""
        latest: dict[tuple[tuple[str, Any], ...], tuple[int, float]] = {}
        for received in self.metrics(name):
            for point in received.metric.sum.data_points:
                key = tuple(sorted({**received.resource, **attrs(point.attributes)}.items()))
                value = point.as_double if point.WhichOneof("value") == "as_double" else float(point.as_int)
                if key not in latest or point.time_unix_nano >= latest[key][0]:
                    latest[key] = (point.time_unix_nano, value)
        return {k: v for k, (_, v) in latest.items()}


def wait_for(what: str, produce: Callable[[], T], done: Callable[[T], bool], timeout: float = 30.0) -> T:
    """Poll produce() until done(result) holds; fail with the last result after timeout seconds."""
    deadline = time.monotonic() + timeout
    result = produce()
    while not done(result):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}; last value: {result!r:.2000}")
        time.sleep(0.2)
        result = produce()
    return result
