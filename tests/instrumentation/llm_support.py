"""Shared names and helpers of the instrumentation tests (fixtures live in conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

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


def point(points: list[Any], **attributes: Any) -> Any:
    """The one data point whose attributes include `attributes`."""
    matching = [p for p in points if all(p.attributes.get(k) == v for k, v in attributes.items())]
    assert len(matching) == 1, (attributes, [dict(p.attributes) for p in points])
    return matching[0]
