"""Anthropic (`anthropic` >= 2): messages.create and messages.stream(), sync and async.

The SDK traces itself: with a tracer provider set, every client emits its own `anthropic.messages.create` CLIENT
span (scope com.anthropic.sdk.python). Two spans for one call would double-count every dashboard, so while llmotel
instruments anthropic, clients constructed without an explicit `open_telemetry` option get the SDK's spans turned off
(trace-context propagation stays as configured). Opting back in is explicit: ANTHROPIC_OPEN_TELEMETRY=true or the
client's `open_telemetry` option, and then both spans are emitted.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

from opentelemetry.instrumentation.utils import unwrap
from wrapt import wrap_function_wrapper

from llmotel.core.errors import report_internal_error
from llmotel.core.instrumentor import GenAIInstrumentor, Patch
from llmotel.providers.anthropic.messages import Messages

_MESSAGES = "anthropic.resources.messages.messages"
_BASE_CLIENT = "anthropic._base_client"


class AnthropicInstrumentor(GenAIInstrumentor):
    scope = "llmotel.anthropic"
    instruments = ("anthropic >= 2.0, < 3",)

    def patches(self) -> Sequence[Patch]:
        create, helper = Messages(), Messages(stream_helper=True)
        return [
            Patch(_MESSAGES, "Messages.create", create),
            Patch(_MESSAGES, "AsyncMessages.create", create, is_async=True),
            Patch(_MESSAGES, "Messages.stream", helper, stream_manager=True),
            Patch(_MESSAGES, "AsyncMessages.stream", helper, is_async=True, stream_manager=True),
        ]

    def _after_instrument(self) -> None:
        wrap_function_wrapper(_BASE_CLIENT, "BaseClient._set_open_telemetry", _without_sdk_spans)

    def _after_uninstrument(self) -> None:
        from anthropic._base_client import BaseClient

        unwrap(BaseClient, "_set_open_telemetry")


def _without_sdk_spans(
    wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """Resolve the client's option as the SDK does, then turn its spans off unless the user asked for them."""
    result = wrapped(*args, **kwargs)
    given = args[0] if args else kwargs.get("open_telemetry")
    if given is not None or os.environ.get("ANTHROPIC_OPEN_TELEMETRY", "").strip().lower() == "true":
        return result
    try:
        resolved = instance.open_telemetry
        if resolved["traces"]["enabled"]:
            wrapped({**resolved, "traces": {**resolved["traces"], "enabled": False}})
    except Exception:
        report_internal_error("anthropic open_telemetry option")
    return result


__all__ = ["AnthropicInstrumentor"]
