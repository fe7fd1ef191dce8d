"""Fixtures that run the real llmotelcol binary (built by collector/build.sh) on loopback."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from otlp_sink import OtlpSink

REPO = Path(__file__).resolve().parents[2]
CONFIG_DIR = REPO / "collector" / "config"
PRICE_TABLE = REPO / "pricing" / "prices.yaml"
TOKEN = "test-token-5f2c"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def collector_binary() -> Path:
    """The binary for the current sources: built once (cached by input hash) by build.sh."""
    override = os.environ.get("LLMOTEL_COLLECTOR_BIN")
    if override:
        return Path(override)
    out = subprocess.run(["bash", str(REPO / "collector" / "build.sh")], check=True, stdout=subprocess.PIPE, text=True)
    return Path(out.stdout.strip().splitlines()[-1])


class Collector:
    """One llmotelcol process with its own ports, storage dir and log file."""

    def __init__(self, binary: Path, configs: list[str], env: dict[str, str], workdir: Path, name: str) -> None:
        self.binary, self.configs, self.env, self.name = binary, configs, env, name
        self.log_path = workdir / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, health_endpoint: str) -> Collector:
        args = [str(self.binary)]
        for config in self.configs:
            args += ["--config", str(CONFIG_DIR / config)]
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(args, env={**os.environ, **self.env}, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited with {self.proc.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"http://{health_endpoint}/", timeout=1) as resp:
                    if resp.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError):
                pass
            time.sleep(0.1)
        raise AssertionError(f"{self.name} not healthy after 30s:\n{self.log()}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:]


class Gateway(Collector):
    def __init__(self, binary: Path, workdir: Path, sink: OtlpSink, name: str = "gateway", **overrides: str) -> None:
        self.grpc = f"127.0.0.1:{free_port()}"
        self.http = f"127.0.0.1:{free_port()}"
        self.health = f"127.0.0.1:{free_port()}"
        self.metrics_port = free_port()
        env = {
            "LLMOTEL_GATEWAY_OTLP_GRPC_ENDPOINT": self.grpc,
            "LLMOTEL_GATEWAY_OTLP_HTTP_ENDPOINT": self.http,
            "LLMOTEL_GATEWAY_HEALTH_ENDPOINT": self.health,
            "LLMOTEL_GATEWAY_METRICS_PORT": str(self.metrics_port),
            "LLMOTEL_GATEWAY_PPROF_ENDPOINT": f"127.0.0.1:{free_port()}",
            "LLMOTEL_GATEWAY_TOKEN": TOKEN,
            "LLMOTEL_STORAGE_DIR": str(workdir / name / "storage"),
            "LLMOTEL_PRICE_TABLE": str(PRICE_TABLE),
            "LLMOTEL_TEMPO_OTLP_ENDPOINT": sink.endpoint,
            "LLMOTEL_PROMETHEUS_OTLP_ENDPOINT": f"{sink.endpoint}/api/v1/otlp/v1/metrics",
            "LLMOTEL_LOKI_OTLP_ENDPOINT": f"{sink.endpoint}/otlp/v1/logs",
            "LLMOTEL_SAMPLING_DECISION_WAIT": "1s",
            "LLMOTEL_SAMPLING_PERCENT": "100",
            "LLMOTEL_COST_FLUSH_INTERVAL": "1s",
            "LLMOTEL_TELEMETRY_PUSH_INTERVAL_MS": "1000",
        }
        env.update(overrides)
        configs = ["gateway.yaml"] + (["gateway-tls.yaml"] if "LLMOTEL_GATEWAY_TLS_CERT_FILE" in env else [])
        super().__init__(binary, configs, env, workdir, name)

    def start_ready(self) -> Gateway:
        self.start(self.health)
        return self

    @property
    def http_endpoint(self) -> str:
        scheme = "https" if "LLMOTEL_GATEWAY_TLS_CERT_FILE" in self.env else "http"
        return f"{scheme}://{self.http}"

    def self_metrics(self) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=5) as resp:
            return str(resp.read().decode())


class Agent(Collector):
    def __init__(
        self,
        binary: Path,
        workdir: Path,
        gateways: list[Gateway],
        extra_configs: list[str] | None = None,
        **overrides: str,
    ) -> None:
        self.grpc = f"127.0.0.1:{free_port()}"
        self.http = f"127.0.0.1:{free_port()}"
        self.health = f"127.0.0.1:{free_port()}"
        env = {
            "LLMOTEL_AGENT_OTLP_GRPC_ENDPOINT": self.grpc,
            "LLMOTEL_AGENT_OTLP_HTTP_ENDPOINT": self.http,
            "LLMOTEL_AGENT_HEALTH_ENDPOINT": self.health,
            "LLMOTEL_AGENT_METRICS_PORT": str(free_port()),
            "LLMOTEL_GATEWAY_TOKEN": TOKEN,
            "LLMOTEL_GATEWAY_ENDPOINT": gateways[0].grpc,
            "LLMOTEL_GATEWAY_POOL": "[" + ", ".join(g.grpc for g in gateways) + "]",
            "LLMOTEL_STORAGE_DIR": str(workdir / "agent-storage"),
        }
        env.update(overrides)
        super().__init__(binary, ["agent.yaml", *(extra_configs or [])], env, workdir, "agent")

    def start_ready(self) -> Agent:
        self.start(self.health)
        return self

    @property
    def http_endpoint(self) -> str:
        return f"http://{self.http}"


@pytest.fixture
def sink() -> Iterator[OtlpSink]:
    s = OtlpSink(port=0).start()
    yield s
    s.stop()


@pytest.fixture
def running() -> Iterator[list[Collector]]:
    """Collectors appended here are stopped after the test; their logs are shown on failure."""
    started: list[Collector] = []
    yield started
    for c in reversed(started):
        c.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    """On failure, attach the log of every collector the test started."""
    outcome = yield
    report = outcome.get_result()
    collectors: list[Collector] = getattr(item, "funcargs", {}).get("running", [])
    if report.failed:
        for c in collectors:
            report.sections.append((f"{c.name} log", c.log()))
