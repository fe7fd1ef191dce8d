"""End to end: GenAI telemetry sent to the agent collector must arrive, exactly, in Prometheus and
Loki after the gateway has redacted and priced it. Every assertion reads a backend's HTTP API.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable

import pytest
from launcher import Stack

from backends import Loki, Prometheus, wait_for
from genai_telemetry import (
    ENVIRONMENT,
    PII_EMAIL,
    SERVICE_NAME,
    UNPRICED_MODEL,
    SentTelemetry,
    expected_cost_usd,
    is_priced,
)
from trace_sink import ReceivedSpan, TraceSink

SELECTOR = f'service_name="{SERVICE_NAME}", deployment_environment_name="{ENVIRONMENT}"'
Sent = tuple[SentTelemetry, float]


def _by_label(prometheus: Prometheus, expr: str, label: str, digits: int = 0) -> dict[str, float]:
    """`sum by (label)` results as label value -> value rounded to `digits`."""
    return {
        series["metric"].get(label, ""): round(float(series["value"][1]), digits) for series in prometheus.query(expr)
    }


def _wait_equal(describe: str, read: Callable[[], object], expected: object) -> None:
    """Waits until read() == expected; on timeout the assertion shows the last value read."""
    last: list[object] = []

    def probe() -> bool | None:
        last[:] = [read()]
        return True if last[0] == expected else None

    try:
        wait_for(describe, probe)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; expected {expected!r}, last read {last[0]!r}") from None


def test_every_component_is_running(stack: Stack) -> None:
    assert sorted(stack.running()) == ["agent", "gateway", "loki", "prometheus"]


def test_metric_names_follow_the_otlp_translation(prometheus: Prometheus, sent: Sent) -> None:
    expected = {
        "gen_ai_client_operation_duration_seconds_bucket",
        "gen_ai_client_operation_duration_seconds_count",
        "gen_ai_client_token_usage_bucket",
        "gen_ai_client_token_usage_sum",
        "gen_ai_client_operation_time_to_first_chunk_seconds_bucket",
        "gen_ai_client_operation_time_per_output_chunk_seconds_bucket",
        "llmotel_cost_usd_total",
        "llmotel_cost_unpriced_tokens_total",
        "llmotel_redactions_total",
    }

    def present() -> set[str] | None:
        series = prometheus.query('group by (__name__) ({__name__=~"gen_ai_.+|llmotel_.+"})')
        names = {item["metric"]["__name__"] for item in series}
        return names if expected <= names else None

    wait_for(f"metric names {sorted(expected)}", present)


def test_request_counts_match_the_calls(prometheus: Prometheus, sent: Sent) -> None:
    telemetry, _ = sent
    expected = dict(Counter(call.request_model for call in telemetry.calls))
    _wait_equal(
        "request counts per model",
        lambda: _by_label(
            prometheus,
            f"sum by (gen_ai_request_model) (gen_ai_client_operation_duration_seconds_count{{{SELECTOR}}})",
            "gen_ai_request_model",
        ),
        expected,
    )


def test_errors_are_counted_by_type(prometheus: Prometheus, sent: Sent) -> None:
    telemetry, _ = sent
    expected = dict(Counter(call.error_type for call in telemetry.calls if call.error_type))
    _wait_equal(
        "error counts per error.type",
        lambda: _by_label(
            prometheus,
            f'sum by (error_type) (gen_ai_client_operation_duration_seconds_count{{{SELECTOR}, error_type!=""}})',
            "error_type",
        ),
        expected,
    )


def test_token_sums_match_the_calls(prometheus: Prometheus, sent: Sent) -> None:
    telemetry, _ = sent
    expected = {
        "input": sum(call.input_tokens for call in telemetry.succeeded),
        "output": sum(call.output_tokens for call in telemetry.succeeded),
    }
    _wait_equal(
        "token sums per gen_ai.token.type",
        lambda: _by_label(
            prometheus,
            f"sum by (gen_ai_token_type) (gen_ai_client_token_usage_sum{{{SELECTOR}}})",
            "gen_ai_token_type",
        ),
        expected,
    )


def test_cost_totals_match_the_price_table_to_the_cent(prometheus: Prometheus, sent: Sent) -> None:
    telemetry, _ = sent
    expected: dict[str, float] = {}
    for call in telemetry.succeeded:
        if is_priced(call):
            expected[call.request_model] = expected.get(call.request_model, 0.0) + expected_cost_usd(call)
    assert expected, "the dataset must contain priced calls"
    _wait_equal(
        "cost per model",
        lambda: _by_label(
            prometheus,
            f'sum by (gen_ai_request_model) (llmotel_cost_usd_total{{service_name="{SERVICE_NAME}"}})',
            "gen_ai_request_model",
            digits=2,
        ),
        {model: round(cost, 2) for model, cost in expected.items()},
    )
    # Exact to a millionth of a dollar as well: rounding to the cent hides little at these volumes.
    total = prometheus.scalar(f'sum(llmotel_cost_usd_total{{service_name="{SERVICE_NAME}"}})')
    assert total == pytest.approx(sum(expected.values()), abs=1e-6)


def test_unpriced_tokens_are_counted(prometheus: Prometheus, sent: Sent) -> None:
    telemetry, _ = sent
    unpriced = [call for call in telemetry.succeeded if not is_priced(call)]
    assert {call.request_model for call in unpriced} == {UNPRICED_MODEL}
    _wait_equal(
        "unpriced tokens",
        lambda: round(
            prometheus.scalar(
                "sum(llmotel_cost_unpriced_tokens_total"
                f'{{service_name="{SERVICE_NAME}", gen_ai_request_model="{UNPRICED_MODEL}"}})'
            )
            or 0
        ),
        sum(call.input_tokens + call.output_tokens for call in unpriced),
    )


def test_redactions_are_counted(prometheus: Prometheus, sent: Sent) -> None:
    telemetry, _ = sent
    _wait_equal(
        "llmotel_redactions_total",
        lambda: round(prometheus.scalar(f"sum(llmotel_redactions_total{{{SELECTOR}}})") or 0),
        sum(call.redactions for call in telemetry.calls),
    )


def test_latency_exemplars_point_at_sent_traces(prometheus: Prometheus, sent: Sent) -> None:
    telemetry, started = sent

    def exemplar_trace_ids() -> set[str] | None:
        found = {
            labels["trace_id"]
            for series in prometheus.exemplars(
                f"gen_ai_client_operation_duration_seconds_bucket{{{SELECTOR}}}", started - 60, time.time() + 60
            )
            for labels in (exemplar["labels"] for exemplar in series["exemplars"])
            if "trace_id" in labels
        }
        return found or None

    found = wait_for("exemplars on the duration histogram", exemplar_trace_ids)
    assert found <= set(telemetry.trace_ids), (
        f"exemplars name traces that were not sent: {found - set(telemetry.trace_ids)}"
    )


def _log_records(loki: Loki, started: float) -> list[dict[str, str]]:
    """Every log record of the test service, as its labels and structured metadata."""
    streams = loki.streams(f'{{service_name="{SERVICE_NAME}"}}', started - 60, time.time() + 60)
    return [stream["stream"] for stream in streams for _ in stream["values"]]


def test_content_events_reach_loki_redacted(loki: Loki, sent: Sent) -> None:
    telemetry, started = sent
    expected = sum(1 for call in telemetry.calls if call.prompt is not None)

    def content_events() -> list[dict[str, str]] | None:
        found = [record for record in _log_records(loki, started) if "gen_ai_input_messages" in record]
        return found if len(found) >= expected else None

    events = wait_for(f"{expected} content events in Loki", content_events)
    assert len(events) == expected
    assert PII_EMAIL not in json.dumps(events), "the collector's redaction must remove the e-mail before Loki"
    redacted = [event for event in events if "invoice" in event["gen_ai_input_messages"]]
    assert redacted and all(int(event["llmotel_redaction_count"]) >= 1 for event in redacted)
    assert all(event["trace_id"] in telemetry.trace_ids for event in events), "events keep their trace ids"


def test_exception_events_reach_loki(loki: Loki, sent: Sent) -> None:
    telemetry, started = sent
    expected = Counter(call.error_type for call in telemetry.calls if call.error_type)

    def error_types() -> Counter[str] | None:
        found = Counter(
            record["error_type"]
            for record in _log_records(loki, started)
            if "error_type" in record and int(record["severity_number"]) >= 13
        )
        return found if found == expected else None

    wait_for(f"exception events {dict(expected)} in Loki", error_types)


def test_gateway_exports_priced_redacted_traces(trace_sink: TraceSink, sent: Sent) -> None:
    """What the gateway sends to Tempo's OTLP port, after tail sampling: every failed, slow (over
    10 s), expensive (0.05 USD or more) and unpriced call, with cost attributes and structure."""
    telemetry, _ = sent
    calls_by_trace = dict(zip(telemetry.trace_ids, telemetry.calls))
    must_keep = {
        trace_id
        for trace_id, call in calls_by_trace.items()
        if call.error_type or call.duration_s > 10 or expected_cost_usd(call) >= 0.05 or not is_priced(call)
    }

    def kept_chat_spans() -> dict[str, ReceivedSpan] | None:
        # Other tests of the session send chat spans of their own services to the same sink.
        chats = {
            span.trace_id: span
            for span in trace_sink.spans()
            if span.name.startswith("chat ") and span.resource_attributes.get("service.name") == SERVICE_NAME
        }
        return chats if must_keep <= chats.keys() else None

    chats = wait_for(f"{len(must_keep)} sampled traces at the trace endpoint", kept_chat_spans)
    for trace_id, span in chats.items():
        call = calls_by_trace[trace_id]
        if call.error_type is not None:
            continue
        if is_priced(call):
            assert span.attributes["llmotel.cost.total_usd"] == pytest.approx(expected_cost_usd(call), abs=1e-9)
            assert span.attributes["llmotel.cost.price_id"]
        else:
            assert span.attributes["llmotel.cost.unpriced"] is True
            assert "llmotel.cost.total_usd" not in span.attributes
    agent_spans = [span for span in trace_sink.spans() if span.trace_id == telemetry.agent_trace_id]
    parents = [span for span in agent_spans if span.name.startswith("invoke_agent")]
    children = [span for span in agent_spans if span.name.startswith("chat ")]
    assert len(parents) == 1 and len(children) == 1, agent_spans
    assert children[0].parent_span_id == parents[0].span_id
    assert PII_EMAIL not in repr(trace_sink.spans())
