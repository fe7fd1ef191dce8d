"""The instrumentations compared, and a switch that puts exactly one of them in place for a timed block.

Instrumentations patch the SDK's classes for the whole process, and llmotel's instrument() takes milliseconds, far
too slow to alternate call by call. So each instrumentation's instrument() runs once, while every class and module
in the process is watched: the attributes it replaced are recorded (the very wrapper objects it installed), then put
back to the originals. Switching a variant on or off is then a few setattr calls, and the variants can be interleaved
finely. The instrumentation's own state (its instrumented flag, tracer, meters, handler) stays as instrument() left
it, so its wrappers run exactly as after a normal instrument().
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from llmotel.providers.openai import OpenAIInstrumentor as LlmotelOpenAIInstrumentor

from .floor import FloorInstrumentation
from .workload import Pipeline

BARE = "bare"
FLOOR = "floor"
LLMOTEL = "llmotel"
OFFICIAL = "official"
VARIANTS = (BARE, FLOOR, LLMOTEL, OFFICIAL)
# Instrumentation scope of each variant's spans, to check that switching puts the right one in place.
SCOPES = {FLOOR: "bench.floor", LLMOTEL: "llmotel.openai", OFFICIAL: "opentelemetry.instrumentation.genai.openai"}


@dataclass(frozen=True)
class Change:
    owner: Any  # a class or a module
    name: str
    original: Any
    patched: Any


@dataclass(frozen=True)
class Switch:
    changes: tuple[Change, ...]

    def on(self) -> None:
        for change in self.changes:
            setattr(change.owner, change.name, change.patched)

    def off(self) -> None:
        for change in self.changes:
            setattr(change.owner, change.name, change.original)


def capture(instrument: Callable[[], None]) -> Switch:
    """Run `instrument`, record which attributes it replaced anywhere in the process, and put the originals back."""
    before = _attributes()
    instrument()
    changes = []
    for key, (owner, after) in _attributes().items():
        if key not in before or before[key][0] is not owner:
            continue  # not there before: nothing of it to put back
        originals = before[key][1]
        for name, value in after.items():
            if name in originals and value is not originals[name] and not name.startswith("__"):
                changes.append(Change(owner, name, originals[name], value))
    switch = Switch(tuple(changes))
    switch.off()
    return switch


def _attributes() -> dict[int, tuple[Any, dict[str, Any]]]:
    """id -> (owner, its attributes) for every loaded module and every class defined at a module's top level."""
    owners: dict[int, tuple[Any, dict[str, Any]]] = {}
    for module in list(sys.modules.values()):
        try:
            namespace = vars(module)
        except TypeError:  # a stand-in object some libraries put in sys.modules
            continue
        owners[id(module)] = (module, dict(namespace))
        for value in list(namespace.values()):
            if isinstance(value, type) and value.__module__ == module.__name__:
                owners[id(value)] = (value, dict(vars(value)))
    return owners


def make_switches(pipeline: Pipeline) -> dict[str, Switch]:
    """One switch per variant, all off. Call before any timing: it imports what the instrumentations import."""
    # only the benchmark venv has the official instrumentation; the per-provider benchmark uses capture() alone
    from opentelemetry.instrumentation.genai.openai import OpenAIInstrumentor as OfficialOpenAIInstrumentor

    floor = FloorInstrumentation(pipeline.tracer_provider, pipeline.meter_provider)
    llmotel = LlmotelOpenAIInstrumentor()
    official = OfficialOpenAIInstrumentor()
    providers = {
        "tracer_provider": pipeline.tracer_provider,
        "meter_provider": pipeline.meter_provider,
        "logger_provider": pipeline.logger_provider,
    }
    # a first instrument()/uninstrument() imports every module each one patches, so the watch sees them beforehand
    for instrumentor in (llmotel, official):
        instrumentor.instrument(**providers)
        instrumentor.uninstrument()
    switches = {
        BARE: Switch(()),
        FLOOR: capture(floor.instrument),
        LLMOTEL: capture(lambda: llmotel.instrument(**providers)),
        OFFICIAL: capture(lambda: official.instrument(**providers)),
    }
    for name, switch in switches.items():
        if name != BARE and not switch.changes:
            raise RuntimeError(f"instrumenting {name} changed nothing in the process: nothing to measure")
    return switches
