"""In-memory httpx2 transports serving the stand-in without sockets (benchmarks, fast tests).

    client = openai.OpenAI(base_url="http://standin/v1", api_key="test",
                           http_client=httpx2.Client(transport=StandinTransport()))

This module imports httpx2 (the HTTP library of openai 3.x and anthropic 2.x); the rest of the package is stdlib.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator

import anyio
import httpx2

from .body import ChunkStream, ConnectionCut, Reply
from .routing import respond


class StandinTransport(httpx2.BaseTransport):
    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        return _response(_reply(request, request.read()), _SyncChunks)


class AsyncStandinTransport(httpx2.AsyncBaseTransport):
    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        return _response(_reply(request, await request.aread()), _AsyncChunks)


def _reply(request: httpx2.Request, content: bytes) -> Reply:
    headers = {name.lower(): value for name, value in request.headers.items()}
    return respond(request.method, request.url.raw_path.decode(), content, headers)


def _response(reply: Reply, stream_type: type[_SyncChunks] | type[_AsyncChunks]) -> httpx2.Response:
    if isinstance(reply.body, bytes):
        return httpx2.Response(reply.status, headers=reply.headers, content=reply.body)
    return httpx2.Response(reply.status, headers=reply.headers, stream=stream_type(reply.body))


def _cut_error(err: ConnectionCut) -> httpx2.RemoteProtocolError:
    # What httpx2 raises when a peer closes a chunked body early over a socket.
    return httpx2.RemoteProtocolError(f"peer closed connection without sending complete message body ({err})")


class _SyncChunks(httpx2.SyncByteStream):
    def __init__(self, chunks: ChunkStream) -> None:
        self._chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        if self._chunks.first_chunk_delay_s:
            time.sleep(self._chunks.first_chunk_delay_s)
        try:
            yield from self._chunks
        except ConnectionCut as err:
            raise _cut_error(err) from err


class _AsyncChunks(httpx2.AsyncByteStream):
    def __init__(self, chunks: ChunkStream) -> None:
        self._chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self._chunks.first_chunk_delay_s:
            await anyio.sleep(self._chunks.first_chunk_delay_s)
        try:
            for chunk in self._chunks:
                yield chunk
        except ConnectionCut as err:
            raise _cut_error(err) from err
