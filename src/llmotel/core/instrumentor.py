"""BaseInstrumentor for a provider: a list of patches, each an SDK method and the Operation that translates it.

Patches are applied when the application imports the patched module, not at instrument(): `opentelemetry-instrument`
instruments every installed library at startup, and importing SDKs the application never uses (LiteLLM alone takes
seconds) would slow every start. A module imported already is patched at once.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]
from opentelemetry.instrumentation.utils import unwrap
from wrapt import register_post_import_hook, wrap_function_wrapper

from llmotel.config import Settings
from llmotel.core.adapter import Operation
from llmotel.core.errors import report_internal_error
from llmotel.core.stream_manager import manager_wrapper
from llmotel.core.telemetry import Telemetry
from llmotel.core.wrapper import WrapperFunction, method_wrapper


@dataclass(frozen=True)
class Patch:
    module: str
    attribute: str  # "Class.method" inside module
    operation: Operation | None  # None only for a stream helper whose request goes through another patch
    is_async: bool = False
    stream_manager: bool = False  # the method returns a context manager that opens a stream on enter
    wrapper: WrapperFunction | None = None  # instead of an operation: a plain wrapt wrapper (SDK settings hooks)


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
        # Import hooks cannot be removed: each instrument() gets its own flag, and uninstrument() turns it off.
        self._active = active = [True]
        by_module: dict[str, list[Patch]] = {}
        for patch in self.patches():
            by_module.setdefault(patch.module, []).append(patch)
        for module, patches in by_module.items():
            register_post_import_hook(self._on_import(patches, active), module)
        self._after_instrument()

    def _on_import(self, patches: list[Patch], active: list[bool]) -> Callable[[Any], None]:
        def apply(_module: Any) -> None:
            if not active[0]:
                return
            for patch in patches:
                try:
                    wrap_function_wrapper(patch.module, patch.attribute, self._wrapper(patch))
                except Exception:  # a library version without this method: the others still get patched
                    report_internal_error(f"patching {patch.module}.{patch.attribute}")
                else:
                    self._applied.append(patch)

        return apply

    def _wrapper(self, patch: Patch) -> WrapperFunction:
        if patch.wrapper is not None:
            return patch.wrapper
        if patch.stream_manager:
            return manager_wrapper(self.telemetry, patch.operation, patch.is_async)
        if patch.operation is None:
            raise ValueError(f"patch {patch.attribute} has no operation")
        return method_wrapper(self.telemetry, patch.operation, patch.is_async)

    def _uninstrument(self, **kwargs: Any) -> None:
        self._active[0] = False
        self.telemetry.active = False
        for patch in self._applied:
            owner_path, _, method = patch.attribute.rpartition(".")
            owner: Any = importlib.import_module(patch.module)
            for part in owner_path.split(".") if owner_path else ():  # "" for a module-level function
                owner = getattr(owner, part)
            unwrap(owner, method)
        self._applied = []
        self._after_uninstrument()

    def _after_instrument(self) -> None:
        """Provider-specific set-up beyond patches (prefer a `Patch` with a `wrapper`: it waits for the import)."""

    def _after_uninstrument(self) -> None:
        """Undo `_after_instrument`."""
