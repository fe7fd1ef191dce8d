"""CPU time llmotel adds to one plain call of each provider SDK, paired against the bare client and the floor.

    make bench-providers                                  # full run (a few minutes): exits 1 when a bar fails
    make bench-providers ARGS=--quick                     # smoke run: prints the bars, never fails on them
    $(./scripts/python-env.sh) benchmarks/bench_providers.py --cases groq,cohere

Runs in the dev venv (it has every provider SDK). The bar is OpenAI's per-call bar (bench_overhead.py): llmotel's
added CPU time at most 1.25x the floor's. OpenAI runs in the same rounds as the reference. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import os
import random
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

BENCHMARKS = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCHMARKS))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from overhead.providers import (  # noqa: E402
    CASES,
    FLOOR_SCOPE,
    GenericFloor,
    ProviderCase,
    canned_transport,
    http_module,
    instrumentor_of,
)
from overhead.report import MAX_RATIO_TO_FLOOR, Spread, ratio, ratio_interval  # noqa: E402
from overhead.rounds import Samples  # noqa: E402
from overhead.variants import BARE, FLOOR, LLMOTEL, Switch, capture  # noqa: E402
from overhead.venv import cache_root  # noqa: E402
from overhead.workload import Pipeline, make_pipeline  # noqa: E402

VARIANTS = (BARE, FLOOR, LLMOTEL)


class Prepared:
    """One case ready to time: its client's call and a switch per variant, checked to emit the right span."""

    def __init__(self, case: ProviderCase, pipeline: Pipeline) -> None:
        self.case = case
        client = case.client(canned_transport(http_module(case)))
        self.call: Callable[[], Any] = lambda: case.call(client, case.model)
        providers = {
            "tracer_provider": pipeline.tracer_provider,
            "meter_provider": pipeline.meter_provider,
            "logger_provider": pipeline.logger_provider,
        }
        # capture() sees only modules loaded before it: load what the call, the floor and llmotel touch
        importlib.import_module(case.target[0])
        self.call()
        instrumentor = instrumentor_of(case)
        instrumentor.instrument(**providers)
        instrumentor.uninstrument()
        self.scope = instrumentor.scope
        self.switches: dict[str, Switch] = {
            BARE: Switch(()),
            FLOOR: capture(GenericFloor(case, pipeline.tracer_provider, pipeline.meter_provider).instrument),
            LLMOTEL: capture(lambda: instrumentor.instrument(**providers)),
        }
        self.span_attributes = self._check(pipeline)

    def _check(self, pipeline: Pipeline) -> dict[str, int]:
        """Each variant's call emits exactly its own span (bare none), or the figures would mean nothing."""
        expected = {BARE: [], FLOOR: [FLOOR_SCOPE], LLMOTEL: [self.scope]}
        counts = {}
        for name, switch in self.switches.items():
            pipeline.flush()
            pipeline.span_exporter.kept = []
            switch.on()
            self.call()
            switch.off()
            pipeline.flush()
            spans, pipeline.span_exporter.kept = pipeline.span_exporter.kept, None
            scopes = [span.instrumentation_scope.name if span.instrumentation_scope else None for span in spans]
            if scopes != expected[name]:
                raise RuntimeError(f"{self.case.name}, {name}: expected spans of {expected[name]}, got {scopes}")
            counts[name] = len(spans[0].attributes or {}) if spans else 0
        return counts


def run(cases: list[ProviderCase], rounds: int, block_sets: int, calls_per_block: int, seed: int) -> dict[str, Any]:
    pipeline = make_pipeline()
    began = time.monotonic()
    prepared = []
    for case in cases:
        print(f"[bench] preparing {case.name}", flush=True)
        prepared.append(Prepared(case, pipeline))
    samples = Samples()
    for item in prepared:  # untimed warm-up: validators, lazy imports, caches
        for switch in item.switches.values():
            switch.on()
            for _ in range(20):
                item.call()
            switch.off()
    pipeline.flush()
    gc.collect()
    gc.freeze()
    order = random.Random(seed)
    try:
        for round_number in range(1, rounds + 1):
            for item in prepared:
                seconds = dict.fromkeys(VARIANTS, 0.0)
                names = list(VARIANTS)
                for _ in range(block_sets):
                    order.shuffle(names)
                    for name in names:
                        switch = item.switches[name]
                        switch.on()
                        started = time.process_time()  # all threads: the batch processor's export is a cost too
                        for _ in range(calls_per_block):
                            item.call()
                        seconds[name] += time.process_time() - started
                        switch.off()
                for name, total in seconds.items():
                    samples.add(item.case.name, name, total * 1e6 / (block_sets * calls_per_block))
            added = " | ".join(
                f"{item.case.name} {samples.overheads(item.case.name, LLMOTEL)[-1]:+.0f}"
                f"/{samples.overheads(item.case.name, FLOOR)[-1]:+.0f}"
                for item in prepared
            )
            print(
                f"[bench] round {round_number}/{rounds} ({time.monotonic() - began:.0f} s) "
                f"us added llmotel/floor: {added}",
                flush=True,
            )
    finally:
        gc.unfreeze()
    pipeline.tracer_provider.shutdown()
    return summarise(prepared, samples, seed)


