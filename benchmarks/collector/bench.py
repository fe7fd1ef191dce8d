"""Spans/s per core through llmotel's collector pipelines versus plain OTLP pass-through.

Three configs run on the same llmotelcol binary in the same run, alternating, on the same
pre-encoded requests:
  passthrough  receiver -> exporter (passthrough.yaml), the baseline
  enrich       the same plus llmredact + llmcost + the cost connector (enrich.yaml): the cost
               of llmotel's redaction and cost enrichment, which the 50% bar applies to
  gateway      the shipped collector/config/gateway.yaml unchanged (adds auth, tail sampling,
               span metrics, persistent queues on disk, ...), reported beside them

Throughput is counted in CPU time of the collector process (user + system, from
/proc), minus its idle CPU rate, so the shared machine's load does not distort it. Reports peak
RSS (VmHWM) of each run too.

    LLMOTEL_COLLECTOR_BIN=... python benchmarks/collector/bench.py [--spans 20000] [--rounds 2]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "collector"))

from opentelemetry.proto.trace.v1.trace_pb2 import Span  # noqa: E402

from conftest import CONFIG_DIR, PRICE_TABLE, TOKEN, free_port  # noqa: E402
from genai import chat_span, messages, traces_request  # noqa: E402
from otlp_sink import OtlpSink  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")
BAR = 0.5  # the full pipeline must keep at least half of pass-through throughput
MODELS = [
    ("gpt-4o-mini", "openai"),
    ("gpt-4o", "openai"),
    ("claude-sonnet-4-5", "anthropic"),
    ("claude-haiku-4-5", "anthropic"),
    ("acme-finetune-7", "openai"),
]
PROSE = (
    "Summarise the attached quarterly report for the board. Focus on revenue growth, churn, and the "
    "three largest risks; keep it under two hundred words and use plain language. 매출 성장과 해지율, "
    "주요 위험 세 가지를 중심으로 요약해 주세요. "
)


def genai_spans(count: int, content_bytes: int, rng: random.Random) -> list[Span]:
    """Chat spans with about content_bytes of prompt+completion; one in ten carries PII."""
    spans: list[Span] = []
    for i in range(count):
        model, provider = MODELS[i % len(MODELS)]
        extra: dict[str, object] = {"gen_ai.usage.cache_read.input_tokens": rng.randint(0, 500)}
        if content_bytes:
            prompt = (PROSE * (content_bytes // len(PROSE.encode()) + 1))[: content_bytes * 2 // 3]
            if i % 10 == 0:
                prompt += " Contact jane.doe@example.com or 010-1234-5678."
            extra["gen_ai.input.messages"] = messages("user", prompt)
            extra["gen_ai.output.messages"] = messages("assistant", PROSE[: content_bytes // 3])
        spans.append(chat_span(model, rng.randint(500, 4000), rng.randint(50, 800), provider=provider, extra=extra))
    return spans


def encode_batches(spans: list[Span], per_request: int) -> list[bytes]:
    return [traces_request(spans[i : i + per_request]).SerializeToString() for i in range(0, len(spans), per_request)]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@dataclass
class Result:
    mode: str
    content_bytes: int
    spans: int
    cpu_s: float
    spans_per_cpu_s: float
    wall_s: float
    peak_rss_mib: float


def run(
    binary: str, mode: str, batches: list[bytes], spans_per_request: int, content_bytes: int, overlays: list[str]
) -> Result:
    sink = OtlpSink(port=0, decode=False).start()
    http_port, health = free_port(), f"127.0.0.1:{free_port()}"
    pprof = os.environ.get("BENCH_PPROF_ENDPOINT", f"127.0.0.1:{free_port()}")
    with tempfile.TemporaryDirectory() as tmp:
        if mode in ("passthrough", "enrich"):
            configs = [str(Path(__file__).with_name(f"{mode}.yaml")), *overlays]
            env = {
                "BENCH_OTLP_HTTP_ENDPOINT": f"127.0.0.1:{http_port}",
                "BENCH_SINK_ENDPOINT": sink.endpoint,
                "BENCH_HEALTH_ENDPOINT": health,
                "BENCH_PPROF_ENDPOINT": pprof,
                "LLMOTEL_PRICE_TABLE": str(PRICE_TABLE),
            }
        elif mode == "gateway":
            # The shipped gateway config, unchanged; only endpoints, ports and dirs are set.
            configs = [str(CONFIG_DIR / "gateway.yaml"), *overlays]
            env = {
                "LLMOTEL_GATEWAY_OTLP_GRPC_ENDPOINT": f"127.0.0.1:{free_port()}",
                "LLMOTEL_GATEWAY_OTLP_HTTP_ENDPOINT": f"127.0.0.1:{http_port}",
                "LLMOTEL_GATEWAY_HEALTH_ENDPOINT": health,
                "LLMOTEL_GATEWAY_METRICS_PORT": str(free_port()),
                "LLMOTEL_GATEWAY_PPROF_ENDPOINT": pprof,
                "LLMOTEL_GATEWAY_TOKEN": TOKEN,
                "LLMOTEL_STORAGE_DIR": tmp,
                "LLMOTEL_PRICE_TABLE": str(PRICE_TABLE),
                "LLMOTEL_TEMPO_OTLP_ENDPOINT": sink.endpoint,
                "LLMOTEL_PROMETHEUS_OTLP_ENDPOINT": f"{sink.endpoint}/v1/metrics",
                "LLMOTEL_LOKI_OTLP_ENDPOINT": f"{sink.endpoint}/v1/logs",
                "LLMOTEL_SAMPLING_DECISION_WAIT": "2s",
            }
        else:
            raise ValueError(f"unknown mode {mode}")
        args = [binary] + [a for c in configs for a in ("--config", c)]
        proc = subprocess.Popen(args, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_healthy(health, proc)
            time.sleep(1.0)
            idle_start, t0 = cpu_seconds(proc.pid), time.monotonic()
            time.sleep(2.0)
            idle_rate = (cpu_seconds(proc.pid) - idle_start) / (time.monotonic() - t0)

            start_cpu, start = cpu_seconds(proc.pid), time.monotonic()
            accepted = send(http_port, batches, spans_per_request)
            settle(proc.pid)
            wall = time.monotonic() - start
            cpu = cpu_seconds(proc.pid) - start_cpu - idle_rate * wall
            return Result(
                mode,
                content_bytes,
                accepted,
                round(cpu, 3),
                round(accepted / cpu),
                round(wall, 2),
                round(peak_rss_mib(proc.pid), 1),
            )
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
            sink.stop()


def wait_healthy(health: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"collector exited: {proc.stderr.read().decode()[-3000:] if proc.stderr else ''}")
        try:
            conn = http.client.HTTPConnection(health, timeout=1)
            conn.request("GET", "/")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit("collector not healthy in 30s")


def send(port: int, batches: list[bytes], spans_per_request: int) -> int:
    """Post every batch over one keep-alive connection; returns the spans the collector accepted."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/x-protobuf", "Authorization": f"Bearer {TOKEN}"}
    accepted = 0
    for body in batches:
        conn.request("POST", "/v1/traces", body=body, headers=headers)
        resp = conn.getresponse()
        resp.read()
        if resp.status == 200:
            accepted += spans_per_request
    conn.close()
    return accepted


