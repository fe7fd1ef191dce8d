"""The privacy canary: synthetic personal data and secrets from the shared privacy corpus
(tests/privacy/corpus/positives.jsonl) planted in prompts and in tool-call arguments and results,
sent with content capture on by a real openai/anthropic app under `opentelemetry-instrument`,
through the agent and gateway collectors. No planted value may survive anywhere a backend keeps
data (trace sink span attributes and events, Loki lines, labels and structured metadata,
Prometheus labels), text around the values must, and the redaction counts must match what was
planted.

Run twice: with the SDK's redaction (LLMOTEL_REDACTION=default; placeholders `<ENTITY>`, counted by
the SDK's `llmotel.redactions`) and without it (LLMOTEL_REDACTION=off), where the gateway's
llmredact safety net alone must catch every value (placeholders `[REDACTED:ENTITY]`, counted by the
gateway's own `llmotel_redactions_total{service_name="llmotelcol"}`).
"""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from demo import REPO_ROOT, LLMEndpoints, instrumented_env, run_instrumented
from launcher import Stack

from backends import Loki, Prometheus, get_json, wait_for
from llmotel.standin import StandinServer
from test_stack_pipeline import _by_label, _wait_equal
from trace_sink import ReceivedSpan, TraceSink

CORPUS = REPO_ROOT / "tests" / "privacy" / "corpus" / "positives.jsonl"
# Entities every layer must catch without context words: the structured ones. Context-bound
# entities (passport, driver licence, bearer), IP (strict preset only in the SDK) and PEM blocks
# (multi-line) are covered by tests/privacy and tests/collector.
STRUCTURED_ENTITIES = (
    "EMAIL",
    "KR_PHONE",
    "PHONE",
    "KR_RRN",
    "KR_FRN",
    "KR_BRN",
    "US_SSN",
    "CREDIT_CARD",
    "IBAN",
    "OPENAI_KEY",
    "ANTHROPIC_KEY",
    "AWS_ACCESS_KEY",
    "GITHUB_TOKEN",
    "GOOGLE_API_KEY",
    "SLACK_TOKEN",
    "JWT",
)
NON_PII_KOREAN = "환불 절차와 배송 일정을 한국어로 안내해 주세요."
# Any: the SDKs type these as TypedDicts; the canary passes plain JSON, as apps often do.
LOOKUP_TOOL: Any = {
    "type": "function",
    "function": {
        "name": "lookup_customer",
        "description": "Find a customer record",
        "parameters": {"type": "object", "properties": {"customer_ref": {"type": "string"}}, "required": []},
    },
}
GATEWAY_SERVICE = "llmotelcol"
CANARY_ENVIRONMENT = "e2e-canary"


@dataclass(frozen=True)
class Planted:
    entity: str
    value: str
    text: str  # the corpus sentence around the value
    start: int
    end: int

    @property
    def context(self) -> list[str]:
        """The sentence's text around the value, which must arrive untouched."""
        return [part.strip() for part in (self.text[: self.start], self.text[self.end :]) if len(part.strip()) >= 3]


def planted_values() -> list[Planted]:
    """One corpus sentence per structured entity (Korean where the corpus has one), without
    quotes or backslashes so the values appear verbatim inside JSON-encoded content."""
    chosen: dict[str, Planted] = {}
    for line in CORPUS.read_text().splitlines():
        item = json.loads(line)
        if item["kind"] != "chat" or len(item["spans"]) != 1 or '"' in item["text"] or "\\" in item["text"]:
            continue
        span = item["spans"][0]
        entity = span["entity"]
        if entity not in STRUCTURED_ENTITIES or (entity in chosen and item["lang"] != "ko"):
            continue
        if entity not in chosen or chosen[entity].text.isascii():
            chosen[entity] = Planted(entity, span["value"], item["text"], span["start"], span["end"])
    missing = set(STRUCTURED_ENTITIES) - chosen.keys()
    assert not missing, f"the privacy corpus has no usable sentence for {missing}"
    return [chosen[entity] for entity in STRUCTURED_ENTITIES]


