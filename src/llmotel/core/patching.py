"""Patches that wait for the application to import their module.

`opentelemetry-instrument` instruments every installed library at startup. Importing the SDKs an application never
uses (LiteLLM alone takes seconds) would slow every start, so instrument() only registers import hooks: a module
imported already is patched at once, any other when the application imports it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from opentelemetry.instrumentation.utils import unwrap
from wrapt import register_post_import_hook, wrap_function_wrapper

from llmotel.core.errors import logger, report_internal_error
from llmotel.core.wrapper import WrapperFunction


def ready(wrapper: WrapperFunction) -> Callable[[], WrapperFunction]:
    """`LazyPatches.wrap`'s wrapper argument for a wrapper that is built already."""
    return lambda: wrapper


class LazyPatches:
    """One instrumentation's patches: applied on import, undone together. Import hooks cannot be removed, so a
    hook registered before `undo()` finds this object inactive and does nothing."""

    def __init__(self) -> None:
        self.active = True
        self._applied: list[tuple[Any, str]] = []  # (owner, attribute name)
        self._undo_actions: list[Callable[[], None]] = []

    def when_imported(self, module: str, action: Callable[[Any], None]) -> None:
        """Run `action(module object)` once `module` is imported (at once if it is already)."""

        def hook(imported: Any) -> None:
            if not self.active:
                return
            try:
                action(imported)
            except Exception:  # never break the application's import
                report_internal_error(f"instrumenting {module}")

        register_post_import_hook(hook, module)

    def wrap(self, module: str, attribute: str, wrapper: Callable[[], WrapperFunction], optional: bool = False) -> None:
        """Wrap `attribute` ("Class.method" or a module function) of `module` once imported, with the wrapt wrapper
        `wrapper()` builds then (an adapter whose code imports the SDK is loaded only then). `optional`: an SDK
        version without it is expected (a private helper), and is skipped quietly."""

        def apply(imported: Any) -> None:
            owner_path, _, name = attribute.rpartition(".")
            owner = imported
            for part in filter(None, owner_path.split(".")):
                owner = getattr(owner, part, None)
            if owner is None or not hasattr(owner, name):
                if not optional:
                    raise AttributeError(f"{module} has no {attribute}")
                logger.debug("llmotel: %s has no %s, not patched", module, attribute)
                return
            wrap_function_wrapper(owner, name, wrapper())
            self._applied.append((owner, name))

        self.when_imported(module, apply)

    def on_undo(self, action: Callable[[], None]) -> None:
        """Run `action()` at `undo()` (an action of `when_imported` registers what it must take back)."""
        self._undo_actions.append(action)

    def undo(self) -> None:
        self.active = False
        for owner, name in reversed(self._applied):
            unwrap(owner, name)
        self._applied = []
        for action in self._undo_actions:
            action()
        self._undo_actions = []
