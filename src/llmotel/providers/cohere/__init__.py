"""Cohere (`cohere` 7.x), the v2 API: chat, chat_stream and embed, sync and async.

chat and embed are patched on the raw clients (`RawV2Client` / `AsyncRawV2Client`), which every client reaches:
`cohere.ClientV2` / `AsyncClientV2`, the v1 clients' `.v2`, and `.with_raw_response`. The public methods cannot be
patched for clients constructed before instrument(): cohere's Client.__init__ binds `chat` (and `chat_stream`) onto
the instance. chat_stream is patched on `V2Client` / `AsyncV2Client`, because the call is the stream: a generator
that sends its request on the first iteration (a failed request, a 429 say, ends the span then), so one span covers
a stream even when it is dropped unread. A client constructed before instrument() with the SDK's default
`log_warning_experimental_features=True` keeps its own bound chat_stream and is not traced for streams.
`AsyncV2Client.chat_stream` is an async generator function: calling it (without await) gives the stream, so it is
patched as a sync method and the core proxies the async stream it returns.
"""

from __future__ import annotations

from collections.abc import Sequence

from llmotel.core.instrumentor import GenAIInstrumentor, Patch
from llmotel.providers.cohere.chat import Chat
from llmotel.providers.cohere.embed import Embed

_V2 = "cohere.v2.client"
_RAW = "cohere.v2.raw_client"


class CohereInstrumentor(GenAIInstrumentor):
    scope = "llmotel.cohere"
    instruments = ("cohere >= 7.0, < 8",)

    def patches(self) -> Sequence[Patch]:
        chat, stream, embed = Chat(), Chat(stream=True), Embed()
        return [
            Patch(_RAW, "RawV2Client.chat", chat),
            Patch(_RAW, "AsyncRawV2Client.chat", chat, is_async=True),
            Patch(_V2, "V2Client.chat_stream", stream),
            Patch(_V2, "AsyncV2Client.chat_stream", stream),
            Patch(_RAW, "RawV2Client.embed", embed),
            Patch(_RAW, "AsyncRawV2Client.embed", embed, is_async=True),
        ]


__all__ = ["CohereInstrumentor"]
