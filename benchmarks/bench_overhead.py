"""CPU time llmotel adds to one openai call, paired against the bare client, the floor and the official instrumentation.

    python3 benchmarks/bench_overhead.py            # full run (a few minutes), exits 1 when a bar fails
    python3 benchmarks/bench_overhead.py --quick    # smoke run (< 60 s warm), prints the bars, never fails on them

Any python3 >= 3.10 starts it: it builds (once) and re-runs itself in its own venv with pinned openai/OTel, the
official instrumentation and llmotel from this checkout. See benchmarks/README.md for the method and the bars.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

BENCHMARKS = Path(__file__).resolve().parent
REPO = BENCHMARKS.parent
SOURCE = REPO / "src"
# this checkout's llmotel, ahead of the copy installed in the benchmark venv (there only for its dependencies)
sys.path[:0] = [str(BENCHMARKS), str(SOURCE)]

from overhead.venv import cache_root, ensure_venv  # noqa: E402  (stdlib only: importable before the venv exists)


@dataclass(frozen=True)
class Mode:
    name: str
    rounds: int
    block_sets: dict[str, int]  # interleaved block sets per round, by scenario
    calls_per_block: dict[str, int]
    warmup_calls: int
    memory_calls_per_half: int


_CALLS_PER_BLOCK = {"plain": 2, "stream-7": 1, "stream-200": 1}  # a block is a few milliseconds of CPU or one call
QUICK = Mode("quick", 12, {"plain": 10, "stream-7": 8, "stream-200": 2}, _CALLS_PER_BLOCK, 5, 1_500)
FULL = Mode("full", 40, {"plain": 25, "stream-7": 20, "stream-200": 16}, _CALLS_PER_BLOCK, 20, 50_000)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short smoke run for CI: prints the bars, exit 0")
    parser.add_argument("--rounds", type=int, help="paired rounds (default: 12 quick, 40 full)")
    parser.add_argument("--memory-calls", type=int, help="N of the N vs 2N memory check (default: 1,500 / 50,000)")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory check")
    parser.add_argument("--seed", type=int, default=20261122, help="seed of the shuffled variant order")
    parser.add_argument("--output", type=Path, help="JSON results path (default: $LLMOTEL_CACHE/bench/...)")
    parser.add_argument(
        "--profile",
        choices=("floor", "llmotel", "official"),
        help="instead of measuring, print where this variant's added time goes (cProfile, per LLM call)",
    )
    parser.add_argument("--memory-worker", nargs=3, metavar=("VARIANT", "N", "WARMUP"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    for name in ("rounds", "memory_calls"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name.replace('_', '-')} must be a positive whole number, got {value}")

    python = ensure_venv(REPO)
    if Path(sys.prefix).resolve() != python.parent.parent.resolve():
        os.execv(python, [str(python), str(Path(__file__).resolve()), *sys.argv[1:]])

    import llmotel

    if not Path(llmotel.__path__[0]).resolve().is_relative_to(SOURCE):
        raise RuntimeError(f"llmotel was imported from {llmotel.__path__[0]}, not from this checkout's {SOURCE}")
    if args.memory_worker:
        from overhead import memory

        variant, calls, warmup = args.memory_worker
        print(json.dumps(memory.run(variant, int(calls), int(warmup))))
        return 0
    if args.profile:
        return profile(args.profile, quick=args.quick)
    return run(args)


def profile(variant: str, quick: bool) -> int:
    import opentelemetry.instrumentation.genai.openai as official
    import opentelemetry.util.genai as official_core

    import llmotel
    from overhead import floor
    from overhead.profile import profile as profile_variant
    from overhead.variants import make_switches
    from overhead.workload import SCENARIOS, make_pipeline

    roots = {
        "floor": [floor.__file__],
        "llmotel": [llmotel.__path__[0] + os.sep],
        "official": [module.__path__[0] + os.sep for module in (official, official_core)],
    }[variant]
    switches = make_switches(make_pipeline())
    calls = {"plain": 3_000, "stream-7": 2_000, "stream-200": 150}
    for scenario in SCENARIOS:
        count = calls[scenario.name] // (10 if quick else 1)
        print(f"[bench] profiling {variant}, {scenario.name}: {count} calls", flush=True)
        print(profile_variant(switches[variant], roots, scenario, count), flush=True)
    return 0


def run(args: argparse.Namespace) -> int:
    from overhead import report
    from overhead.rounds import Plan, run_rounds
    from overhead.variants import FLOOR, LLMOTEL, OFFICIAL, make_switches
    from overhead.workload import make_pipeline

    mode = QUICK if args.quick else FULL
    rounds = args.rounds or mode.rounds
    plan = Plan(rounds, mode.block_sets, mode.calls_per_block, mode.warmup_calls)
    began = time.monotonic()
    started_at = datetime.now(timezone.utc)
    load_before = os.getloadavg()
    print(
        f"[bench] {mode.name} run: {rounds} paired rounds of bare/floor/llmotel/official x plain/stream-7/stream-200"
        f" (load average {load_before[0]:.1f} on {os.cpu_count()} CPUs)",
        flush=True,
    )
    pipeline = make_pipeline()
    switches = make_switches(pipeline)

    def progress(round_number: int, samples: Any) -> None:
        parts = []
        for scenario in samples.cpu_us:
            added = " ".join(
                f"{variant} {samples.overheads(scenario, variant)[-1]:+.0f}" for variant in (FLOOR, LLMOTEL, OFFICIAL)
            )
            parts.append(f"{scenario}: {added}")
        elapsed = time.monotonic() - began
        print(f"[bench] round {round_number}/{rounds} ({elapsed:.0f} s) us added | " + " | ".join(parts), flush=True)

    samples = run_rounds(plan, switches, pipeline, args.seed, progress)
    pipeline.tracer_provider.shutdown()
    memory_result = None
    if not args.no_memory:
        calls = args.memory_calls or mode.memory_calls_per_half
        print(
            f"[bench] memory: {2 * calls:,} calls (N={calls:,} vs 2N) with llmotel, and bare as the control,"
            " each in a fresh process",
            flush=True,
        )
        memory_result = _memory_runs(calls, warmup=min(calls // 10, 3_000))
    summary = report.summarise(samples, memory_result, args.seed)
    load_after = os.getloadavg()
    results = {
        "benchmark": "llmotel instrumentation overhead",
        "mode": mode.name,
        "started_at": started_at.isoformat(timespec="seconds"),
        "duration_s": round(time.monotonic() - began, 1),
        "plan": {
            "rounds": rounds,
            "block_sets_per_round": mode.block_sets,
            "calls_per_block": mode.calls_per_block,
            "warmup_calls": mode.warmup_calls,
            "seed": args.seed,
        },
        "environment": _environment(load_before, load_after),
        **summary,
    }
    print(report.table(summary))
    output = args.output or _default_output(mode.name, started_at)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2) + "\n")
    latest = output.with_name(f"overhead-{mode.name}-latest.json")
    if latest != output:
        latest.write_text(output.read_text())
    print(f"\n[bench] results: {output} ({results['duration_s']:.0f} s)")
    if args.quick:
        return 0
    return 0 if summary["all_passed"] else 1


def _memory_runs(calls: int, warmup: int) -> dict[str, Any]:
    """Both memory runs side by side (memory, unlike CPU time, does not suffer from sharing the machine)."""
    workers = {
        variant: subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--memory-worker", variant, str(calls), str(warmup)],
            stdout=subprocess.PIPE,
            text=True,
        )  # progress goes to stderr, the result to stdout
        for variant in ("bare", "llmotel")
    }
    results = {}
    for variant, worker in workers.items():
        output, _ = worker.communicate()
        if worker.returncode != 0:
            raise RuntimeError(f"the {variant} memory run failed (exit {worker.returncode})")
        results[variant] = json.loads(output)
    return results


def _default_output(mode: str, started_at: datetime) -> Path:
    return cache_root() / "bench" / f"overhead-{mode}-{started_at.strftime('%Y%m%dT%H%M%SZ')}.json"


def _environment(load_before: tuple[float, float, float], load_after: tuple[float, float, float]) -> dict[str, Any]:
    from llmotel.version import __version__

    packages = ("openai", "httpx2", "opentelemetry-sdk", "opentelemetry-instrumentation-genai-openai")
    commit = subprocess.run(
        ["git", "-C", str(REPO), "describe", "--always", "--dirty"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average_1m": {"before": load_before[0], "after": load_after[0]},
        "llmotel_commit": commit or None,
        "packages": {"llmotel": __version__, **{name: metadata.version(name) for name in packages}},
    }


if __name__ == "__main__":
    sys.exit(main())
