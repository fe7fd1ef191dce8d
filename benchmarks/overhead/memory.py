"""Retained memory over many calls: after N calls against after 2N, instrumented by llmotel or bare (the control).

Each run is a fresh process of its own, so nothing the timed rounds allocated blurs the figures. The bare client's
own growth (its caches and free lists filling up) is the control: what llmotel adds is its growth beyond that.
The calls cycle through
a plain call, a stream read to the end and a stream dropped after its first chunk (the proxy then ends the span from
its finaliser), against the live stand-in so every response brings a fresh id. At each checkpoint, after a full
garbage collection and a flush of the span queue, it reads three gauges: live pymalloc blocks (exact, cheap), objects
tracked by the garbage collector, and resident set size.
"""

from __future__ import annotations

import gc
import os
import resource
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import openai

from llmotel.providers.openai import OpenAIInstrumentor

from .variants import BARE, LLMOTEL
from .workload import REQUEST, STREAM_REQUEST, live_client, make_pipeline


@dataclass(frozen=True)
class Checkpoint:
    calls: int
    allocated_blocks: int
    gc_objects: int
    rss_bytes: int


def resident_bytes() -> int:
    statm = Path("/proc/self/statm")
    if statm.exists():
        return int(statm.read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    # not Linux: the peak is the best the platform offers
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)


def _one_cycle(client: openai.OpenAI) -> int:
    """Three calls: plain, a stream read to the end, a stream abandoned after its first chunk."""
    client.chat.completions.create(**REQUEST)  # type: ignore[call-overload]
    for _chunk in client.chat.completions.create(**STREAM_REQUEST):  # type: ignore[call-overload]
        pass
    abandoned = client.chat.completions.create(**STREAM_REQUEST)  # type: ignore[call-overload]
    next(iter(abandoned))
    del abandoned
    return 3


def run(variant: str, calls_per_half: int, warmup_calls: int) -> dict[str, object]:
    """Checkpoints every tenth of 2N calls; the growth from the N checkpoint to the 2N one, and its slope."""
    if variant not in (BARE, LLMOTEL):
        raise ValueError(f"memory run of {variant!r}: use {BARE} or {LLMOTEL}")
    pipeline = make_pipeline()
    if variant == LLMOTEL:
        OpenAIInstrumentor().instrument(
            tracer_provider=pipeline.tracer_provider,
            meter_provider=pipeline.meter_provider,
            logger_provider=pipeline.logger_provider,
        )
    client = live_client()
    done = 0
    while done < warmup_calls:
        done += _one_cycle(client)
    done = 0
    started = time.monotonic()
    points: list[Checkpoint] = []
    for tenth in range(1, 11):
        while done < 2 * calls_per_half * tenth // 10:
            done += _one_cycle(client)
        pipeline.flush()
        gc.collect()
        points.append(Checkpoint(done, sys.getallocatedblocks(), len(gc.get_objects()), resident_bytes()))
        print(
            f"[bench] memory, {variant}: {done:,}/{2 * calls_per_half:,} calls, "
            f"{points[-1].allocated_blocks:,} live blocks, {points[-1].rss_bytes / 2**20:.1f} MiB RSS "
            f"({time.monotonic() - started:.0f} s)",
            file=sys.stderr,
            flush=True,
        )
    middle, end = points[4], points[9]
    second_half = points[4:]
    slope = statistics.linear_regression([p.calls for p in second_half], [p.allocated_blocks for p in second_half])
    return {
        "calls_at_n": middle.calls,
        "calls_at_2n": end.calls,
        "growth_blocks": end.allocated_blocks - middle.allocated_blocks,
        "growth_gc_objects": end.gc_objects - middle.gc_objects,
        "growth_rss_bytes": end.rss_bytes - middle.rss_bytes,
        "blocks_per_call_slope": slope.slope,
        "checkpoints": [asdict(p) for p in points],
    }