def summarise(prepared: list[Prepared], samples: Samples, seed: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for item in prepared:
        name = item.case.name
        floor = Spread.of(samples.overheads(name, FLOOR))
        llmotel = Spread.of(samples.overheads(name, LLMOTEL))
        measured = ratio(llmotel.median, floor.median)
        results[name] = {
            "bare_cpu_us": Spread.of(samples.cpu_us[name][BARE]).median,
            "floor_added_us": floor.__dict__,
            "llmotel_added_us": llmotel.__dict__,
            "llmotel_over_floor": measured,
            "interval": ratio_interval(samples, name, LLMOTEL, FLOOR, seed),
            "passed": measured is not None and measured <= MAX_RATIO_TO_FLOOR,
            "span_attributes": item.span_attributes,
        }
    return results


def table(results: dict[str, Any]) -> str:
    header = f"{'provider':<14} {'bare CPU/call':>13} {'floor added':>26} {'llmotel added':>26} {'x floor':>8}  bar"
    lines = ["", "CPU microseconds per plain call (median over rounds [quartiles]); added = variant - bare", "", header]
    lines.append("-" * len(header))
    for name, result in results.items():
        floor, llmotel = Spread(**result["floor_added_us"]), Spread(**result["llmotel_added_us"])
        measured = result["llmotel_over_floor"]
        interval = result["interval"]
        verdict = "PASS" if result["passed"] else "FAIL"
        spread = f" (90% {interval[0]:.2f}..{interval[1]:.2f})" if interval else ""
        shown = "n/a" if measured is None else f"{measured:.2f}"
        lines.append(
            f"{name:<14} {result['bare_cpu_us']:>13.1f} {floor.text():>26} {llmotel.text():>26} {shown:>8}  "
            f"{verdict} <= {MAX_RATIO_TO_FLOOR}{spread}"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short smoke run: prints the bars, exit 0")
    parser.add_argument("--rounds", type=int, help="paired rounds (default: 6 quick, 30 full)")
    parser.add_argument("--cases", help=f"comma-separated subset of: {', '.join(c.name for c in CASES)}")
    parser.add_argument("--seed", type=int, default=20261122)
    args = parser.parse_args()
    chosen = [case for case in CASES if not args.cases or case.name in args.cases.split(",")]
    unknown = set(args.cases.split(",")) - {c.name for c in CASES} if args.cases else set()
    if unknown or not chosen:
        parser.error(f"--cases: unknown {sorted(unknown)}; choose from {', '.join(c.name for c in CASES)}")
    rounds = args.rounds or (6 if args.quick else 30)
    if rounds < 1:
        parser.error(f"--rounds must be a positive whole number, got {rounds}")
    load = os.getloadavg()[0]
    print(f"[bench] {len(chosen)} providers x bare/floor/llmotel, {rounds} paired rounds (load {load:.1f})", flush=True)
    results = run(chosen, rounds, block_sets=10 if args.quick else 20, calls_per_block=2, seed=args.seed)
    print(table(results), flush=True)
    out = cache_root() / "bench"
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    mode = "quick" if args.quick else "full"
    document = {"mode": mode, "rounds": rounds, "load_average_before": load, "results": results}
    for path in (out / f"providers-{mode}-{stamp}.json", out / f"providers-{mode}-latest.json"):
        path.write_text(json.dumps(document, indent=2))
    print(f"[bench] results: {out / f'providers-{mode}-latest.json'}", flush=True)
    if args.quick:
        return 0
    return 0 if all(result["passed"] for result in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
