"""The gateway binary end to end: redaction, cost enrichment, cost metrics, sampling, auth."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import grpc
import pytest
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc
from opentelemetry.proto.metrics.v1 import metrics_pb2

from conftest import TOKEN, Collector, Gateway
from genai import chat_span, inference_event, messages, post, traces_request
from otlp_sink import OtlpSink, ReceivedSpan, any_value, wait_for
from otlp_sink import attrs as attrs_of
from pii_samples import negatives, positives

COST_KEYS = (
    "llmotel.cost.total_usd",
    "llmotel.cost.input_usd",
    "llmotel.cost.output_usd",
    "llmotel.cost.cache_read_usd",
    "llmotel.cost.cache_write_usd",
)


def spans_of(sink: OtlpSink, trace_ids: set[bytes], count: int) -> list[ReceivedSpan]:
    return wait_for(
        f"{count} spans at the Tempo sink",
        lambda: [s for s in sink.spans() if s.span.trace_id in trace_ids],
        lambda got: len(got) >= count,
    )


@pytest.fixture
def gateway(collector_binary: Path, sink: OtlpSink, tmp_path: Path, running: list[Collector]) -> Gateway:
    gw = Gateway(collector_binary, tmp_path, sink)
    running.append(gw)
    return gw.start_ready()


def _survivors(values: tuple[tuple[str, str], ...], strings: list[str]) -> list[str]:
    """Values found in any of the strings, as written or JSON-escaped once more (the content
    attributes are JSON documents)."""
    found = []
    for entity, value in values:
        escaped = json.dumps(value, ensure_ascii=False)[1:-1]
        if any(value in s or escaped in s for s in strings):
            found.append(f"{entity} {value!r}")
    return found


def _strings(attributes: dict[str, Any]) -> list[str]:
    return [v for v in attributes.values() if isinstance(v, str)]


def test_corpus_pii_is_redacted_in_spans_events_and_logs(gateway: Gateway, sink: OtlpSink) -> None:
    cases = positives()
    spans = []
    for case in cases:
        span = chat_span(
            "gpt-4o-mini",
            100,
            20,
            extra={
                "gen_ai.input.messages": messages("user", case.text),
                "gen_ai.output.messages": messages("assistant", "noted"),
                "llmotel.test.case": case.id,
            },
        )
        event = span.events.add()
        event.name = "gen_ai.client.inference.operation.details"
        event.attributes.add(key="gen_ai.tool.call.arguments").value.string_value = json.dumps(
            {"note": case.text}, ensure_ascii=False
        )
        spans.append(span)
    for i in range(0, len(spans), 50):
        assert post(gateway.http_endpoint, "traces", traces_request(spans[i : i + 50]), TOKEN) == 200
    for case in cases:
        event = inference_event(
            case.text, {"gen_ai.input.messages": messages("user", case.text), "llmotel.test.case": case.id}
        )
        assert post(gateway.http_endpoint, "logs", event, TOKEN) == 200

    by_id = {c.id: c for c in cases}
    received = spans_of(sink, {s.trace_id for s in spans}, len(spans))
    for got in received:
        attrs = got.attributes
        case = by_id[attrs["llmotel.test.case"]]
        strings = _strings(attrs) + [s for ev in got.span.events for s in _strings(attrs_of(ev.attributes))]
        assert not _survivors(case.values, strings), (case.id, _survivors(case.values, strings))
        # the message and the tool arguments each hold every value
        assert attrs["llmotel.redaction.count"] >= 2 * len(case.values), case.id

    logs = wait_for("redacted log events at the Loki sink", sink.logs, lambda got: len(got) >= len(cases))
    for record in logs:
        case = by_id[record.attributes["llmotel.test.case"]]
        strings = [record.record.body.string_value, *_strings(record.attributes)]
        assert not _survivors(case.values, strings), (case.id, _survivors(case.values, strings))


def test_non_content_attributes_arrive_intact(gateway: Gateway, sink: OtlpSink) -> None:
    """Corpus look-alikes (versions, ids, timestamps, prices) and the GenAI identifiers and
    counts come through non-content attributes byte for byte; clean content is untouched."""
    lookalikes = negatives()
    clean = messages("user", "서울의 오늘 날씨를 알려줘. What is the capital of France?")
    span = chat_span(
        "gpt-4o-mini-2024-07-18",
        1234,
        56,
        extra={
            "gen_ai.input.messages": clean,
            "gen_ai.conversation.id": "123e4567-e89b-12d3-a456-426614174000",
            "gen_ai.usage.cache_read.input_tokens": 1000,
            **{f"app.note.{i}": text for i, text in enumerate(lookalikes)},
        },
    )
    sent = {kv.key: any_value(kv.value) for kv in span.attributes}
    assert post(gateway.http_endpoint, "traces", traces_request([span]), TOKEN) == 200
    [got] = spans_of(sink, {span.trace_id}, 1)
    attrs = got.attributes
    for key, value in sent.items():
        assert attrs[key] == value, key
    assert "llmotel.redaction.count" not in attrs
    assert got.resource["service.version"] == "1.2.3.4"


def test_redactions_are_counted_in_the_gateway_metrics(gateway: Gateway, sink: OtlpSink) -> None:
    text = "mail a@example.com and b@example.org, call 010-2222-3333"
    span = chat_span("gpt-4o-mini", 10, 5, extra={"gen_ai.input.messages": messages("user", text)})
    assert post(gateway.http_endpoint, "traces", traces_request([span]), TOKEN) == 200
    [got] = spans_of(sink, {span.trace_id}, 1)
    assert got.attributes["llmotel.redaction.count"] == 3

    def pulled() -> dict[str, float]:
        found = re.findall(
            r'^llmotel_redactions\{[^}]*llmotel_redaction_entity="(\w+)"[^}]*\} (\S+)$', gateway.self_metrics(), re.M
        )
        return {entity: float(v) for entity, v in found}

    # On the gateway's own metrics port (no type suffix, like every otelcol_* metric there) ...
    wait_for("llmotel_redactions on the metrics port", pulled, lambda c: c == {"EMAIL": 2.0, "KR_PHONE": 1.0})

    # ... and pushed over OTLP to Prometheus, where it becomes llmotel_redactions_total.
    def pushed() -> dict[str, float]:
        return {
            dict(k)["llmotel.redaction.entity"]: v
            for k, v in sink.latest_cumulative_sums("llmotel.redactions").items()
            if dict(k).get("service.name") == "llmotelcol"
        }

    wait_for("llmotel.redactions pushed to the Prometheus sink", pushed, lambda c: c == {"EMAIL": 2.0, "KR_PHONE": 1.0})


# Known inputs priced from pricing/prices.yaml (USD per 1M tokens):
#   gpt-4o-mini: input 0.15, cache_read 0.075, output 0.60
#   claude-sonnet-4-5: input 3, cache_read 0.30, cache_write 3.75, output 15; above 200k input
#     tokens the whole request moves to 6 / 0.60 / 7.50 / 22.50
#   claude-haiku-4-5: input 1, cache_write 1.25, output 5
COST_CASES: list[tuple[str, dict[str, Any], dict[str, float]]] = [
    (
        "openai cached",
        {
            "model": "gpt-4o-mini",
            "input_tokens": 10_000,
            "output_tokens": 1_000,
            "extra": {"gen_ai.usage.cache_read.input_tokens": 2_000},
        },
        # (10000-2000)*0.15 + 2000*0.075 + 1000*0.60 per 1M
        {"input": 0.0012, "cache_read": 0.00015, "output": 0.0006, "total": 0.00195},
    ),
    (
        "anthropic cache read and write",
        {
            "model": "claude-sonnet-4-5",
            "provider": "anthropic",
            "input_tokens": 50_000,
            "output_tokens": 2_000,
            "extra": {
                "gen_ai.usage.cache_read.input_tokens": 30_000,
                "gen_ai.usage.cache_creation.input_tokens": 10_000,
            },
        },
        {"input": 0.03, "cache_read": 0.009, "cache_write": 0.0375, "output": 0.03, "total": 0.1065},
    ),
    (
        "anthropic long-context tier",
        {"model": "claude-sonnet-4-5", "provider": "anthropic", "input_tokens": 250_000, "output_tokens": 1_000},
        {"input": 1.5, "output": 0.0225, "total": 1.5225},
    ),
    (
        "newest semconv cache_write name",
        {
            "model": "claude-haiku-4-5",
            "provider": "anthropic",
            "input_tokens": 20_000,
            "output_tokens": 500,
            "extra": {"gen_ai.usage.cache_write.input_tokens": 8_000},
        },
        {"input": 0.012, "cache_write": 0.01, "output": 0.0025, "total": 0.0245},
    ),
]


def _span_for(case: dict[str, Any]) -> Any:
    return chat_span(
        case["model"],
        case["input_tokens"],
        case["output_tokens"],
        provider=case.get("provider", "openai"),
        extra=case.get("extra"),
    )


def test_cost_attributes_are_exact_and_unknown_models_are_unpriced(gateway: Gateway, sink: OtlpSink) -> None:
    spans = [_span_for(case) for _, case, _ in COST_CASES]
    unknown = chat_span("acme-finetune-7", 1_000, 100, provider="openai")
    assert post(gateway.http_endpoint, "traces", traces_request([*spans, unknown]), TOKEN) == 200
    received = {s.span.span_id: s.attributes for s in spans_of(sink, {s.trace_id for s in [*spans, unknown]}, 5)}
    for (name, _, expected), span in zip(COST_CASES, spans, strict=True):
        attrs = received[span.span_id]
        for part, usd in expected.items():
            assert attrs[f"llmotel.cost.{part}_usd"] == pytest.approx(usd, abs=1e-9), (name, part, attrs)
        assert round(attrs["llmotel.cost.total_usd"], 2) == round(expected["total"], 2)  # to the cent
        assert attrs["llmotel.cost.match"] == "exact"
        assert attrs["llmotel.cost.price_table.version"]
        assert "llmotel.cost.unpriced" not in attrs
    unknown_attrs = received[unknown.span_id]
    assert unknown_attrs["llmotel.cost.unpriced"] is True
    assert not [k for k in unknown_attrs if k in COST_KEYS], unknown_attrs


def test_cost_metrics_stay_exact_when_tail_sampling_drops_traces(
    collector_binary: Path, sink: OtlpSink, tmp_path: Path, running: list[Collector]
) -> None:
    gateway = Gateway(collector_binary, tmp_path, sink, LLMOTEL_SAMPLING_PERCENT="0")
    running.append(gateway)
    gateway.start_ready()
    cheap = [
        chat_span("gpt-4o-mini", 10_000, 1_000, extra={"gen_ai.usage.cache_read.input_tokens": 2_000})
        for _ in range(40)
    ]
    error = chat_span("gpt-4o-mini", 1_000, 0, error=True)
    slow = chat_span("gpt-4o-mini", 1_000, 100, duration_s=20.0)
    expensive = _span_for(COST_CASES[1][1])
    unknown = chat_span("acme-finetune-7", 1_000, 100)
    everything = [*cheap, error, slow, expensive, unknown]
    for i in range(0, len(everything), 10):
        assert post(gateway.http_endpoint, "traces", traces_request(everything[i : i + 10]), TOKEN) == 200

    # Sampling keeps errors, slow calls, expensive calls and unpriced calls, nothing else.
    kept_ids = {error.span_id, slow.span_id, expensive.span_id, unknown.span_id}
    kept = spans_of(sink, {s.trace_id for s in everything}, len(kept_ids))
    assert {s.span.span_id for s in kept} == kept_ids

    # Cost metrics were computed from every span before sampling, so they are exact.
    cheap_total = 40 * 0.00195
    error_total = 1_000 * 0.15 / 1e6
    slow_total = (1_000 * 0.15 + 100 * 0.60) / 1e6
    expected_total = cheap_total + error_total + slow_total + 0.1065

    def total_usd() -> float:
        return sum(
            v
            for k, v in sink.latest_cumulative_sums("llmotel.cost.usd").items()
            if dict(k).get("service.name") == "chat-api"
        )

    got = wait_for("llmotel.cost.usd totals", total_usd, lambda t: abs(t - expected_total) < 1e-9, timeout=20)
    assert round(got, 2) == round(expected_total, 2)
    by_type: dict[str, float] = {}
    for key, value in sink.latest_cumulative_sums("llmotel.cost.usd").items():
        labels = dict(key)
        by_type[labels["llmotel.cost.token_type"]] = by_type.get(labels["llmotel.cost.token_type"], 0.0) + value
        assert labels["gen_ai.provider.name"] in ("openai", "anthropic")
        assert labels["deployment.environment.name"] == "test"
    assert by_type["cache_write"] == pytest.approx(0.0375, abs=1e-12)
    unpriced = sink.latest_cumulative_sums("llmotel.cost.unpriced_tokens")
    assert sum(unpriced.values()) == 1_100
    assert {dict(k)["gen_ai.request.model"] for k in unpriced} == {"acme-finetune-7"}


def test_gateway_rejects_unauthenticated_senders(gateway: Gateway, sink: OtlpSink) -> None:
    span = chat_span("gpt-4o-mini", 10, 5)
    assert post(gateway.http_endpoint, "traces", traces_request([span]), None) == 401
    assert post(gateway.http_endpoint, "traces", traces_request([span]), "wrong-token") == 401
    with grpc.insecure_channel(gateway.grpc) as channel:
        stub = trace_service_pb2_grpc.TraceServiceStub(channel)  # type: ignore[no-untyped-call]
        with pytest.raises(grpc.RpcError) as rejected:
            stub.Export(traces_request([span]), timeout=5)
        assert rejected.value.code() == grpc.StatusCode.UNAUTHENTICATED
        stub.Export(traces_request([span]), timeout=5, metadata=(("authorization", f"Bearer {TOKEN}"),))
    # Only the authenticated gRPC export arrived.
    got = spans_of(sink, {span.trace_id}, 1)
    assert len(got) == 1


def test_content_is_capped_after_redaction(
    collector_binary: Path, sink: OtlpSink, tmp_path: Path, running: list[Collector]
) -> None:
    gateway = Gateway(collector_binary, tmp_path, sink, LLMOTEL_MAX_CONTENT_BYTES="200")
    running.append(gateway)
    gateway.start_ready()
    key = "sk-proj-" + "Q2xhdWRlRm9yVGVzdGluZ09ubHk0" * 2
    # The key straddles the 200-byte cap: cutting first would leave a stub no rule matches.
    text = "x" * 150 + " " + key + " " + "and some more words " * 40
    span = chat_span("gpt-4o-mini", 10, 5, extra={"gen_ai.input.messages": text})
    assert post(gateway.http_endpoint, "traces", traces_request([span]), TOKEN) == 200
    [got] = spans_of(sink, {span.trace_id}, 1)
    content = got.attributes["gen_ai.input.messages"]
    assert "sk-proj-" not in content and "Q2xhdWRl" not in content
    redacted = text.replace(key, "[REDACTED:OPENAI_KEY]")
    assert content.endswith(f"…[TRUNCATED:{len(redacted)} bytes]")
    assert content.startswith("x" * 150 + " [REDACTED:OPENAI_KEY] ")
    assert got.attributes["llmotel.content.truncated"] is True
    assert got.attributes["llmotel.redaction.count"] == 1


def test_sdk_metrics_pass_to_prometheus_with_environment(gateway: Gateway, sink: OtlpSink) -> None:
    """The SDK's own metrics (token usage histogram) go through unchanged, and a resource
    without deployment.environment.name gets the gateway's default."""
    request = metrics_service_pb2.ExportMetricsServiceRequest()
    rm = request.resource_metrics.add()
    rm.resource.attributes.add(key="service.name").value.string_value = "no-env-app"
    metric = rm.scope_metrics.add().metrics.add()
    metric.name = "gen_ai.client.token.usage"
    metric.unit = "{token}"
    metric.histogram.aggregation_temporality = metrics_pb2.AGGREGATION_TEMPORALITY_CUMULATIVE
    point = metric.histogram.data_points.add()
    point.time_unix_nano = time.time_ns()
    point.count, point.sum = 2, 1500.0
    point.explicit_bounds.extend([1000.0])
    point.bucket_counts.extend([1, 1])
    point.attributes.add(key="gen_ai.token.type").value.string_value = "input"
    assert post(gateway.http_endpoint, "metrics", request, TOKEN) == 200
    [got] = wait_for(
        "the token usage histogram", lambda: sink.metrics("gen_ai.client.token.usage"), lambda m: len(m) >= 1
    )
    assert got.resource["service.name"] == "no-env-app"
    assert got.resource["deployment.environment.name"] == "production"
    assert got.metric.histogram.data_points[0].sum == 1500.0
