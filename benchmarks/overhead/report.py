"""Summaries of the rounds, the bars from the issue with PASS/FAIL, and the printed table."""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from .rounds import Samples
from .variants import BARE, FLOOR, LLMOTEL, OFFICIAL
from .workload import PLAIN, STREAM_7, STREAM_200

# The bars (issue): llmotel within 1.25x of the floor and at most half the official instrumentation's overhead, on
# plain and streamed calls; under 3 us per extra stream chunk; retained memory flat over the calls of the memory run.
MAX_RATIO_TO_FLOOR = 1.25
MAX_RATIO_TO_OFFICIAL = 0.5
MAX_US_PER_CHUNK = 3.0
# "Flat": between N and 2N calls, llmotel's growth beyond the bare client's (the control: its caches and free lists
# fill slowly) is at most one live pymalloc block per 100 calls (leaking one small object per call is 1 per call),
# and its resident set grows by at most 4 MiB (allocator arenas come and go a MiB at a time).
MAX_BLOCKS_PER_CALL = 0.01
MAX_RSS_GROWTH_BYTES = 4 * 2**20
BOOTSTRAP_RESAMPLES = 2000


@dataclass(frozen=True)
class Spread:
    """Median and quartiles over rounds, with the extremes."""

    median: float
    p25: float
    p75: float
    low: float
    high: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        if len(values) == 1:
            return cls(values[0], values[0], values[0], values[0], values[0])
        p25, _, p75 = statistics.quantiles(values, n=4, method="inclusive")
        return cls(statistics.median(values), p25, p75, min(values), max(values))

    def text(self) -> str:
        return f"{self.median:8.1f}  [{self.p25:7.1f} .. {self.p75:7.1f}]"


@dataclass(frozen=True)
class Bar:
    name: str
    measured: float | None  # None: a ratio whose reference overhead the rounds did not resolve above zero
    limit: float
    unit: str
    interval: tuple[float, float] | None  # 90% bootstrap interval over rounds, where the figure is a ratio

    @property
    def passed(self) -> bool:
        return self.measured is not None and self.measured <= self.limit


def ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator > 0 else None


def bootstrap_interval(
    rounds: int, statistic: Callable[[list[int]], float | None], seed: int
) -> tuple[float, float] | None:
    """90% bootstrap interval of `statistic` (given the indices of a resample of whole rounds)."""
    draw = random.Random(seed)
    values = []
    for _ in range(BOOTSTRAP_RESAMPLES):
        value = statistic([draw.randrange(rounds) for _ in range(rounds)])
        if value is not None:
            values.append(value)
    if len(values) < BOOTSTRAP_RESAMPLES // 2:
        return None  # the statistic is undefined in most resamples: no interval to speak of
    cuts = statistics.quantiles(values, n=20, method="inclusive")
    return cuts[0], cuts[-1]


def ratio_interval(
    samples: Samples, scenario: str, numerator: str, denominator: str, seed: int
) -> tuple[float, float] | None:
    """Interval of median(numerator overhead) / median(denominator overhead)."""
    top = samples.overheads(scenario, numerator)
    bottom = samples.overheads(scenario, denominator)
    return bootstrap_interval(
        len(top),
        lambda picks: ratio(statistics.median(top[i] for i in picks), statistics.median(bottom[i] for i in picks)),
        seed,
    )


def per_chunk_overheads(samples: Samples, variant: str) -> list[float]:
    """Per round: (200-chunk stream overhead - 7-chunk stream overhead) / the extra chunks the caller received."""
    extra_chunks = samples.chunks[STREAM_200.name] - samples.chunks[STREAM_7.name]
    long = samples.overheads(STREAM_200.name, variant)
    short = samples.overheads(STREAM_7.name, variant)
    return [(a - b) / extra_chunks for a, b in zip(long, short, strict=True)]


