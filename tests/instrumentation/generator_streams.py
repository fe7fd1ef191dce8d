"""Streams that SDKs hand out as plain (async) generators (cohere's chat_stream, ollama's stream=True), fitted to the
exit-path matrix, which leaves a stream with `with` / `async with` and `close()`.

A caller holds such a generator as `contextlib.closing(...)` / `contextlib.aclosing(...)` and closes it with
`close()` / `aclose()`; the helpers below give the matrix exactly that, around whatever the SDK returned.
"""

from __future__ import annotations

import contextlib
from typing import Any


def closing_sync(stream: Any) -> Any:
    """The `with` target of a sync generator stream (use with `StreamingApi(helper=True)`)."""
    return contextlib.closing(stream)


class AsyncGeneratorStream:
    """An async generator as the matrix handles it: iterated as is, `close()` is its `aclose()`, and `async with`
    closes it on exit (as contextlib.aclosing does). Use with `StreamingApi(helper=True)`."""

    def __init__(self, generator: Any) -> None:
        self.generator = generator

    def __aiter__(self) -> Any:
        return self.generator.__aiter__()

    async def close(self) -> None:
        await self.generator.aclose()

    async def __aenter__(self) -> AsyncGeneratorStream:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.generator.aclose()
