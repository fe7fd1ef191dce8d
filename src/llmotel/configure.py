"""`llmotel.setup()`: one line for apps that don't run under `opentelemetry-instrument`.

It does what `opentelemetry-instrument` does with opentelemetry-distro: build the SDK's tracer, meter and logger
providers from the standard OTEL_* environment (exporters, endpoints, headers, resource, sampler), then instrument
every installed LLM library llmotel supports. It never overrides providers the app already set.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]

from llmotel.core.errors import logger


def instrumentors() -> dict[str, BaseInstrumentor]:
    """llmotel's instrumentors, by entry-point name (`llmotel_openai`, ...)."""
    from importlib.metadata import entry_points

    return {
        entry_point.name: entry_point.load()()
        for entry_point in entry_points(group="opentelemetry_instrumentor")
        if entry_point.name.startswith("llmotel_")
    }


def setup(
    service_name: str | None = None,
    *,
    exporter: str | None = None,
    instrument: Iterable[str] | None = None,
) -> None:
    """Configure OpenTelemetry from OTEL_* and instrument LLM libraries.

    service_name: sets OTEL_SERVICE_NAME when the environment doesn't.
    exporter: OTEL_{TRACES,METRICS,LOGS}_EXPORTER when the environment doesn't set them (default "otlp").
    instrument: entry-point names to instrument (default: every llmotel_* one whose library is installed).
    """
    if service_name:
        os.environ.setdefault("OTEL_SERVICE_NAME", service_name)
    for signal in ("TRACES", "METRICS", "LOGS"):  # the distro's default is OTLP for every signal
        os.environ.setdefault(f"OTEL_{signal}_EXPORTER", exporter or "otlp")
    from opentelemetry.distro import OpenTelemetryConfigurator

    OpenTelemetryConfigurator().configure()  # type: ignore[no-untyped-call]
    wanted = set(instrument) if instrument is not None else None
    disabled = {name.strip() for name in os.environ.get("OTEL_PYTHON_DISABLED_INSTRUMENTATIONS", "").split(",")}
    for name, instrumentor in instrumentors().items():
        if name in disabled or (wanted is not None and name not in wanted):
            continue
        if not instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.instrument()
            logger.debug("llmotel: instrumented %s", name)
