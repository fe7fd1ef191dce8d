"""Anthropic (`anthropic` >= 2): messages.create and messages.stream(), sync and async.

The SDK traces itself: with a tracer provider set, every client emits its own `anthropic.messages.create` CLIENT
span (scope com.anthropic.sdk.python). Two spans for one call would double-count every dashboard, so while llmotel
instruments anthropic, clients without an explicit `open_telemetry` option get the SDK's spans turned off
(trace-context propagation stays as configured); see sdk_spans.py. Opting back in is explicit:
ANTHROPIC_OPEN_TELEMETRY=true or the client's `open_telemetry` option, and then both spans are emitted.
"""

from __future__ import annotations

from collections.abc import Sequence

from llmotel.core.instrumentor import GenAIInstrumentor, Patch
from llmotel.providers.anthropic import sdk_spans
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
            Patch(_BASE_CLIENT, "BaseClient._set_open_telemetry", None, wrapper=sdk_spans.on_set_open_telemetry),
        ]


__all__ = ["AnthropicInstrumentor"]
