"""BaseInstrumentor for a provider: a list of patches, each an SDK method and the Operation that translates it."""

from __future__ import annotations

import importlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]
from opentelemetry.instrumentation.utils import unwrap
from wrapt import wrap_function_wrapper

from llmotel.config import Settings
from llmotel.core.adapter import Operation
from llmotel.core.stream_manager import manager_wrapper
from llmotel.core.telemetry import Telemetry
from llmotel.core.wrapper import method_wrapper


@dataclass(frozen=True)
class Patch:
    module: str
    attribute: str  # "Class.method" inside module
    operation: Operation | None  # None only for a stream helper whose request goes through another patch
    is_async: bool = False
    stream_manager: bool = False  # the method returns a context manager that opens a stream on enter


class GenAIInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """Subclasses name their scope, the library versions they support, and their patches."""

    scope: ClassVar[str]
    instruments: ClassVar[Collection[str]]

    def patches(self) -> Sequence[Patch]:
        raise NotImplementedError

    def instrumentation_dependencies(self) -> Collection[str]:
        return self.instruments

    def _instrument(self, **kwargs: Any) -> None:
        settings = kwargs.get("settings") or Settings.from_env()
        self.telemetry = Telemetry(
            self.scope,
            settings,
            tracer_provider=kwargs.get("tracer_provider"),
            meter_provider=kwargs.get("meter_provider"),
            logger_provider=kwargs.get("logger_provider"),
        )
        self._applied: list[Patch] = []
        for patch in self.patches():
            if patch.stream_manager:
                wrapper = manager_wrapper(self.telemetry, patch.operation, patch.is_async)
            elif patch.operation is not None:
                wrapper = method_wrapper(self.telemetry, patch.operation, patch.is_async)
            else:
                raise ValueError(f"patch {patch.attribute} has no operation")
            wrap_function_wrapper(patch.module, patch.attribute, wrapper)
            self._applied.append(patch)
        self._after_instrument()

    def _uninstrument(self, **kwargs: Any) -> None:
        for patch in self._applied:
            owner_path, _, method = patch.attribute.rpartition(".")
            owner: Any = importlib.import_module(patch.module)
            for part in owner_path.split("."):
                owner = getattr(owner, part)
            unwrap(owner, method)
        self._applied = []
        self._after_uninstrument()

    def _after_instrument(self) -> None:
        """Provider-specific set-up beyond method patches."""

    def _after_uninstrument(self) -> None:
        """Undo `_after_instrument`."""