def canary_app() -> None:
    """The app under test, run in its own process under opentelemetry-instrument: an agent turn
    whose prompt, tool-call arguments and tool results all carry planted values."""
    import anthropic
    import openai

    import llmotel

    planted = planted_values()
    first, second = planted[::2], planted[1::2]
    gpt = openai.OpenAI()
    claude = anthropic.Anthropic()
    with llmotel.invoke_workflow("privacy-canary"), llmotel.invoke_agent("canary-agent"):
        prompt = "\n".join(item.text for item in planted) + "\nUse lookup_customer for this customer."
        asked = gpt.chat.completions.create(
            model="gpt-4o-mini",
            messages=[
                {"role": "system", "content": "You are a bank support agent."},
                {"role": "user", "content": prompt},
            ],
            tools=[LOOKUP_TOOL],
        )
        tool_call = (asked.choices[0].message.tool_calls or [])[0]
        with llmotel.execute_tool("lookup_customer", call_id=tool_call.id):
            record = {item.entity.lower(): item.value for item in second}
        arguments = {item.entity.lower(): item.value for item in first}
        gpt.chat.completions.create(
            model="gpt-4o-mini",
            messages=[
                {"role": "user", "content": NON_PII_KOREAN},
                {
                    "role": "assistant",
                    "tool_calls": [
                        {
                            "id": tool_call.id,
                            "type": "function",
                            "function": {"name": "lookup_customer", "arguments": json.dumps(arguments)},
                        }
                    ],
                },
                {"role": "tool", "tool_call_id": tool_call.id, "content": json.dumps(record)},
            ],
            tools=[LOOKUP_TOOL],
        )
        tool_history: list[Any] = [
            {"role": "user", "content": NON_PII_KOREAN},
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": "toolu_canary", "name": "lookup_customer", "input": record}],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "toolu_canary", "content": json.dumps(arguments)}],
            },
        ]
        claude.messages.create(model="claude-haiku-4-5", max_tokens=200, messages=tool_history)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


def _occurrences(value: Any, planted: list[Planted]) -> Counter[str]:
    """Planted values inside `value` (any JSON-like structure), by entity."""
    found: Counter[str] = Counter()
    for text in _strings(value):
        for item in planted:
            found[item.entity] += text.count(item.value)
    return +found


@dataclass(frozen=True)
class CanaryRun:
    mode: str  # LLMOTEL_REDACTION
    service: str
    started: float
    planted: list[Planted]
    per_request: list[Counter[str]]  # planted values in each request's messages, in call order
    gateway_before: dict[str, float]  # the gateway's redaction counter by entity before the run
    spans: list[ReceivedSpan]

    @property
    def planted_total(self) -> Counter[str]:
        return sum(self.per_request, Counter())

    @property
    def placeholder(self) -> str:
        return "<{}>" if self.mode == "default" else "[REDACTED:{}]"

    @property
    def chats(self) -> list[ReceivedSpan]:
        return [span for span in self.spans if span.attributes.get("gen_ai.operation.name") == "chat"]


def _gateway_redactions(prometheus: Prometheus) -> dict[str, float]:
    return _by_label(
        prometheus,
        f'sum by (llmotel_redaction_entity) (llmotel_redactions_total{{service_name="{GATEWAY_SERVICE}"}})',
        "llmotel_redaction_entity",
    )


@pytest.fixture(scope="module", params=["default", "off"])
def canary(request: pytest.FixtureRequest, stack: Stack, trace_sink: TraceSink, prometheus: Prometheus) -> CanaryRun:
    mode = str(request.param)
    service = f"e2e-canary-{mode}-{uuid.uuid4().hex[:8]}"
    planted = planted_values()
    gateway_before = _gateway_redactions(prometheus)
    started = time.time()
    with StandinServer() as standin:
        env = instrumented_env(
            service,
            LLMEndpoints(standin.openai_base_url, standin.anthropic_base_url),
            capture_content="SPAN_AND_EVENT",
            environment=CANARY_ENVIRONMENT,
            extra={
                "LLMOTEL_REDACTION": mode,
                "PYTHONPATH": f"{Path(__file__).parent}:{REPO_ROOT / 'stack'}",
            },
        )
        run_instrumented(["-c", "import test_stack_canary; test_stack_canary.canary_app()"], env)
        requests = standin.requests.snapshot()
    assert len(requests) == 3
    per_request = [_occurrences([r.body.get("system"), r.body["messages"]], planted) for r in requests]
    assert all(sum(found.values()) for found in per_request), "every call must carry planted values"

    def arrived() -> list[ReceivedSpan] | None:
        spans = [s for s in trace_sink.spans() if s.resource_attributes.get("service.name") == service]
        # workflow, agent, three chat calls, one tool execution
        return spans if len(spans) >= 6 else None

    spans = wait_for(f"the canary trace of {service}", arrived)
    return CanaryRun(mode, service, started, planted, per_request, gateway_before, spans)


