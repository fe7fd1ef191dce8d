"""Where an instrumentation's added time goes: a deterministic profile (cProfile) of many instrumented calls.

Prints, per LLM call, how often each function of the instrumentation and of the OTel API/SDK ran and its time: own
time (tottime) and time including callees (cumtime). Exact call counts make it good evidence of what runs too often;
the times carry the profiler's own per-call cost, so read them relative to each other, and take the benchmark's
paired CPU figures for the totals.
"""

from __future__ import annotations

import cProfile
import gc
import pstats
import time
from collections.abc import Iterable

from .variants import Switch
from .workload import CannedTransport, Scenario, call_for, make_client

OTEL_PATH = "/opentelemetry/"
WRAPT_PATH = "/wrapt/"
ROWS = 30


def profile(switch: Switch, roots: Iterable[str], scenario: Scenario, calls: int) -> str:
    """The instrumentation's functions (file under one of `roots`), OTel's and wrapt's, per LLM call."""
    transport = CannedTransport()
    call = call_for(scenario, make_client(transport), transport)
    switch.on()
    try:
        for _ in range(20):
            call()
        gc.collect()
        profiler = cProfile.Profile(time.thread_time)  # CPU time: a busy machine preempting the thread is not cost
        profiler.enable()
        for _ in range(calls):
            call()
        profiler.disable()
    finally:
        switch.off()
    roots = tuple(roots)
    rows = []
    for (path, line, function), (_, count, own, total, _) in pstats.Stats(profiler).stats.items():  # type: ignore[attr-defined]
        if path.startswith(roots) or OTEL_PATH in path or WRAPT_PATH in path:
            rows.append((total, own, count, f"{_short(path, roots)}:{line} {function}"))
    rows.sort(reverse=True)
    lines = [
        f"{scenario.name}, {calls} calls: per LLM call, ordered by cumtime (profiler overhead included)",
        f"{'calls':>7} {'tottime us':>11} {'cumtime us':>11}  function",
    ]
    for total, own, count, name in rows[:ROWS]:
        lines.append(f"{count / calls:7.1f} {own / calls * 1e6:11.1f} {total / calls * 1e6:11.1f}  {name}")
    return "\n".join(lines)


def _short(path: str, roots: tuple[str, ...]) -> str:
    for marker in (*roots, "/site-packages/"):
        index = path.find(marker)
        if index >= 0:
            return path[index + len(marker) :] if marker == "/site-packages/" else path[path.rfind("/", 0, index) + 1 :]
    return path
