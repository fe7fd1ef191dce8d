"""Agent -> gateway paths through the real binaries: TLS, gateway pool, outage without loss."""

from __future__ import annotations

import ssl
import subprocess
import time
import urllib.error
from pathlib import Path

import pytest
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from conftest import TOKEN, Agent, Collector, Gateway, free_port
from genai import chat_span, post, traces_request
from otlp_sink import OtlpSink, wait_for

# gpt-4o-mini, 10k input (2k cached), 1k output: see test_gateway.COST_CASES.
UNIT_COST = 0.00195


def unit_span() -> Span:
    return chat_span("gpt-4o-mini", 10_000, 1_000, extra={"gen_ai.usage.cache_read.input_tokens": 2_000})


def self_signed_cert(directory: Path) -> tuple[Path, Path]:
    """A throwaway CA-less self-signed certificate for 127.0.0.1 / localhost."""
    cert, key = directory / "gateway.crt", directory / "gateway.key"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def test_agent_to_gateway_over_tls(
    collector_binary: Path, sink: OtlpSink, tmp_path: Path, running: list[Collector]
) -> None:
    cert, key = self_signed_cert(tmp_path)
    gateway = Gateway(
        collector_binary, tmp_path, sink, LLMOTEL_GATEWAY_TLS_CERT_FILE=str(cert), LLMOTEL_GATEWAY_TLS_KEY_FILE=str(key)
    )
    running.append(gateway)
    gateway.start_ready()
    agent = Agent(collector_binary, tmp_path, [gateway], ["agent-tls.yaml"], LLMOTEL_GATEWAY_CA_FILE=str(cert))
    running.append(agent)
    agent.start_ready()

    spans = [unit_span() for _ in range(5)]
    assert post(agent.http_endpoint, "traces", traces_request(spans), None) == 200
    got = wait_for(
        "spans through agent -> TLS gateway -> sink",
        lambda: [s for s in sink.spans() if s.span.trace_id in {x.trace_id for x in spans}],
        lambda g: len(g) == 5,
    )
    assert all(s.attributes["llmotel.cost.total_usd"] == pytest.approx(UNIT_COST, abs=1e-12) for s in got)

    # The gateway speaks TLS only: a client that does not trust the certificate fails the
    # handshake, one that trusts it is let in with the token.
    with pytest.raises(urllib.error.URLError):
        post(
            gateway.http_endpoint, "traces", traces_request([unit_span()]), TOKEN, context=ssl.create_default_context()
        )
    trusted = ssl.create_default_context(cafile=str(cert))
    assert post(gateway.http_endpoint, "traces", traces_request([unit_span()]), TOKEN, context=trusted) == 200
    assert post(gateway.http_endpoint, "traces", traces_request([unit_span()]), None, context=trusted) == 401


def test_agent_pool_routes_each_trace_to_one_gateway(
    collector_binary: Path, tmp_path: Path, running: list[Collector]
) -> None:
    sinks = [OtlpSink(port=0).start(), OtlpSink(port=0).start()]
    try:
        gateways = [Gateway(collector_binary, tmp_path, s, name=f"gateway-{i}") for i, s in enumerate(sinks)]
        for gw in gateways:
            running.append(gw)
            gw.start_ready()
        agent = Agent(collector_binary, tmp_path, gateways, ["agent-pool.yaml"])
        running.append(agent)
        agent.start_ready()

        traces: dict[bytes, int] = {}
        for _ in range(30):
            first = unit_span()
            second = unit_span()
            second.trace_id = first.trace_id  # two spans of one trace, sent in separate requests
            traces[first.trace_id] = 2
            assert post(agent.http_endpoint, "traces", traces_request([first]), None) == 200
            assert post(agent.http_endpoint, "traces", traces_request([second]), None) == 200
        wait_for("all 60 spans across the pool", lambda: sum(len(s.spans()) for s in sinks), lambda n: n >= 60)
        per_gateway = [{sp.span.trace_id for sp in s.spans()} for s in sinks]
        assert not per_gateway[0] & per_gateway[1], "a trace was split across gateways"
        assert per_gateway[0] and per_gateway[1], "the pool did not spread traces"
        assert per_gateway[0] | per_gateway[1] == set(traces)
    finally:
        for s in sinks:
            s.stop()


def test_gateway_outage_loses_nothing_and_counts_cost_once(
    collector_binary: Path, sink: OtlpSink, tmp_path: Path, running: list[Collector]
) -> None:
    gateway = Gateway(collector_binary, tmp_path, sink)  # configured, not started: the outage
    agent = Agent(collector_binary, tmp_path, [gateway], LLMOTEL_AGENT_METRICS_PORT=str(free_port()))
    running.append(agent)
    agent.start_ready()

    n = 300
    spans = [unit_span() for _ in range(n)]
    for i in range(0, n, 50):
        assert post(agent.http_endpoint, "traces", traces_request(spans[i : i + 50]), None) == 200
    # The agent itself restarts during the outage: the queue is on disk, not in memory.
    time.sleep(1.0)
    agent.stop()
    agent.start_ready()

    running.append(gateway)
    gateway.start_ready()
    ids = {s.span_id for s in spans}
    got = wait_for(
        f"all {n} spans after the gateway came back",
        lambda: [s.span.span_id for s in sink.spans() if s.span.span_id in ids],
        lambda g: len(set(g)) == n,
        timeout=90,
    )
    assert len(got) == n, f"{len(got) - len(set(got))} spans delivered twice"

    def total_usd() -> float:
        return sum(
            v
            for k, v in sink.latest_cumulative_sums("llmotel.cost.usd").items()
            if dict(k).get("service.name") == "chat-api"
        )

    expected = n * UNIT_COST
    total = wait_for("llmotel.cost.usd for every span once", total_usd, lambda t: abs(t - expected) < 1e-9, timeout=20)
    time.sleep(2.5)  # two more flushes: nothing arrives late and gets counted again
    assert total_usd() == pytest.approx(total, abs=1e-12)
