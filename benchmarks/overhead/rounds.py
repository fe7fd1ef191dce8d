"""Paired rounds: every variant runs the same workload, interleaved in small blocks in a shuffled order, in one process.

A round is a series of block sets; each set times one block of every variant, in a freshly shuffled order. The
overhead of a variant in a round is its CPU time per call minus the bare client's in that same round, so whatever the
machine was doing during the round weighs on both sides of the difference alike.
"""

from __future__ import annotations

import gc
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import openai

from .variants import BARE, SCOPES, Switch
from .workload import SCENARIOS, CannedTransport, Pipeline, call_for, make_client


@dataclass(frozen=True)
class Plan:
    rounds: int
    block_sets: Mapping[str, int]  # block sets per round, by scenario
    calls_per_block: Mapping[str, int]  # by scenario
    warmup_calls: int  # per variant and scenario, untimed, before the first round


@dataclass
class Samples:
    """CPU microseconds per call by scenario, variant and round; what each scenario's call received and emitted."""

    cpu_us: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    chunks: dict[str, int] = field(default_factory=dict)
    span_attributes: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, scenario: str, variant: str, value: float) -> None:
        self.cpu_us.setdefault(scenario, {}).setdefault(variant, []).append(value)

    def overheads(self, scenario: str, variant: str) -> list[float]:
        """The variant's per-round overhead over the bare client's, in the same rounds."""
        by_variant = self.cpu_us[scenario]
        return [measured - bare for measured, bare in zip(by_variant[variant], by_variant[BARE], strict=True)]


Progress = Callable[[int, Samples], None]  # called after each round with its number (1-based)


def run_rounds(
    plan: Plan, switches: Mapping[str, Switch], pipeline: Pipeline, seed: int, progress: Progress
) -> Samples:
    transport = CannedTransport()
    client = make_client(transport)
    samples = Samples()
    # untimed: the first calls build pydantic validators, import lazily and fill caches
    for scenario in SCENARIOS:
        call = call_for(scenario, client, transport)
        for switch in switches.values():
            switch.on()
            for _ in range(plan.warmup_calls):
                call()
            switch.off()
    samples.span_attributes = check_spans(switches, pipeline, client, transport)
    pipeline.flush()
    gc.collect()
    gc.freeze()  # what exists now is permanent: full collections scan only what the calls allocate
    order = random.Random(seed)
    try:
        for round_number in range(1, plan.rounds + 1):
            for scenario in SCENARIOS:
                call = call_for(scenario, client, transport)
                calls = plan.calls_per_block[scenario.name]
                seconds = dict.fromkeys(switches, 0.0)
                names = list(switches)
                for _ in range(plan.block_sets[scenario.name]):
                    order.shuffle(names)
                    for name in names:
                        switch = switches[name]
                        switch.on()
                        started = time.process_time()  # all threads: the batch span processor's export is a cost
                        for _ in range(calls):
                            samples.chunks[scenario.name] = call()
                        seconds[name] += time.process_time() - started
                        switch.off()
                timed_calls = plan.block_sets[scenario.name] * calls
                for name, total in seconds.items():
                    samples.add(scenario.name, name, total * 1e6 / timed_calls)
            progress(round_number, samples)
    finally:
        gc.unfreeze()
    return samples


def check_spans(
    switches: Mapping[str, Switch], pipeline: Pipeline, client: openai.OpenAI, transport: CannedTransport
) -> dict[str, dict[str, int]]:
    """Per scenario and variant, the attribute count of the one span a call emits; raises when a switched-on variant
    emits none, or emits another variant's, or the bare client emits any: then the figures would mean nothing."""
    exporter = pipeline.span_exporter
    attributes: dict[str, dict[str, int]] = {}
    for scenario in SCENARIOS:
        call = call_for(scenario, client, transport)
        for name, switch in switches.items():
            pipeline.flush()
            exporter.kept = []
            switch.on()
            call()
            switch.off()
            pipeline.flush()
            spans, exporter.kept = exporter.kept, None
            scopes = [span.instrumentation_scope.name if span.instrumentation_scope else None for span in spans]
            expected = [] if name == BARE else [SCOPES[name]]
            if scopes != expected:
                raise RuntimeError(f"{name}, {scenario.name}: expected spans of {expected}, the call emitted {scopes}")
            attributes.setdefault(scenario.name, {})[name] = len(spans[0].attributes or {}) if spans else 0
    return attributes
