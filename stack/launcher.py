"""Start and stop llmotel's observability stack natively on loopback.

The stack is the agent collector, the gateway collector, Prometheus (native OTLP receiver) and
Loki, run from the binaries that `collector/build.sh` and `stack/build-backends.sh` build and
cache, with the same config files docker-compose.yml mounts. Each process writes its log and
pid under the data dir; `down` stops exactly the processes this launcher recorded.

Used three ways: `stack/up` / `stack/down` (this module's CLI), and the end-to-end tests'
pytest fixture (`tests/stack/conftest.py`), which import `Stack`.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
STACK_DIR = REPO_ROOT / "stack"
CONFIG_DIR = STACK_DIR / "config"
COLLECTOR_CONFIG_DIR = REPO_ROOT / "collector" / "config"
DEFAULT_READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 20.0
STATE_FILE_NAME = "stack.json"


def cache_dir() -> Path:
    return Path(os.environ.get("LLMOTEL_CACHE") or Path.home() / ".cache" / "llmotel")


def default_data_dir() -> Path:
    return cache_dir() / "stack-data"


class StackError(RuntimeError):
    """A part of the stack could not be built, started or stopped; the message says what to do."""


@dataclass(frozen=True)
class Component:
    """One process of the stack and how to tell that it is ready."""

    name: str
    argv: list[str]
    ready_url: str
    ports: tuple[int, ...]
    env: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Endpoints:
    """Loopback addresses of the running stack (fixed by the project's port contract)."""

    agent_otlp_grpc: str = "127.0.0.1:4317"
    agent_otlp_http: str = "http://127.0.0.1:4318"
    gateway_otlp_grpc: str = "127.0.0.1:5317"
    gateway_otlp_http: str = "http://127.0.0.1:5318"
    prometheus: str = "http://127.0.0.1:9090"
    loki: str = "http://127.0.0.1:3100"


ENDPOINTS = Endpoints()


def _log(message: str) -> None:
    print(f"[stack] {message}", file=sys.stderr, flush=True)


def _run_build_script(script: Path, what: str) -> str:
    """Runs a build script (progress on stderr passes through) and returns its stdout."""
    if not script.is_file():
        raise StackError(f"{script.relative_to(REPO_ROOT)} not found: the {what} cannot be built from this checkout")
    _log(f"building {what} ({script.relative_to(REPO_ROOT)}; instant when cached)")
    result = subprocess.run(["bash", str(script)], stdout=subprocess.PIPE, text=True, check=False)
    if result.returncode != 0:
        raise StackError(f"{script.relative_to(REPO_ROOT)} failed (exit {result.returncode}); see its output above")
    return result.stdout


def build_backends() -> dict[str, Path]:
    """Backend name -> directory holding its binaries, from stack/build-backends.sh."""
    stdout = _run_build_script(STACK_DIR / "build-backends.sh", "backends")
    bin_dirs: dict[str, Path] = {}
    for line in stdout.splitlines():
        name, _, path = line.partition(" ")
        if path:
            bin_dirs[name] = Path(path)
    return bin_dirs


def build_collector() -> Path:
    """Path of the llmotel collector binary, from collector/build.sh (which prints it last)."""
    stdout = _run_build_script(REPO_ROOT / "collector" / "build.sh", "llmotel collector")
    lines = [line.strip() for line in stdout.splitlines() if line.strip()]
    binary = Path(lines[-1]) if lines else None
    if binary is None or not os.access(binary, os.X_OK):
        raise StackError(f"collector/build.sh did not print an executable binary path (got {lines[-1:]!r})")
    return binary


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _probe(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(200 <= response.status < 300)
    except (urllib.error.URLError, OSError):
        return False


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _process_cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


class Stack:
    """The native stack rooted at one data dir (logs, pids, storage, state file)."""

    def __init__(self, data_dir: Path | None = None) -> None:
        self.data_dir = (data_dir or default_data_dir()).resolve()
        self.log_dir = self.data_dir / "logs"
        self.state_file = self.data_dir / STATE_FILE_NAME
        self.endpoints = ENDPOINTS

    def components(self, backend_bins: dict[str, Path], collector_bin: Path) -> list[Component]:
        missing = {"prometheus", "loki"} - backend_bins.keys()
        if missing:
            raise StackError(f"stack/build-backends.sh did not report {sorted(missing)}")
        collector_env = {
            "LLMOTEL_STORAGE_DIR": str(self.data_dir / "collector-queues"),
            "LLMOTEL_PRICE_TABLE": str(REPO_ROOT / "pricing" / "prices.yaml"),
        }
        for config in ("gateway.yaml", "agent.yaml"):
            if not (COLLECTOR_CONFIG_DIR / config).is_file():
                raise StackError(f"collector/config/{config} not found: the collector configs are not in this checkout")
        return [
            Component(
                name="loki",
                argv=[
                    str(backend_bins["loki"] / "loki"),
                    f"-config.file={CONFIG_DIR / 'loki.yaml'}",
                    "-config.expand-env=true",
                ],
                env={"LLMOTEL_LOKI_DATA_DIR": str(self.data_dir / "loki")},
                ready_url=f"{self.endpoints.loki}/ready",
                ports=(3100, 9096),
            ),
            Component(
                name="prometheus",
                argv=[
                    str(backend_bins["prometheus"] / "prometheus"),
                    *prometheus_flags(
                        config_file=CONFIG_DIR / "prometheus.yml",
                        storage_path=self.data_dir / "prometheus",
                        listen_address="127.0.0.1:9090",
                    ),
                ],
                ready_url=f"{self.endpoints.prometheus}/-/ready",
                ports=(9090,),
            ),
            Component(
                name="gateway",
                argv=[str(collector_bin), f"--config={COLLECTOR_CONFIG_DIR / 'gateway.yaml'}"],
                env=collector_env,
                ready_url="http://127.0.0.1:13134/",
                ports=(5317, 5318, 13134, 8889),
            ),
            Component(
                name="agent",
                argv=[str(collector_bin), f"--config={COLLECTOR_CONFIG_DIR / 'agent.yaml'}"],
                env=collector_env,
                ready_url="http://127.0.0.1:13133/",
                ports=(4317, 4318, 13133, 8888),
            ),
        ]

    def _read_state(self) -> dict[str, dict[str, object]]:
        try:
            state = json.loads(self.state_file.read_text())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise StackError(
                f"{self.state_file} is unreadable ({exc}); remove it after stopping the processes"
            ) from exc
        return dict(state.get("processes", {}))

    def _write_state(self, processes: dict[str, dict[str, object]]) -> None:
        self.state_file.write_text(json.dumps({"processes": processes}, indent=2) + "\n")

    def running(self) -> dict[str, int]:
        """Recorded processes that are still alive: name -> pid."""
        alive: dict[str, int] = {}
        for name, record in self._read_state().items():
            pid = int(str(record["pid"]))
            if _process_alive(pid) and str(record["binary"]) in _process_cmdline(pid):
                alive[name] = pid
        return alive

    def up(self, timeout_s: float = DEFAULT_READY_TIMEOUT_S) -> None:
        """Builds what is missing, starts every component and waits until all are ready."""
        if self.running():
            raise StackError(f"a stack is already running from {self.data_dir}: run stack/down first")
        backend_bins = build_backends()
        collector_bin = build_collector()
        components = self.components(backend_bins, collector_bin)
        busy = [(c.name, port) for c in components for port in c.ports if _port_in_use(port)]
        if busy:
            described = ", ".join(f"{port} ({name})" for name, port in busy)
            raise StackError(f"loopback ports already in use: {described}; stop whatever holds them (stack/down?)")

        self.log_dir.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        processes: dict[str, dict[str, object]] = {}
        popen: dict[str, subprocess.Popen[bytes]] = {}
        try:
            for component in components:
                log_path = self.log_dir / f"{component.name}.log"
                with log_path.open("ab") as log_file:
                    proc = subprocess.Popen(
                        component.argv,
                        stdout=log_file,
                        stderr=subprocess.STDOUT,
                        stdin=subprocess.DEVNULL,
                        env={**os.environ, **component.env},
                        cwd=self.data_dir,
                        # Own session: Ctrl-C in the terminal that ran `up` must not kill the stack.
                        start_new_session=True,
                    )
                popen[component.name] = proc
                processes[component.name] = {"pid": proc.pid, "binary": component.argv[0], "log": str(log_path)}
                self._write_state(processes)
                _log(f"started {component.name} (pid {proc.pid}, log {log_path})")
            self._wait_ready(components, popen, started, timeout_s)
        except BaseException:
            self.down()
            raise
        _log(f"stack ready in {time.monotonic() - started:.1f}s (data: {self.data_dir})")

    def _wait_ready(
        self,
        components: Sequence[Component],
        popen: dict[str, subprocess.Popen[bytes]],
        started: float,
        timeout_s: float,
    ) -> None:
        pending = {c.name: c for c in components}
        last_report = 0.0
        while pending:
            for name, component in list(pending.items()):
                exit_code = popen[name].poll()
                if exit_code is not None:
                    log_path = self.log_dir / f"{name}.log"
                    raise StackError(
                        f"{name} exited with code {exit_code} while starting;"
                        f" last lines of {log_path}:\n{_tail(log_path)}"
                    )
                if _probe(component.ready_url):
                    _log(f"{name} ready after {time.monotonic() - started:.1f}s")
                    del pending[name]
            elapsed = time.monotonic() - started
            if pending and elapsed > timeout_s:
                raise StackError(
                    f"not ready after {timeout_s:.0f}s: {', '.join(sorted(pending))}; logs in {self.log_dir}"
                )
            if pending and elapsed - last_report >= 5:
                _log(f"waiting for {', '.join(sorted(pending))} ({elapsed:.0f}s)")
                last_report = elapsed
            if pending:
                time.sleep(0.25)

    def down(self) -> None:
        """Stops the recorded processes: collectors first so they flush to the backends."""
        records = self._read_state()
        order = ["agent", "gateway", "prometheus", "loki"]
        for name in sorted(records, key=lambda n: order.index(n) if n in order else len(order)):
            self._stop(name, int(str(records[name]["pid"])), str(records[name]["binary"]))
        self.state_file.unlink(missing_ok=True)

    def _stop(self, name: str, pid: int, binary: str) -> None:
        # A recycled pid belongs to someone else: only signal the process we started.
        if not _process_alive(pid) or binary not in _process_cmdline(pid):
            return
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while time.monotonic() < deadline:
            if not _process_alive(pid) or _is_zombie(pid):
                _log(f"stopped {name} (pid {pid})")
                return
            time.sleep(0.1)
        _log(f"{name} (pid {pid}) ignored SIGTERM for {STOP_TIMEOUT_S:.0f}s; killing it")
        os.kill(pid, signal.SIGKILL)


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z")
    except (OSError, IndexError):
        return False


def prometheus_flags(config_file: Path, storage_path: Path, listen_address: str) -> list[str]:
    """The Prometheus command line; docker-compose.yml passes the same flags."""
    return [
        f"--config.file={config_file}",
        f"--storage.tsdb.path={storage_path}",
        f"--web.listen-address={listen_address}",
        "--web.enable-otlp-receiver",
        # Exemplars link latency to traces. Start-timestamp zero samples make increase() and
        # rate() count a counter's first value: LLM series (one per model, error type, ...) are
        # often born holding their only increment, which Prometheus would otherwise never count.
        "--enable-feature=exemplar-storage,created-timestamp-zero-ingestion",
        "--web.enable-lifecycle",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="stack", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("command", choices=["up", "down", "status"])
    parser.add_argument(
        "--data-dir", type=Path, help="where logs, pids and storage go (default: $LLMOTEL_CACHE/stack-data)"
    )
    parser.add_argument("--timeout", type=float, default=DEFAULT_READY_TIMEOUT_S, help="seconds to wait for readiness")
    args = parser.parse_args(argv)
    stack = Stack(args.data_dir)
    commands: dict[str, Callable[[], None]] = {
        "up": lambda: _up(stack, args.timeout),
        "down": stack.down,
        "status": lambda: _status(stack),
    }
    try:
        commands[args.command]()
    except StackError as exc:
        _log(f"error: {exc}")
        return 1
    return 0


def _up(stack: Stack, timeout_s: float) -> None:
    stack.up(timeout_s)
    endpoints = stack.endpoints
    data_dir_flag = "" if stack.data_dir == default_data_dir().resolve() else f" --data-dir {stack.data_dir}"
    print(
        f"llmotel stack is running (data: {stack.data_dir})\n"
        f"  send OTLP to the agent:  grpc {endpoints.agent_otlp_grpc}  http {endpoints.agent_otlp_http}\n"
        f"  Prometheus:              {endpoints.prometheus}\n"
        f"  Loki:                    {endpoints.loki}\n"
        f"  stop it with:            stack/down{data_dir_flag}"
    )


def _status(stack: Stack) -> None:
    running = stack.running()
    if not running:
        print(f"no stack running from {stack.data_dir}")
    for name, pid in running.items():
        print(f"{name}: pid {pid}")


if __name__ == "__main__":
    sys.exit(main())