def summarise(samples: Samples, memory: Mapping[str, Any] | None, seed: int) -> dict[str, Any]:
    scenarios = list(samples.cpu_us)
    overhead = {
        scenario: {
            variant: asdict(Spread.of(samples.overheads(scenario, variant)))
            for variant in samples.cpu_us[scenario]
            if variant != BARE
        }
        for scenario in scenarios
    }
    cpu = {
        scenario: {variant: asdict(Spread.of(values)) for variant, values in by_variant.items()}
        for scenario, by_variant in samples.cpu_us.items()
    }
    per_chunk = {
        variant: asdict(Spread.of(per_chunk_overheads(samples, variant))) for variant in (FLOOR, LLMOTEL, OFFICIAL)
    }
    bars: list[Bar] = []
    for scenario in (PLAIN.name, STREAM_7.name):
        for reference, limit in ((FLOOR, MAX_RATIO_TO_FLOOR), (OFFICIAL, MAX_RATIO_TO_OFFICIAL)):
            measured = ratio(overhead[scenario][LLMOTEL]["median"], overhead[scenario][reference]["median"])
            interval = ratio_interval(samples, scenario, LLMOTEL, reference, seed)
            bars.append(Bar(f"{scenario}: llmotel / {reference}", measured, limit, "x", interval))
    llmotel_per_chunk = per_chunk_overheads(samples, LLMOTEL)
    per_chunk_interval = bootstrap_interval(
        len(llmotel_per_chunk), lambda picks: statistics.median(llmotel_per_chunk[i] for i in picks), seed
    )
    bars.append(
        Bar("per extra stream chunk: llmotel", per_chunk[LLMOTEL]["median"], MAX_US_PER_CHUNK, "us", per_chunk_interval)
    )
    if memory is not None:
        instrumented, control = memory[LLMOTEL], memory[BARE]
        calls = instrumented["calls_at_2n"] - instrumented["calls_at_n"]
        added_blocks = (instrumented["growth_blocks"] - control["growth_blocks"]) / calls
        rss_growth = instrumented["growth_rss_bytes"] / 2**20
        bars.append(Bar("memory N->2N: blocks/call beyond bare", added_blocks, MAX_BLOCKS_PER_CALL, "", None))
        bars.append(Bar("memory N->2N: llmotel RSS growth", rss_growth, MAX_RSS_GROWTH_BYTES / 2**20, "MiB", None))
    ratios = {
        scenario: {
            f"llmotel/{reference}": ratio(
                overhead[scenario][LLMOTEL]["median"], overhead[scenario][reference]["median"]
            )
            for reference in (FLOOR, OFFICIAL)
        }
        for scenario in scenarios
    }
    return {
        "cpu_us_per_call": cpu,
        "overhead_us_per_call": overhead,
        "ratios": ratios,
        "per_chunk_us": per_chunk,
        "chunks_received": dict(samples.chunks),
        "span_attributes": samples.span_attributes,
        "memory": memory,
        "bars": [{**asdict(bar), "passed": bar.passed} for bar in bars],
        "all_passed": all(bar.passed for bar in bars),
        "rounds": {
            scenario: {variant: values for variant, values in by_variant.items()}
            for scenario, by_variant in samples.cpu_us.items()
        },
    }


def table(summary: Mapping[str, Any]) -> str:
    lines = [
        "",
        "CPU microseconds per call (median over rounds [quartiles]); overhead = variant - bare, paired by round",
        "",
    ]
    header = f"{'scenario':<12} {'variant':<9} {'CPU/call':>26}   {'overhead':>26}   {'x floor':>7}  {'x official':>10}"
    lines += [header, "-" * len(header)]
    for scenario, by_variant in summary["cpu_us_per_call"].items():
        overhead = summary["overhead_us_per_call"][scenario]
        for variant in (BARE, FLOOR, LLMOTEL, OFFICIAL):
            cpu = _spread(by_variant[variant])
            if variant == BARE:
                lines.append(f"{scenario:<12} {variant:<9} {cpu.text():>26}")
                continue
            added = _spread(overhead[variant])
            to_floor = _times(ratio(added.median, overhead[FLOOR]["median"]))
            to_official = _times(ratio(added.median, overhead[OFFICIAL]["median"]))
            lines.append(
                f"{'':<12} {variant:<9} {cpu.text():>26}   {added.text():>26}   {to_floor:>7}  {to_official:>10}"
            )
    attributes = summary["span_attributes"]
    lines += [
        "",
        "span attributes per call: "
        + "; ".join(
            f"{scenario} " + ", ".join(f"{variant} {count}" for variant, count in counts.items() if variant != BARE)
            for scenario, counts in attributes.items()
        ),
    ]
    chunks = summary["chunks_received"]
    lines += ["", f"per extra stream chunk ({chunks[STREAM_200.name]} vs {chunks[STREAM_7.name]} chunks received):"]
    for variant, spread in summary["per_chunk_us"].items():
        lines.append(f"  {variant:<9} {_spread(spread).text()} us")
    memory = summary["memory"]
    if memory is not None:
        lines.append("")
        for variant, run in memory.items():
            lines.append(
                f"memory, {variant:<8} {run['calls_at_n']:,} -> {run['calls_at_2n']:,} calls: "
                f"{run['growth_blocks']:+,} live blocks, {run['growth_gc_objects']:+,} gc objects, "
                f"{run['growth_rss_bytes'] / 2**20:+.2f} MiB RSS "
                f"(slope {run['blocks_per_call_slope']:+.4f} blocks/call)"
            )
    lines += ["", "bars:"]
    for bar in summary["bars"]:
        interval = bar["interval"]
        spread = f"  (90% interval {interval[0]:.2f} .. {interval[1]:.2f})" if interval else ""
        verdict = "PASS" if bar["passed"] else "FAIL"
        measured = "n/a" if bar["measured"] is None else f"{bar['measured']:.3f}"
        lines.append(f"  {verdict}  {bar['name']:<40} {measured:>8} {bar['unit']:<3} <= {bar['limit']:g}{spread}")
    return "\n".join(lines)


def _times(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _spread(values: Mapping[str, float]) -> Spread:
    return Spread(**values)
