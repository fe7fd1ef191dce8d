"""An OTLP/HTTP trace receiver on Tempo's OTLP port (127.0.0.1:14318) that keeps what it is sent.

Tempo cannot be built here (stack/README.md), so the end-to-end tests stand this sink where the
gateway's Tempo exporter sends, to check what leaves the gateway: sampled traces, their
parent/child structure, cost attributes and redaction. It decodes the real OTLP protobuf
payload; it is no substitute for Tempo's query API, which stays untested natively.
"""

from __future__ import annotations

import gzip
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

TEMPO_OTLP_HTTP_ADDRESS = ("127.0.0.1", 14318)


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [_value(item) for item in value.array_value.values]
    return getattr(value, kind) if kind else None


class ReceivedSpan:
    """One span as exported by the gateway: ids in hex, attributes as Python values."""

    def __init__(self, span: Any, resource_attributes: dict[str, Any]) -> None:
        self.trace_id: str = span.trace_id.hex()
        self.span_id: str = span.span_id.hex()
        self.parent_span_id: str = span.parent_span_id.hex()
        self.name: str = span.name
        self.attributes: dict[str, Any] = {attribute.key: _value(attribute.value) for attribute in span.attributes}
        # Span events as (name, attributes): exceptions and any content an instrumentation puts there.
        self.events: list[tuple[str, dict[str, Any]]] = [
            (event.name, {attribute.key: _value(attribute.value) for attribute in event.attributes})
            for event in span.events
        ]
        self.resource_attributes = resource_attributes

    def __repr__(self) -> str:
        return f"ReceivedSpan({self.name!r}, trace={self.trace_id}, attributes={self.attributes})"


class TraceSink:
    def __init__(self) -> None:
        self._spans: list[ReceivedSpan] = []
        self._lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                sink._store(ExportTraceServiceRequest.FromString(body))
                reply = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(TEMPO_OTLP_HTTP_ADDRESS, Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="trace-sink", daemon=True)

    def _store(self, request: ExportTraceServiceRequest) -> None:
        received = []
        for resource_spans in request.resource_spans:
            resource = {attribute.key: _value(attribute.value) for attribute in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                received += [ReceivedSpan(span, resource) for span in scope_spans.spans]
        with self._lock:
            self._spans += received

    def spans(self) -> list[ReceivedSpan]:
        with self._lock:
            return list(self._spans)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
