"""Content capture modes, the size cap, bad configuration, and the latest-semconv naming mode."""

from __future__ import annotations

import json

import openai
import pytest

from llm_support import GPT, point
from llmotel.config import Settings

MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "My email is kim@example.com"}]
CONTENT_KEYS = {"gen_ai.input.messages", "gen_ai.output.messages"}


@pytest.mark.parametrize(
    ("mode", "on_span", "on_event"),
    [
        (None, False, False),
        ("NO_CONTENT", False, False),
        ("SPAN_ONLY", True, False),
        ("EVENT_ONLY", False, True),
        ("SPAN_AND_EVENT", True, True),
        ("true", True, False),
    ],
)
def test_capture_modes(monkeypatch, instrument, openai_client: openai.OpenAI, mode, on_span, on_event) -> None:
    if mode is None:
        monkeypatch.delenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", raising=False)
    else:
        monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", mode)
    telemetry = instrument()
    completion = openai_client.chat.completions.create(model=GPT, messages=MESSAGES)
    attributes = telemetry.only_span().attributes
    assert CONTENT_KEYS <= set(attributes) if on_span else not CONTENT_KEYS & set(attributes)
    events = telemetry.events("gen_ai.client.inference.operation.details")
    assert len(events) == (1 if on_event else 0)
    if on_span:
        assert json.loads(attributes["gen_ai.input.messages"])[0] == {
            "role": "system",
            "parts": [{"type": "text", "content": "Be brief."}],
        }
        output = json.loads(attributes["gen_ai.output.messages"])
        assert output == [
            {
                "role": "assistant",
                "parts": [{"type": "text", "content": completion.choices[0].message.content}],
                "finish_reason": "stop",
            }
        ]
    if on_event:
        event = events[0]
        assert event.attributes["gen_ai.response.id"] == completion.id
        assert json.loads(event.attributes["gen_ai.output.messages"])[0]["parts"][0]["content"]
        assert event.span_id == telemetry.only_span().context.span_id


def test_content_size_cap_keeps_json_valid(monkeypatch, instrument, openai_client: openai.OpenAI) -> None:
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "SPAN_ONLY")
    monkeypatch.setenv("LLMOTEL_CONTENT_MAX_BYTES", "600")
    telemetry = instrument()
    long_text = "긴 문장입니다. " * 400
    openai_client.chat.completions.create(model=GPT, messages=[{"role": "user", "content": long_text}])
    attributes = telemetry.only_span().attributes
    captured = attributes["gen_ai.input.messages"]
    assert len(captured.encode()) <= 600
    assert json.loads(captured)[0]["parts"][0]["content"].startswith("긴 문장입니다.")
    assert attributes["llmotel.content.truncated"] is True


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "SPANS"),
        ("LLMOTEL_CONTENT_MAX_BYTES", "-3"),
    ],
)
def test_bad_setting_names_the_variable(name: str, value: str) -> None:
    with pytest.raises(ValueError, match=name):
        Settings.from_env({name: value})


def test_latest_semconv_mode(monkeypatch, instrument, anthropic_client) -> None:
    monkeypatch.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", "http,gen_ai_latest_experimental")
    telemetry = instrument()
    message = anthropic_client.messages.create(
        model="claude-haiku-4-5",
        max_tokens=100,
        system=[{"type": "text", "text": "cache me", "cache_control": {"type": "ephemeral"}}],
        messages=[{"role": "user", "content": "hello"}],
    )
    attributes = telemetry.only_span().attributes
    assert "gen_ai.usage.cache_creation.input_tokens" not in attributes
    assert message.usage.cache_creation_input_tokens > 0
    assert attributes["gen_ai.usage.cache_write.input_tokens"] == message.usage.cache_creation_input_tokens
    metrics = telemetry.metrics()
    assert "gen_ai.client.token.usage" not in metrics
    assert "gen_ai.client.operation.duration" not in metrics
    assert point(metrics["gen_ai.client.inference.duration"]).count == 1
    output = point(metrics["gen_ai.client.inference.usage.output_tokens"], **{"gen_ai.token.modality": "text"})
    assert output.value == message.usage.output_tokens


def test_latest_mode_failed_call_records_zero_tokens(monkeypatch, instrument, openai_client) -> None:
    monkeypatch.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", "gen_ai_latest_experimental")
    telemetry = instrument()
    with pytest.raises(openai.RateLimitError):
        openai_client.chat.completions.create(model="standin-error-429", messages=MESSAGES)
    usage = telemetry.metrics()["gen_ai.client.inference.usage.input_tokens"]
    assert point(usage, **{"gen_ai.token.modality": "unknown"}).value == 0


def test_captured_content_is_redacted_and_counted(monkeypatch, instrument, anthropic_client) -> None:
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "SPAN_AND_EVENT")
    telemetry = instrument()
    planted = {
        "email": "kim.minsu@example.com",
        "phone": "010-1234-5678",
        "rrn": "900101-1234568",
        "key": "sk-ant-api03-" + "A" * 40,
    }
    prompt = f"제 이메일은 {planted['email']}이고 전화는 {planted['phone']}로 주세요. 주민번호 {planted['rrn']}."
    tools = [{"name": "save_contact", "description": "save", "input_schema": {"type": "object", "properties": {}}}]
    anthropic_client.messages.create(
        model="claude-haiku-4-5",
        max_tokens=100,
        system=f"Never reveal {planted['key']}",
        messages=[{"role": "user", "content": prompt + " then save_contact"}],
        tools=tools,
    )
    span = telemetry.only_span()
    exported = json.dumps(dict(span.attributes), ensure_ascii=False)
    exported += json.dumps([dict(e.attributes) for e in telemetry.events()], ensure_ascii=False)
    for value in planted.values():
        assert value not in exported
    assert "<EMAIL>" in span.attributes["gen_ai.input.messages"]
    assert "이메일은" in span.attributes["gen_ai.input.messages"]  # the text around it is intact
    assert span.attributes["llmotel.redaction.count"] >= 4
    assert span.attributes["gen_ai.usage.input_tokens"] > 0  # usage attributes are never touched
    redactions = {p.attributes["llmotel.redaction.entity"]: p.value for p in telemetry.metrics()["llmotel.redactions"]}
    assert redactions["EMAIL"] >= 1 and redactions["KR_RRN"] >= 1


def test_bad_redaction_setting_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="LLMOTEL_REDACTION"):
        Settings.from_env({"LLMOTEL_REDACTION": "paranoid"})


def test_sampled_out_call_still_records_metrics_and_events(monkeypatch, instrument, openai_client) -> None:
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "always_off")
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "EVENT_ONLY")
    telemetry = instrument()
    completion = openai_client.chat.completions.create(model=GPT, messages=MESSAGES)
    assert telemetry.spans() == []
    assert point(telemetry.metrics()["gen_ai.client.operation.duration"]).count == 1
    (event,) = telemetry.events("gen_ai.client.inference.operation.details")
    assert event.attributes["gen_ai.response.id"] == completion.id
    assert "<EMAIL>" in event.attributes["gen_ai.input.messages"]
