"""BaseInstrumentor for a provider: a list of patches, each an SDK method and the Operation that translates it.

Patches are applied when the application imports the patched module, not at instrument() (see patching.py).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]

from llmotel.config import Settings
from llmotel.core.adapter import Operation
from llmotel.core.errors import ErrorCode, register_error_code
from llmotel.core.patching import LazyPatches, ready
from llmotel.core.stream_manager import manager_wrapper
from llmotel.core.telemetry import Telemetry
from llmotel.core.wrapper import WrapperFunction, method_wrapper


@dataclass(frozen=True)
class Patch:
    module: str
    attribute: str  # "Class.method" inside module, or a module-level function
    operation: Operation | None  # None only for a stream helper whose request goes through another patch
    is_async: bool = False
    stream_manager: bool = False  # the method returns a context manager that opens a stream on enter
    # instead of an operation: a plain wrapt wrapper (SDK settings hooks), or what builds one once the module is
    # imported (for an adapter whose own code imports the SDK)
    wrapper: WrapperFunction | None = None
    make_wrapper: Callable[[], WrapperFunction] | None = None
    optional: bool = False  # a private SDK helper that some versions lack: skipped quietly there


class GenAIInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """Subclasses name their scope, the library versions they support, and their patches."""

    scope: ClassVar[str]
    instruments: ClassVar[Collection[str]]
    # "module:ExceptionClass" -> the provider's error code of an instance (error.type), for SDKs whose exception
    # classes do not tell errors apart (botocore's one ClientError for every AWS error code)
    error_codes: ClassVar[Mapping[str, ErrorCode]] = {}

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
        self._patches = LazyPatches()
        for patch in self.patches():
            self._patches.wrap(patch.module, patch.attribute, self._wrapper_of(patch), patch.optional)
        for where, code in self.error_codes.items():
            module, _, class_name = where.partition(":")
            self._patches.when_imported(module, self._error_code_registration(class_name, code))
        self._after_instrument()

    def _error_code_registration(self, class_name: str, code: ErrorCode) -> Callable[[Any], None]:
        def register(module: Any) -> None:
            exception_class = getattr(module, class_name)
            register_error_code(exception_class, code)
            self._patches.on_undo(lambda: register_error_code(exception_class, None))

        return register

    def _wrapper_of(self, patch: Patch) -> Callable[[], WrapperFunction]:
        if patch.make_wrapper is not None:
            return patch.make_wrapper
        if patch.wrapper is not None:
            return ready(patch.wrapper)
        if patch.stream_manager:
            return ready(manager_wrapper(self.telemetry, patch.operation, patch.is_async))
        if patch.operation is None:
            raise ValueError(f"patch {patch.attribute} has no operation")
        return ready(method_wrapper(self.telemetry, patch.operation, patch.is_async))

    def _uninstrument(self, **kwargs: Any) -> None:
        # wrappers an SDK keeps elsewhere (methods bound onto clients, names imported early) stop recording too
        self.telemetry.active = False
        self._patches.undo()
        self._after_uninstrument()

    def _after_instrument(self) -> None:
        """Provider-specific set-up beyond patches (prefer a `Patch`: it waits for the import)."""

    def _after_uninstrument(self) -> None:
        """Undo `_after_instrument`."""
