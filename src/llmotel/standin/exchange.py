"""The steps every stand-in endpoint shares: parse the body, read the directives, fail or build, then apply faults."""

from __future__ import annotations

import itertools
import json
import secrets
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .body import ChunkStream, Reply
from .directives import DirectiveError, Directives, parse_directives

RequestBody = bytes | Mapping[str, Any]
Builder = Callable[[dict[str, Any], Directives], Reply]


# Retry-After of a 429. Both SDKs prefer retry-after-ms, so a client's default retries cost milliseconds, not seconds.
RETRY_AFTER_MS = 20
RATE_LIMIT_HEADERS = {"retry-after": "1", "retry-after-ms": str(RETRY_AFTER_MS)}


def new_id(prefix: str) -> str:
    """A unique id in the provider's style (`chatcmpl-...`, `msg_...`)."""
    return prefix + secrets.token_hex(12)


class InvalidRequest(Exception):
    """A request the real API would refuse with 400; `param` names the offending field."""

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param


@dataclass(frozen=True)
class WireFormat:
    """What differs between providers in the shared steps."""

    error: Callable[[int, str, str | None], Reply]
    # An event whose data is not JSON, in the provider's framing (Anthropic's SDK skips events without a name).
    malformed_event: bytes
    # The error event the provider sends when a stream fails after it started, given the events sent before it.
    stream_error_event: Callable[[int], bytes]


def serve(build: Builder, body: RequestBody, headers: Mapping[str, str], wire: WireFormat) -> Reply:
    """Answer one request; `headers` keys are lower-case."""
    try:
        request = dict(body) if isinstance(body, Mapping) else json.loads(body)
    except ValueError:
        return wire.error(400, "The request body is not valid JSON.", None)
    if not isinstance(request, dict):
        return wire.error(400, "The request body must be a JSON object.", None)
    try:
        directives = parse_directives(headers, request.get("model"))
    except DirectiveError as err:
        return wire.error(400, str(err), None)
    if directives.fails(headers):
        status = directives.error_status
        assert status is not None
        reply = wire.error(status, f"Stand-in scenario error-{status}.", None)
    else:
        try:
            reply = build(request, directives)
        except InvalidRequest as err:
            return wire.error(400, err.message, err.param)
        if directives.malformed_json:
            reply = _malformed(reply, wire.malformed_event)
        if directives.error_event_after is not None and isinstance(reply.body, ChunkStream):
            failing = _failing(reply.body, directives.error_event_after, wire.stream_error_event)
            reply = reply._replace(body=ChunkStream(failing))
    return _with_faults(reply, directives)


def required_string(request: Mapping[str, Any], field: str) -> str:
    value = request.get(field)
    if not isinstance(value, str) or not value:
        raise InvalidRequest(f"'{field}' is required and must be a non-empty string.", field)
    return value


def required_objects(request: Mapping[str, Any], field: str) -> list[dict[str, Any]]:
    value = request.get(field)
    if not isinstance(value, list) or not value or not all(isinstance(item, dict) for item in value):
        raise InvalidRequest(f"'{field}' is required and must be a non-empty array of objects.", field)
    return value


def optional_int(request: Mapping[str, Any], field: str) -> int | None:
    value = request.get(field)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
        raise InvalidRequest(f"'{field}' must be a positive integer.", field)
    return value


def _malformed(reply: Reply, garbage_event: bytes) -> Reply:
    if isinstance(reply.body, bytes):
        return reply._replace(body=reply.body[: len(reply.body) // 2])
    return reply._replace(body=ChunkStream(_after_first(reply.body, garbage_event)))


def _after_first(chunks: ChunkStream, inserted: bytes) -> Iterator[bytes]:
    for index, chunk in enumerate(chunks):
        yield chunk
        if index == 0:
            yield inserted


def _failing(chunks: ChunkStream, count: int, error_event: Callable[[int], bytes]) -> Iterator[bytes]:
    delivered = 0
    for chunk in itertools.islice(chunks, count):
        yield chunk
        delivered += 1
    yield error_event(delivered)


def _with_faults(reply: Reply, directives: Directives) -> Reply:
    if directives.cut_after is None and not directives.first_chunk_delay_s:
        return reply
    body = reply.body
    # A cut non-stream body delivers its first half, then the connection drops.
    chunks = [body[: len(body) // 2], body[len(body) // 2 :]] if isinstance(body, bytes) else body
    stream = ChunkStream(chunks, first_chunk_delay_s=directives.first_chunk_delay_s, cut_after=directives.cut_after)
    return reply._replace(body=stream)
