"""The MCP server of test_mcp.py, a subprocess instrumented by llmotel: `weather.py stdio` or `weather.py http PORT`.

Its spans and metrics stay in memory and are read back through its own `telemetry` tool, over the same connection.
"""

from __future__ import annotations

import functools
import json
import sys
from typing import Any

import anyio
from mcp.server.mcpserver import MCPServer
from opentelemetry import trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from llmotel.frameworks.mcp import MCPInstrumentor

spans = InMemorySpanExporter()
tracer_provider = TracerProvider()
tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
trace.set_tracer_provider(tracer_provider)  # the SDK's own spans, if any were made, would land here too
metrics = InMemoryMetricReader()
MCPInstrumentor().instrument(tracer_provider=tracer_provider, meter_provider=MeterProvider(metric_readers=[metrics]))
tool_tracer = trace.get_tracer("weather-tool")

server = MCPServer("weather")


@server.tool()
def get_weather(city: str) -> str:
    with tool_tracer.start_as_current_span("lookup_weather"):
        return f"sunny in {city}"


@server.tool()
def broken_forecast(city: str) -> str:
    raise ValueError(f"no forecast for {city}")


@server.prompt()
def forecast_request(city: str) -> str:
    return f"What is the weather in {city}?"


@server.resource("weather://cities")
def cities() -> str:
    return "Seoul, Paris"


@server.tool()
def telemetry() -> str:
    """Spans finished since the last call, and every duration data point so far."""
    finished = [
        {
            "name": span.name,
            "scope": span.instrumentation_scope.name if span.instrumentation_scope else None,
            "kind": span.kind.name,
            "trace_id": span.context.trace_id,
            "span_id": span.context.span_id,
            "parent_id": span.parent.span_id if span.parent else None,
            "links": [link.context.span_id for link in span.links],
            "attributes": dict(span.attributes or {}),
            "status": span.status.status_code.name,
            "description": span.status.description,
        }
        for span in spans.get_finished_spans()
    ]
    spans.clear()
    points: dict[str, list[dict[str, Any]]] = {}
    data = metrics.get_metrics_data()
    for resource_metrics in data.resource_metrics if data else ():
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                for point in metric.data.data_points:
                    attributes, bounds = dict(point.attributes or {}), list(point.explicit_bounds)
                    points.setdefault(metric.name, []).append({"attributes": attributes, "bounds": bounds})
    return json.dumps({"spans": finished, "metrics": points})


if __name__ == "__main__":
    if sys.argv[1] == "stdio":
        server.run("stdio")
    else:
        anyio.run(functools.partial(server.run_streamable_http_async, host="127.0.0.1", port=int(sys.argv[2])))
