"""What every bedrock-runtime operation shares: the endpoint, the request id, usage, event streams, stream content."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from botocore.eventstream import EventStream

from llmotel.core.call import Call, Message
from llmotel.core.content import parse_arguments

SERVICE = "bedrock-runtime"
PROVIDER = "aws.bedrock"
# botocore calls `_make_api_call(operation_name, api_params)` positionally: the names the operations read them by
POSITIONAL = ("operation_name", "api_params")


def api_params(kwargs: Mapping[str, Any]) -> Mapping[str, Any]:
    params = kwargs.get("api_params")
    return params if isinstance(params, Mapping) else {}


@lru_cache(maxsize=64)  # a process talks to a few endpoints; parsing the URL on every call costs microseconds
def _host_and_port(url: str) -> tuple[str | None, int | None]:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.hostname, port


def endpoint(client: Any) -> tuple[str | None, int | None]:
    """(server.address, server.port) of a botocore client: the regional endpoint or the `endpoint_url` given."""
    url = getattr(getattr(client, "meta", None), "endpoint_url", None)
    return _host_and_port(url) if isinstance(url, str) else (None, None)


def request_id(result: Mapping[str, Any]) -> str | None:
    """The AWS request id: Bedrock's only response id for most models (Converse returns no completion id)."""
    metadata = result.get("ResponseMetadata")
    return metadata.get("RequestId") if isinstance(metadata, Mapping) else None


def record_usage(
    call: Call, input_tokens: Any, output_tokens: Any, cache_read: Any = None, cache_write: Any = None
) -> None:
    """Bedrock's input count excludes cache reads and writes (AWS prompt-caching guide: total input = inputTokens +
    cacheReadInputTokens + cacheWriteInputTokens); semconv's includes both."""
    if isinstance(input_tokens, int):
        call.input_tokens = input_tokens + (cache_read or 0) + (cache_write or 0)
    if isinstance(output_tokens, int):
        call.output_tokens = output_tokens
    if isinstance(cache_read, int):
        call.cache_read_tokens = cache_read
    if isinstance(cache_write, int):
        call.cache_write_tokens = cache_write


class SteppableEventStream(EventStream):  # type: ignore[misc]
    """botocore's EventStream (iterable, closable) plus `__next__`, which the core's stream proxy steps with.

    It shares the original's state (raw stream, event generator), so the caller sees the same events, close() and
    get_initial_response(), and `isinstance(stream, EventStream)` still holds.
    """

    def __init__(self, stream: EventStream) -> None:  # not super().__init__: it would open a second event generator
        self.__dict__.update(stream.__dict__)
        self._llmotel_events: Iterator[Any] = iter(stream)

    def __next__(self) -> Any:
        return next(self._llmotel_events)


@dataclass(slots=True)
class StreamContent:
    """A streamed message's content blocks by index, gathered only when capturing: the part without its text (a
    tool call's id and name come first), and the text fragments (a tool call's are its JSON arguments)."""

    blocks: dict[int, tuple[dict[str, Any], list[str]]] = field(default_factory=dict)

    def start(self, index: int, kind: str, block_id: str | None = None, name: str | None = None) -> None:
        part: dict[str, Any] = {"type": kind, "id": block_id, "name": name} if kind == "tool_call" else {"type": kind}
        self.blocks[index] = (part, [])

    def add(self, index: int, kind: str, fragment: str) -> None:
        block = self.blocks.get(index)
        if block is None:
            self.start(index, kind)
            block = self.blocks[index]
        block[1].append(fragment)

    def message(self, finish_reason: str | None) -> Message:
        parts = []
        for _, (part, fragments) in sorted(self.blocks.items()):
            text = "".join(fragments)
            if part["type"] == "tool_call":
                parts.append({**part, "arguments": parse_arguments(text or "{}")})
            else:
                parts.append({**part, "content": text})
        return {"role": "assistant", "parts": parts, "finish_reason": finish_reason or "error"}


def stream_state(call: Call) -> StreamContent:
    state = call.stream_state
    if state is None:
        state = call.stream_state = StreamContent()
    return state  # type: ignore[no-any-return]


def end_stream_content(call: Call) -> None:
    if call.capture_content and call.stream_state is not None:
        reason = call.finish_reasons[0] if call.finish_reasons else None
        call.output_messages = [call.stream_state.message(reason)]