def _loki_everything(loki: Loki, run: CanaryRun) -> list[dict[str, Any]]:
    def events() -> list[dict[str, Any]] | None:
        streams = loki.streams(f'{{service_name="{run.service}"}}', run.started - 60, time.time() + 60)
        content = [s for s in streams for _ in s["values"] if "gen_ai_input_messages" in s["stream"]]
        return streams if len(content) >= len(run.per_request) else None

    return wait_for(f"the canary's content events in Loki ({run.service})", events)


def _survivors(value: Any, run: CanaryRun) -> list[str]:
    return sorted(
        f"{item.entity}: {item.value}" for item in run.planted if item.entity in _occurrences(value, run.planted)
    )


def test_no_planted_value_reaches_the_trace_store(canary: CanaryRun) -> None:
    exported = [(s.name, s.attributes, s.events, s.resource_attributes) for s in canary.spans]
    assert not _survivors(exported, canary)
    assert len(canary.chats) == len(canary.per_request)


def test_no_planted_value_reaches_loki(loki: Loki, canary: CanaryRun) -> None:
    streams = _loki_everything(loki, canary)  # labels, structured metadata and log lines
    assert not _survivors(streams, canary)
    label_values = {
        label: get_json(loki.base_url, f"/loki/api/v1/label/{label}/values").get("data", [])
        for label in get_json(loki.base_url, "/loki/api/v1/labels").get("data", [])
    }
    assert not _survivors(label_values, canary)


def test_no_planted_value_in_prometheus_labels(prometheus: Prometheus, canary: CanaryRun) -> None:
    wait_for(
        "the canary's metrics",
        lambda: (
            prometheus.query(f'gen_ai_client_operation_duration_seconds_count{{service_name="{canary.service}"}}')
            or None
        ),
    )
    labels = get_json(prometheus.base_url, "/api/v1/labels")["data"]
    values = {label: get_json(prometheus.base_url, f"/api/v1/label/{label}/values")["data"] for label in labels}
    assert not _survivors(values, canary)


def test_text_around_the_values_arrives_intact(loki: Loki, canary: CanaryRun) -> None:
    prompt_span = next(s for s in canary.chats if "Use lookup_customer" in s.attributes["gen_ai.input.messages"])
    content = prompt_span.attributes["gen_ai.input.messages"]
    for item in canary.planted:
        assert all(part in content for part in item.context), f"{item.entity}: context lost in {content}"
        assert canary.placeholder.format(item.entity) in content, f"{item.entity} not replaced by its placeholder"
    for chat in canary.chats:
        if "Use lookup_customer" not in chat.attributes["gen_ai.input.messages"]:
            assert NON_PII_KOREAN in chat.attributes["gen_ai.input.messages"]
            assert "lookup_customer" in chat.attributes["gen_ai.input.messages"]
    events = [
        stream["stream"]["gen_ai_input_messages"]
        for stream in _loki_everything(loki, canary)
        if "gen_ai_input_messages" in stream["stream"]
    ]
    assert sorted(events) == sorted(chat.attributes["gen_ai.input.messages"] for chat in canary.chats)


def test_span_redaction_counts_match_what_was_planted(canary: CanaryRun) -> None:
    got = sorted(int(chat.attributes.get("llmotel.redaction.count", 0)) for chat in canary.chats)
    assert got == sorted(sum(found.values()) for found in canary.per_request)


def test_redaction_metrics_match_what_was_planted(prometheus: Prometheus, canary: CanaryRun) -> None:
    planted = {entity: float(count) for entity, count in canary.planted_total.items()}
    assert planted.keys() == set(STRUCTURED_ENTITIES)
    selector = f'service_name="{canary.service}", deployment_environment_name="{CANARY_ENVIRONMENT}"'
    sdk_query = f"sum by (llmotel_redaction_entity) (llmotel_redactions_total{{{selector}}})"
    if canary.mode == "default":
        _wait_equal(
            "the SDK's redaction counter", lambda: _by_label(prometheus, sdk_query, "llmotel_redaction_entity"), planted
        )
        return
    # SDK redaction off: the gateway found every value twice, in the span and in the event.
    expected = {entity: 2 * count for entity, count in planted.items()}

    def gateway_delta() -> dict[str, float]:
        now = _gateway_redactions(prometheus)
        delta = {entity: now.get(entity, 0.0) - canary.gateway_before.get(entity, 0.0) for entity in now}
        return {entity: count for entity, count in delta.items() if count}

    _wait_equal("the gateway's redaction counter (delta)", gateway_delta, expected)
    assert not prometheus.query(sdk_query), "with LLMOTEL_REDACTION=off the SDK must not count redactions"
