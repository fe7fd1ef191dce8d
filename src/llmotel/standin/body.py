"""What a stand-in endpoint answers: a status, headers and a body that is either bytes or a ChunkStream."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple


class ConnectionCut(Exception):
    """Raised by a ChunkStream where the server must drop the connection instead of finishing the body."""


class ChunkStream:
    """A body sent piece by piece: Server-Sent Events, or a body that a fault scenario delays or cuts.

    Whoever sends it waits `first_chunk_delay_s` after the headers, then sends each chunk as it comes, and
    closes the connection without the terminating chunk when iteration raises ConnectionCut.
    """

    __slots__ = ("_chunks", "cut_after", "first_chunk_delay_s")

    def __init__(
        self, chunks: Iterable[bytes], *, first_chunk_delay_s: float = 0.0, cut_after: int | None = None
    ) -> None:
        self._chunks = chunks
        self.first_chunk_delay_s = first_chunk_delay_s
        # Chunks delivered before the cut; the last chunk (the terminating event) is never delivered.
        self.cut_after = cut_after

    def __iter__(self) -> Iterator[bytes]:
        if self.cut_after is None:
            yield from self._chunks
            return
        chunks = iter(self._chunks)
        pending = next(chunks, None)
        delivered = 0
        for following in chunks:
            if delivered == self.cut_after:
                break
            assert pending is not None
            yield pending
            delivered += 1
            pending = following
        raise ConnectionCut(f"stand-in cut the connection after {delivered} chunks")


class Reply(NamedTuple):
    """(status, headers, body); headers never carry Content-Length or Transfer-Encoding: the sender adds them."""

    status: int
    headers: dict[str, str]
    body: bytes | ChunkStream


JSON_CONTENT_TYPE = "application/json"
SSE_CONTENT_TYPE = "text/event-stream; charset=utf-8"


def encode_json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def sse_event(data: Any, event: str | None = None) -> bytes:
    """One Server-Sent Event; `data` is JSON-encoded unless it is already bytes (the OpenAI `[DONE]` sentinel)."""
    payload = data if isinstance(data, bytes) else encode_json(data)
    if event is None:
        return b"data: " + payload + b"\n\n"
    return b"event: " + event.encode() + b"\ndata: " + payload + b"\n\n"
