"""Fixtures for the end-to-end stack tests: the real native stack (stack/launcher.py, the same
launcher as `stack/up`) started once per session in a fresh data dir, one known batch of GenAI
telemetry sent through it, and a sink on Tempo's OTLP port for the traces the gateway exports.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "stack"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from launcher import Stack

from backends import Loki, Prometheus
from genai_telemetry import SentTelemetry, send
from trace_sink import TraceSink


@pytest.fixture(scope="session")
def trace_sink() -> Iterator[TraceSink]:
    """Receives what the gateway exports to Tempo's OTLP port (Tempo itself cannot be built here)."""
    sink = TraceSink()
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, trace_sink: TraceSink) -> Iterator[Stack]:
    native_stack = Stack(tmp_path_factory.mktemp("stack-data"))
    # StackError (missing collector configs, a failed build, busy ports) fails every test that
    # needs the stack, loudly, with the launcher's message.
    # Every trace is kept (tail sampling's baseline at 100 %): the end-to-end tests check the
    # structure of cheap, successful traces that the 10 % default would drop at random. The
    # sampling policies themselves are tested with a 0 % baseline in tests/collector.
    with pytest.MonkeyPatch.context() as env:
        env.setenv("LLMOTEL_SAMPLING_PERCENT", "100")
        native_stack.up()
    try:
        yield native_stack
    finally:
        native_stack.down()


@pytest.fixture(scope="session")
def sent(stack: Stack) -> tuple[SentTelemetry, float]:
    """The telemetry sent through the agent, and the time sending started."""
    started = time.time()
    return send(stack.endpoints.agent_otlp_grpc), started


@pytest.fixture(scope="session")
def prometheus(stack: Stack) -> Prometheus:
    return Prometheus(stack.endpoints.prometheus)


@pytest.fixture(scope="session")
def loki(stack: Stack) -> Loki:
    return Loki(stack.endpoints.loki)
