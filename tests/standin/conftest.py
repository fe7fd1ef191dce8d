"""One stand-in server for the module's tests, with the real clients pointed at it (no instrumentation)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import anthropic
import openai
import pytest

from llmotel.standin import StandinServer


@pytest.fixture(scope="session")
def standin() -> Iterator[StandinServer]:
    with StandinServer() as server:
        yield server


@pytest.fixture
def server(standin: StandinServer) -> StandinServer:
    standin.requests.clear()
    return standin


# Sync clients are built once: building one (TLS context included) costs more than the calls a test makes.
@pytest.fixture(scope="session")
def shared_openai_client(standin: StandinServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=standin.openai_base_url, api_key="standin-key", max_retries=0) as client:
        yield client


@pytest.fixture(scope="session")
def shared_anthropic_client(standin: StandinServer) -> Iterator[anthropic.Anthropic]:
    with anthropic.Anthropic(base_url=standin.anthropic_base_url, api_key="standin-key", max_retries=0) as client:
        yield client


@pytest.fixture
def openai_client(server: StandinServer, shared_openai_client: openai.OpenAI) -> openai.OpenAI:
    return shared_openai_client


@pytest.fixture
def anthropic_client(server: StandinServer, shared_anthropic_client: anthropic.Anthropic) -> anthropic.Anthropic:
    return shared_anthropic_client


@pytest.fixture
async def async_openai_client(server: StandinServer) -> AsyncIterator[openai.AsyncOpenAI]:
    async with openai.AsyncOpenAI(base_url=server.openai_base_url, api_key="standin-key", max_retries=0) as client:
        yield client


@pytest.fixture
async def async_anthropic_client(server: StandinServer) -> AsyncIterator[anthropic.AsyncAnthropic]:
    async with anthropic.AsyncAnthropic(
        base_url=server.anthropic_base_url, api_key="standin-key", max_retries=0
    ) as client:
        yield client
