"""The in-memory transports (no socket) with the real clients, and the command line."""

from __future__ import annotations

import subprocess
import sys

import anthropic
import httpx2
import openai
import pytest

from llmotel.standin.transport import AsyncStandinTransport, StandinTransport
from standin_support import CHAT_MESSAGES, CLAUDE, CLAUDE_MESSAGES, GPT, cli_environment


def test_sync_transport_serves_both_clients_without_a_socket() -> None:
    client = openai.OpenAI(
        base_url="http://standin.invalid/v1", api_key="k", http_client=httpx2.Client(transport=StandinTransport())
    )
    claude = anthropic.Anthropic(
        base_url="http://standin.invalid", api_key="k", http_client=httpx2.Client(transport=StandinTransport())
    )

    chunks = list(
        client.chat.completions.create(
            model=GPT,
            messages=CHAT_MESSAGES,
            stream=True,
            extra_headers={"x-standin-chunks": "200"},
        )
    )
    with claude.messages.stream(model=CLAUDE, max_tokens=50, messages=CLAUDE_MESSAGES) as stream:
        final = stream.get_final_message()

    assert len([c for c in chunks if c.choices[0].delta.content]) == 200
    assert final.usage.output_tokens == 7


def test_sync_transport_cut_is_a_connection_error() -> None:
    client = openai.OpenAI(
        base_url="http://standin.invalid/v1", api_key="k", http_client=httpx2.Client(transport=StandinTransport())
    )
    stream = client.chat.completions.create(model="standin-cut-after-2", messages=CHAT_MESSAGES, stream=True)

    with pytest.raises(openai.APIConnectionError):
        list(stream)


async def test_async_transport_with_slow_first_chunk() -> None:
    client = anthropic.AsyncAnthropic(
        base_url="http://standin.invalid",
        api_key="k",
        http_client=httpx2.AsyncClient(transport=AsyncStandinTransport()),
    )
    stream = await client.messages.create(
        model=CLAUDE,
        max_tokens=50,
        messages=CLAUDE_MESSAGES,
        stream=True,
        extra_headers={"x-standin-scenario": "slow-first-chunk-50"},
    )
    types = [event.type async for event in stream]

    assert types[0] == "message_start" and types[-1] == "message_stop"


def test_cli_prints_base_urls_and_serves() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "llmotel.standin"], stdout=subprocess.PIPE, text=True, env=cli_environment()
    )
    try:
        assert process.stdout is not None
        openai_line = process.stdout.readline().strip()
        anthropic_line = process.stdout.readline().strip()
        assert openai_line.startswith("OPENAI_BASE_URL=http://127.0.0.1:") and openai_line.endswith("/v1")
        assert anthropic_line.startswith("ANTHROPIC_BASE_URL=http://127.0.0.1:")
        client = openai.OpenAI(base_url=openai_line.split("=", 1)[1], api_key="k", max_retries=0)
        completion = client.chat.completions.create(model=GPT, messages=CHAT_MESSAGES)
        assert completion.choices[0].finish_reason == "stop"
    finally:
        process.terminate()
        process.wait(timeout=10)
