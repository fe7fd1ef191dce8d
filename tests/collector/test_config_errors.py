"""Price table hot reload and malformed configuration, through the real gateway binary."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import pytest
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from conftest import CONFIG_DIR, PRICE_TABLE, TOKEN, Collector, Gateway
from genai import chat_span, post, traces_request
from otlp_sink import OtlpSink, wait_for

GPT_4O_MINI_ROW = "      - effective_from: 2024-07-18\n        input: 0.15\n"


def cached_call() -> Span:
    return chat_span("gpt-4o-mini", 10_000, 1_000, extra={"gen_ai.usage.cache_read.input_tokens": 2_000})


def test_price_table_hot_reload_keeps_last_good_table(
    collector_binary: Path, sink: OtlpSink, tmp_path: Path, running: list[Collector]
) -> None:
    table = tmp_path / "prices.yaml"
    original = PRICE_TABLE.read_text(encoding="utf-8")
    assert GPT_4O_MINI_ROW in original, "the seed table changed shape; update this test's edit"
    table.write_text(original, encoding="utf-8")
    gateway = Gateway(
        collector_binary, tmp_path, sink, LLMOTEL_PRICE_TABLE=str(table), LLMOTEL_PRICE_RELOAD_INTERVAL="200ms"
    )
    running.append(gateway)
    gateway.start_ready()

    def send_and_price() -> tuple[float, str]:
        span = cached_call()
        assert post(gateway.http_endpoint, "traces", traces_request([span]), TOKEN) == 200
        got = wait_for(
            "the priced span",
            lambda: [s for s in sink.spans() if s.span.span_id == span.span_id],
            lambda g: len(g) == 1,
        )
        return got[0].attributes["llmotel.cost.total_usd"], got[0].attributes["llmotel.cost.price_table.version"]

    before, version = send_and_price()
    assert before == pytest.approx(0.00195, abs=1e-12)

    # A price correction: input 0.15 -> 0.30 per 1M, with a new table version.
    edited = original.replace(GPT_4O_MINI_ROW, GPT_4O_MINI_ROW.replace("0.15", "0.30"))
    edited = re.sub(r'^version: "[^"]*"', 'version: "reload-test.2"', edited, count=1, flags=re.M)
    table.write_text(edited, encoding="utf-8")
    time.sleep(1.0)
    after, new_version = send_and_price()
    assert new_version == "reload-test.2" != version
    assert after == pytest.approx((8_000 * 0.30 + 2_000 * 0.075 + 1_000 * 0.60) / 1e6, abs=1e-12)

    # A broken edit is rejected at reload: the gateway keeps pricing with the last good table.
    table.write_text(edited.replace("models:\n", "models: [\n", 1), encoding="utf-8")
    time.sleep(1.0)
    still, still_version = send_and_price()
    assert (still, still_version) == (after, "reload-test.2")
    assert "keeping the last good table" in gateway.log()
    assert str(table) in gateway.log()

    # Cost counters were never re-priced: the first call stays at the old price.
    def total() -> float:
        return sum(
            v
            for k, v in sink.latest_cumulative_sums("llmotel.cost.usd").items()
            if dict(k).get("service.name") == "chat-api"
        )

    wait_for("cost total of the three calls", total, lambda t: abs(t - (before + 2 * after)) < 1e-12, timeout=15)


def _start_failure(binary: Path, tmp_path: Path, overlay: str, env: dict[str, str]) -> str:
    """Run the gateway config with an overlay that breaks it; return its output (it must fail)."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(overlay, encoding="utf-8")
    proc = subprocess.run(
        [str(binary), "validate", "--config", str(CONFIG_DIR / "gateway.yaml"), "--config", str(bad)],
        env={"PATH": "/usr/bin:/bin", "LLMOTEL_PRICE_TABLE": str(PRICE_TABLE), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0, proc.stdout + proc.stderr
    return proc.stderr.strip()


def test_malformed_redaction_config_names_the_key(collector_binary: Path, tmp_path: Path) -> None:
    out = _start_failure(
        collector_binary,
        tmp_path,
        "processors:\n  llmredact:\n    extra_rules:\n      - entity: EMP\n        pattern: '(?<!x)E[0-9]+'\n",
        {},
    )
    assert "extra_rules[0].pattern" in out and "RE2" in out, out
    out = _start_failure(collector_binary, tmp_path, "processors:\n  llmredact:\n    disabled_entities: [NOPE]\n", {})
    assert "disabled_entities[0]" in out, out


def test_malformed_price_table_is_rejected_at_start_with_file_and_line(collector_binary: Path, tmp_path: Path) -> None:
    table = tmp_path / "prices.yaml"
    lines = PRICE_TABLE.read_text(encoding="utf-8").splitlines()
    broken = next(i for i, line in enumerate(lines) if line.strip().startswith("input:"))
    lines[broken] = lines[broken].replace("input:", "input: [")
    table.write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = subprocess.run(
        [str(collector_binary), "--config", str(CONFIG_DIR / "gateway.yaml")],
        env={
            "PATH": "/usr/bin:/bin",
            "LLMOTEL_PRICE_TABLE": str(table),
            "LLMOTEL_STORAGE_DIR": str(tmp_path),
            "LLMOTEL_GATEWAY_OTLP_GRPC_ENDPOINT": "127.0.0.1:0",
            "LLMOTEL_GATEWAY_OTLP_HTTP_ENDPOINT": "127.0.0.1:0",
            "LLMOTEL_GATEWAY_HEALTH_ENDPOINT": "127.0.0.1:0",
            "LLMOTEL_GATEWAY_METRICS_PORT": "0",
            "LLMOTEL_GATEWAY_PPROF_ENDPOINT": "127.0.0.1:0",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0
    assert f"{table}:" in proc.stderr, proc.stderr[-2000:]
