"""The whole pipeline in one command: build, start the native stack, run the example apps
instrumented, and print what the backends now hold.

    stack/demo            # or: make demo-stack

1. builds (or reuses) the collector and the backends and starts the native stack
   (stack/launcher.py, the same as `stack/up`), unless one is already running;
2. runs examples/chat_app.py and examples/support_bot.py under `opentelemetry-instrument`,
   sending OTLP to the agent collector, against the local stand-in LLM server (or the real
   providers when OPENAI_API_KEY / ANTHROPIC_API_KEY are set);
3. waits for the data and prints a report read back from Prometheus, Loki and the trace
   store: calls, tokens, cost by model, p95 latency, a trace id;
4. leaves the stack running and prints the command that stops it.

The helpers that run an app instrumented (`instrumented_env`, `run_instrumented`) are shared with
the end-to-end tests in tests/stack, so the demo and the tests exercise the same path.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLES_DIR = REPO_ROOT / "examples"
sys.path.insert(0, str(REPO_ROOT / "stack"))
sys.path.insert(0, str(REPO_ROOT / "tests" / "stack"))

from launcher import ENDPOINTS, Stack, StackError, default_data_dir  # noqa: E402

T = TypeVar("T")

ENVIRONMENT = "demo"
TEMPO_HTTP = "http://127.0.0.1:3200"
TEMPO_OTLP_HTTP_PORT = 14318
GRAFANA_COMPOSE_URL = "http://127.0.0.1:3000"
# Short export intervals: the apps run for seconds, and Prometheus' rate() wants several samples.
FAST_EXPORT = {
    "OTEL_METRIC_EXPORT_INTERVAL": "1000",
    "OTEL_BSP_SCHEDULE_DELAY": "200",
    "OTEL_BLRP_SCHEDULE_DELAY": "200",
}


@dataclass(frozen=True)
class LLMEndpoints:
    """Where the apps' openai / anthropic clients go: base URLs of a stand-in, None for the real API."""

    openai_base_url: str | None
    anthropic_base_url: str | None

    def env(self) -> dict[str, str]:
        env: dict[str, str] = {}
        for provider, base_url in (("OPENAI", self.openai_base_url), ("ANTHROPIC", self.anthropic_base_url)):
            if base_url is not None:
                env[f"{provider}_BASE_URL"] = base_url
                env[f"{provider}_API_KEY"] = "standin-key"
        return env


@dataclass(frozen=True)
class AppRun:
    script: str
    service_name: str
    stdout: str
    seconds: float


def opentelemetry_instrument() -> Path:
    """The `opentelemetry-instrument` next to this Python (the project venv has opentelemetry-distro)."""
    command = Path(sys.executable).with_name("opentelemetry-instrument")
    if not command.exists():
        raise SystemExit(
            f"{command} not found: run with the project Python, $(scripts/python-env.sh),"
            " which has opentelemetry-distro"
        )
    return command