def settle(pid: int) -> None:
    """Wait until the collector has finished the work (queues drained, sampling decided):
    CPU use stays below 2% for three consecutive seconds."""
    quiet, last = 0, cpu_seconds(pid)
    while quiet < 3:
        time.sleep(1.0)
        now = cpu_seconds(pid)
        quiet = quiet + 1 if now - last < 0.02 else 0
        last = now


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--per-request", type=int, default=100)
    parser.add_argument("--content-bytes", type=int, default=2048)
    parser.add_argument(
        "--profile-only",
        choices=("passthrough", "enrich", "gateway"),
        help="run just this config once (e.g. to take a CPU profile from BENCH_PPROF_ENDPOINT)",
    )
    parser.add_argument(
        "--overlay", action="append", default=[], help="extra config merged over each config, to see what costs what"
    )
    ns = parser.parse_args()
    binary = (
        os.environ.get("LLMOTEL_COLLECTOR_BIN")
        or subprocess.run(["bash", str(REPO / "collector" / "build.sh")], check=True, stdout=subprocess.PIPE, text=True)
        .stdout.strip()
        .splitlines()[-1]
    )

    rng = random.Random(42)
    big = encode_batches(genai_spans(ns.spans, ns.content_bytes, rng), ns.per_request)
    small = encode_batches(genai_spans(ns.spans, 0, rng), ns.per_request)
    results: list[Result] = []
    if ns.profile_only:
        print(run(binary, ns.profile_only, big, ns.per_request, ns.content_bytes, ns.overlay))
        return 0
    # Small spans through pass-through: comparable to the collector's own anchor.
    results.append(run(binary, "passthrough", small, ns.per_request, 0, []))
    print(f"[bench] {results[-1]}", file=sys.stderr)
    for _ in range(ns.rounds):
        for mode in ("passthrough", "enrich", "gateway"):
            results.append(run(binary, mode, big, ns.per_request, ns.content_bytes, ns.overlay))
            print(f"[bench] {results[-1]}", file=sys.stderr)

    def median(mode: str) -> float:
        vals = sorted(r.spans_per_cpu_s for r in results if r.mode == mode and r.content_bytes == ns.content_bytes)
        return vals[len(vals) // 2]

    ratio = median("enrich") / median("passthrough")
    summary = {
        "passthrough_small_spans_per_cpu_s": results[0].spans_per_cpu_s,
        "anchor_spans_per_cpu_s": 50000,
        f"passthrough_{ns.content_bytes}B_spans_per_cpu_s": median("passthrough"),
        f"enrich_{ns.content_bytes}B_spans_per_cpu_s": median("enrich"),
        f"gateway_{ns.content_bytes}B_spans_per_cpu_s": median("gateway"),
        "enrich_over_passthrough": round(ratio, 3),
        "gateway_over_passthrough": round(median("gateway") / median("passthrough"), 3),
        "bar": BAR,
        "peak_rss_mib": {
            m: max(r.peak_rss_mib for r in results if r.mode == m) for m in ("passthrough", "enrich", "gateway")
        },
        "runs": [asdict(r) for r in results],
    }
    out_dir = Path(os.environ.get("LLMOTEL_CACHE", Path.home() / ".cache" / "llmotel")) / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "collector.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps({k: v for k, v in summary.items() if k != "runs"}, indent=2))
    print(f"results: {out_dir / 'collector.json'}", file=sys.stderr)
    if ratio < BAR:
        print(f"FAIL: redaction + cost keep {ratio:.0%} of pass-through throughput, bar is {BAR:.0%}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
