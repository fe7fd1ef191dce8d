"""Turning the anthropic SDK's own spans off, so one logical call gives exactly one GenAI span.

The SDK resolves its `open_telemetry` option when a client is constructed (BaseClient._set_open_telemetry). Clients
constructed while llmotel instruments anthropic are handled there; a client constructed before that is handled on
its first instrumented call. A client whose user asked for the SDK's spans (an explicit `open_telemetry` option, or
ANTHROPIC_OPEN_TELEMETRY=true) keeps them.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable
from typing import Any

from llmotel.core.errors import report_internal_error

_decided: weakref.WeakSet[Any] = weakref.WeakSet()  # clients whose SDK spans llmotel has already dealt with


def _user_wants_sdk_spans() -> bool:
    return os.environ.get("ANTHROPIC_OPEN_TELEMETRY", "").strip().lower() == "true"


def _turn_off(client: Any) -> None:
    resolved = client.open_telemetry  # the SDK's public, resolved view (environment applied)
    if resolved["traces"]["enabled"]:
        client._set_open_telemetry({**resolved, "traces": {**resolved["traces"], "enabled": False}})


def on_set_open_telemetry(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: Any) -> Any:
    """Wrapper of BaseClient._set_open_telemetry: the constructor (or a copy) resolving the option."""
    result = wrapped(*args, **kwargs)
    if instance in _decided:
        return result  # our own call below, or a copy made by with_options()
    _decided.add(instance)
    given = args[0] if args else kwargs.get("open_telemetry")
    if given is None and not _user_wants_sdk_spans():
        try:
            _turn_off(instance)
        except Exception:
            report_internal_error("anthropic sdk spans")
    return result


def ensure_off(resource: Any) -> None:
    """On each call: a client constructed before instrumentation gets the same treatment once."""
    client = getattr(resource, "_client", None)
    if client is None or client in _decided:
        return
    _decided.add(client)
    if not _user_wants_sdk_spans():
        _turn_off(client)
