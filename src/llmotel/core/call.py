"""The call record: what one LLM call was asked and answered, filled by a provider adapter, read by the core."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from opentelemetry.trace import Span
from opentelemetry.util.types import AttributeValue

Attributes = dict[str, AttributeValue]
Message = dict[str, Any]  # {"role": ..., "parts": [...]} as semconv's gen_ai.*.messages


@dataclass(slots=True)
class Request:
    """What an adapter extracts from the SDK call's arguments before the call is made."""

    operation: str
    provider: str
    model: str
    server_address: str | None = None
    server_port: int | None = None
    attributes: Attributes = field(default_factory=dict)  # request parameters, set at span start
    stream: bool = False
    # The caller asked for the raw HTTP response: "stream" means the body is unread and the caller reads it lazily,
    # so llmotel must not touch it; any other value, the body was read and parse() is cached. None: parsed result.
    raw_response: str | None = None


@dataclass(slots=True)
class InputContent:
    """Request content in semconv's structured form (built only when content capture is on)."""

    system_instructions: list[dict[str, Any]] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    tool_definitions: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class Call:
    """One logical call in flight. Adapters write the response fields; only the core touches `span`."""

    span: Span
    started: float  # time.perf_counter() at start
    metric_attributes: Attributes
    capture_content: bool
    input_content: InputContent | None = None
    # response, filled by the adapter
    response_id: str | None = None
    response_model: str | None = None
    finish_reasons: list[str] | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_tokens: int | None = None
    cache_write_tokens: int | None = None
    reasoning_tokens: int | None = None
    response_attributes: Attributes = field(default_factory=dict)
    output_messages: list[Message] | None = None
    # streams
    first_chunk_at: float | None = None
    last_chunk_at: float = 0.0
    chunks: int = 0
    stream_state: Any = None  # the adapter's accumulator for a stream's content

    def set_finish_reason(self, index: int, reason: str) -> None:
        """Record choice `index`'s finish reason; choices that never report one are filled with `error`."""
        reasons = self.finish_reasons
        if reasons is None:
            reasons = self.finish_reasons = []
        while len(reasons) <= index:
            reasons.append("error")
        reasons[index] = reason