def instrumented_env(
    service_name: str,
    llm: LLMEndpoints,
    *,
    capture_content: str = "NO_CONTENT",
    environment: str = ENVIRONMENT,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Environment for an app under opentelemetry-instrument sending OTLP/gRPC to the agent collector."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("OTEL_")}
    env.update(
        {
            "OTEL_SERVICE_NAME": service_name,
            "OTEL_RESOURCE_ATTRIBUTES": f"deployment.environment.name={environment}",
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{ENDPOINTS.agent_otlp_grpc}",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
            "OTEL_TRACES_EXPORTER": "otlp",
            "OTEL_METRICS_EXPORTER": "otlp",
            "OTEL_LOGS_EXPORTER": "otlp",
            "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": capture_content,
            **FAST_EXPORT,
            **llm.env(),
            **(extra or {}),
        }
    )
    return env


def run_instrumented(argv: Sequence[str], env: Mapping[str, str], timeout_s: float = 120.0) -> AppRun:
    """Runs `opentelemetry-instrument <python> argv...`; the SDK flushes everything when the process exits."""
    started = time.monotonic()
    result = subprocess.run(
        [str(opentelemetry_instrument()), sys.executable, *argv],
        env=dict(env),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited with {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return AppRun(argv[0], env["OTEL_SERVICE_NAME"], result.stdout, time.monotonic() - started)


# ---------------------------------------------------------------- reading the backends back


def _wait(describe: str, probe: Callable[[], T | None], timeout_s: float) -> T | None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = probe()
        if found is not None:
            return found
        time.sleep(2)
    print(f"  (no {describe} after {timeout_s:.0f}s)", flush=True)
    return None


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


class _Traces:
    """A trace id to look up: from Tempo when it runs (docker compose), otherwise from an OTLP sink
    this demo puts on Tempo's OTLP port while it runs (the native stack has no trace store)."""

    def __init__(self) -> None:
        self.sink: Any = None
        if not _port_in_use(TEMPO_OTLP_HTTP_PORT):
            from trace_sink import TraceSink

            self.sink = TraceSink()
            self.sink.start()

    def workflow_trace(self, service_name: str) -> tuple[str, list[str]] | None:
        if self.sink is None:
            return self._from_tempo(service_name)
        spans = [s for s in self.sink.spans() if s.resource_attributes.get("service.name") == service_name]
        roots = [s for s in spans if s.name.startswith("invoke_workflow")]
        if not roots:
            return None
        trace = [s for s in spans if s.trace_id == roots[0].trace_id]
        children: dict[str, list[Any]] = {}
        for span in trace:
            children.setdefault(span.parent_span_id, []).append(span)
        lines: list[str] = []

        def walk(span: Any, depth: int) -> None:
            cost = span.attributes.get("llmotel.cost.total_usd")
            lines.append(f"{'  ' * depth}{span.name}" + (f"  ${cost:.6f}" if isinstance(cost, float) else ""))
            for child in sorted(children.get(span.span_id, []), key=lambda s: s.name):
                walk(child, depth + 1)

        walk(roots[0], 0)
        return roots[0].trace_id, lines

    def _from_tempo(self, service_name: str) -> tuple[str, list[str]] | None:
        from backends import BackendError, get_json

        try:
            found = get_json(TEMPO_HTTP, "/api/search", {"tags": f"service.name={service_name}", "limit": "5"})
        except (BackendError, OSError):
            return None
        traces = found.get("traces") or []
        return (str(traces[0]["traceID"]), [f"{traces[0].get('rootTraceName', '')}"]) if traces else None

    def stop(self) -> None:
        if self.sink is not None:
            self.sink.stop()


def _report(services: Sequence[str], traces: _Traces, data_dir: Path) -> None:
    from backends import Loki, Prometheus

    prometheus = Prometheus(ENDPOINTS.prometheus)
    loki = Loki(ENDPOINTS.loki)
    selector = f'service_name=~"{"|".join(services)}"'

    def by(expr: str, *labels: str) -> dict[tuple[str, ...], float]:
        return {
            tuple(series["metric"].get(label, "") for label in labels): float(series["value"][1])
            for series in prometheus.query(expr)
        }

    print("\nwaiting for the data (the gateway prices spans every 15 s)...", flush=True)

    def every_service(metric: str) -> Callable[[], bool | None]:
        """True once `metric` has series from every app run (each app flushes on its own)."""

        def probe() -> bool | None:
            found = by(f"count by (service_name) ({metric}{{{selector}}})", "service_name")
            return True if len(found) == len(services) else None

        return probe

    _wait("calls of every app in Prometheus", every_service("gen_ai_client_operation_duration_seconds_count"), 60)
    _wait("cost of every app in Prometheus", every_service("llmotel_cost_usd_total"), 60)
    calls = by(
        f"sum by (gen_ai_request_model) (gen_ai_client_operation_duration_seconds_count{{{selector}}})",
        "gen_ai_request_model",
    )
    cost = by(f"sum by (gen_ai_request_model) (llmotel_cost_usd_total{{{selector}}})", "gen_ai_request_model")
    tokens = by(
        f"sum by (gen_ai_request_model, gen_ai_token_type) (gen_ai_client_token_usage_sum{{{selector}}})",
        "gen_ai_request_model",
        "gen_ai_token_type",
    )
    errors = by(
        "sum by (gen_ai_request_model, error_type) "
        f'(gen_ai_client_operation_duration_seconds_count{{{selector}, error_type!=""}})',
        "gen_ai_request_model",
        "error_type",
    )
    p95 = by(
        "histogram_quantile(0.95, sum by (gen_ai_request_model, le) "
        f"(gen_ai_client_operation_duration_seconds_bucket{{{selector}}}))",
        "gen_ai_request_model",
    )
    redactions = by(
        f"sum by (llmotel_redaction_entity) (llmotel_redactions_total{{{selector}}})", "llmotel_redaction_entity"
    )

    print(f"\n{'model':<26}{'calls':>6}{'errors':>7}{'in tok':>8}{'out tok':>8}{'cost USD':>12}{'p95 s':>8}")
    for (model,), count in sorted(calls.items()):
        failed = sum(value for (m, _), value in errors.items() if m == model)
        latency = p95.get((model,), float("nan"))
        print(
            f"{model:<26}{count:>6.0f}{failed:>7.0f}{tokens.get((model, 'input'), 0):>8.0f}"
            f"{tokens.get((model, 'output'), 0):>8.0f}{cost.get((model,), 0.0):>12.6f}{latency:>8.3f}"
        )
    print(
        f"{'total':<26}{sum(calls.values()):>6.0f}{sum(errors.values()):>7.0f}"
        f"{sum(v for (_, t), v in tokens.items() if t == 'input'):>8.0f}"
        f"{sum(v for (_, t), v in tokens.items() if t == 'output'):>8.0f}{sum(cost.values()):>12.6f}"
    )
    for (model, error_type), count in sorted(errors.items()):
        print(f"  error: {model} {error_type} x{count:.0f}")
    if redactions:
        print("  redacted before export: " + ", ".join(f"{e} x{v:.0f}" for (e,), v in sorted(redactions.items())))

    now = time.time()
    events = loki.streams(f'{{{selector}}} | gen_ai_input_messages != ""', now - 600, now + 60)
    print(f"  content events in Loki (redacted): {sum(len(stream['values']) for stream in events)}")

    print("\nwaiting for the agent trace (tail sampling decides 10 s after a trace's last span)...", flush=True)
    found = _wait("agent trace", lambda: traces.workflow_trace(services[-1]), 45)
    if found is not None:
        trace_id, tree = found
        store = "trace sink on Tempo's OTLP port" if traces.sink is not None else "Tempo"
        print(f"trace {trace_id} ({store}):")
        for line in tree:
            print(f"  {line}")
        if traces.sink is not None:
            print(
                "  (the native stack has no trace store: this demo held an OTLP sink on Tempo's port while it"
                " ran; afterwards the gateway keeps traces in its persistent queue until Tempo is there)"
            )
    data_dir_flag = "" if data_dir == default_data_dir().resolve() else f" --data-dir {data_dir}"
    print(
        "\nThe stack keeps running:\n"
        f"  Prometheus  {ENDPOINTS.prometheus}/graph?g0.expr=llm:requests:rate5m\n"
        f'  Loki        {ENDPOINTS.loki}/loki/api/v1/query_range?query={{service_name="{services[-1]}"}}\n'
        f"  Grafana     {GRAFANA_COMPOSE_URL} with `docker compose up -d` (dashboards provisioned;"
        " the native stack has no Grafana)\n"
        f"  stop it:    stack/down{data_dir_flag}"
    )


def _llm_endpoints(standin_url: tuple[str, str]) -> LLMEndpoints:
    """Real providers where an API key is set, the stand-in for the others."""
    openai_url = None if os.environ.get("OPENAI_API_KEY") else standin_url[0]
    anthropic_url = None if os.environ.get("ANTHROPIC_API_KEY") else standin_url[1]
    for provider, url in (("OpenAI", openai_url), ("Anthropic", anthropic_url)):
        print(f"  {provider}: {'the local stand-in at ' + url if url else 'the real API (key set)'}", flush=True)
    return LLMEndpoints(openai_url, anthropic_url)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="stack/demo", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data-dir", type=Path, help="stack data dir (default: $LLMOTEL_CACHE/stack-data)")
    args = parser.parse_args(argv)
    from llmotel.standin import StandinServer

    stack = Stack(args.data_dir)
    if stack.running():
        print(f"[demo] using the stack already running from {stack.data_dir}", flush=True)
    else:
        print("[demo] building what is missing and starting the native stack (stack/up)...", flush=True)
        # The demo stack keeps every trace so the agent trace below is always there (production
        # keeps errors, slow, expensive and unpriced traces plus a 10 % baseline).
        os.environ.setdefault("LLMOTEL_SAMPLING_PERCENT", "100")
        try:
            stack.up()
        except StackError as exc:
            print(f"[demo] error: {exc}", file=sys.stderr)
            return 1
    run_id = uuid.uuid4().hex[:6]
    traces = _Traces()
    try:
        with StandinServer() as standin:
            print("[demo] running the example apps instrumented (opentelemetry-instrument, OTLP to the agent):")
            llm = _llm_endpoints((standin.openai_base_url, standin.anthropic_base_url))
            runs = [
                run_instrumented(
                    [str(EXAMPLES_DIR / "chat_app.py")], instrumented_env(f"llmotel-demo-chat-{run_id}", llm)
                ),
                run_instrumented(
                    [str(EXAMPLES_DIR / "support_bot.py")],
                    instrumented_env(f"llmotel-demo-support-{run_id}", llm, capture_content="SPAN_AND_EVENT"),
                ),
            ]
        for run in runs:
            print(
                f"\n$ opentelemetry-instrument python examples/{Path(run.script).name}"
                f"   # service.name={run.service_name}, {run.seconds:.1f}s"
            )
            print("  " + run.stdout.strip().replace("\n", "\n  "))
        _report([run.service_name for run in runs], traces, stack.data_dir)
    finally:
        traces.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
