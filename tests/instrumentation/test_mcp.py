"""MCP: a real client and a real server (mcp_servers/weather.py, a subprocess instrumented by llmotel) over stdio and
streamable HTTP. One trace must run from the client's agent span through the client and server spans into the tool.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import mcp.client.client
import mcp.shared._otel
import mcp.shared.jsonrpc_dispatcher
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.session import ClientSession
from mcp.server._otel import OpenTelemetryMiddleware
from mcp.server.mcpserver import MCPServer
from mcp.shared.exceptions import MCPError
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode

import llmotel
from llm_support import Telemetry, point
from llmotel.frameworks.mcp import MCPInstrumentor

SERVER = Path(__file__).parent / "mcp_servers" / "weather.py"
SERVER_ENV = {"LLMOTEL_RAISE_INTERNAL_ERRORS": "1"}
SPEC_BUCKETS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300]
SDK_SCOPE = "mcp-python-sdk"
TIMEOUT = 30


@pytest.fixture
def instrumented(
    instrument: Callable[..., Telemetry], monkeypatch: pytest.MonkeyPatch
) -> tuple[MCPInstrumentor, Telemetry]:
    instrumentor = MCPInstrumentor()
    telemetry = instrument(instrumentor)
    # llmotel.invoke_agent traces to the global provider, as user code does
    monkeypatch.setattr(trace, "_TRACER_PROVIDER", telemetry.tracer_provider)
    # The SDK's own spans go to the same exporter, so a duplicate span could not hide.
    monkeypatch.setattr(mcp.shared._otel, "_tracer", telemetry.tracer_provider.get_tracer(SDK_SCOPE))
    return instrumentor, telemetry


@pytest.fixture
def telemetry(instrumented: tuple[MCPInstrumentor, Telemetry]) -> Telemetry:
    return instrumented[1]


@pytest.fixture(scope="module")
def http_url() -> Iterator[str]:
    """The weather server on streamable HTTP (uvicorn), in a subprocess for the module's tests."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, str(SERVER), "http", str(port)],
        env={**os.environ, **SERVER_ENV},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + TIMEOUT
        while True:
            assert process.poll() is None, "the MCP HTTP server exited"
            assert time.monotonic() < deadline, "the MCP HTTP server did not start"
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def stdio_server() -> StdioServerParameters:
    return StdioServerParameters(command=sys.executable, args=[str(SERVER), "stdio"], env=SERVER_ENV)


async def server_telemetry(client: Client, telemetry: Telemetry | None = None) -> dict[str, Any]:
    """What the server exported since the last read, minus the spans of these reads; with `telemetry`, only the
    spans of the traces this test's client exported (the HTTP server outlives a test that stopped half-way)."""
    result = await client.call_tool("telemetry", {})
    exported: dict[str, Any] = json.loads(result.content[0].text)  # type: ignore[union-attr]
    traces = {span.context.trace_id for span in telemetry.spans()} if telemetry else None
    exported["spans"] = [
        span
        for span in exported["spans"]
        if span["name"] != "tools/call telemetry" and (traces is None or span["trace_id"] in traces)
    ]
    return exported


def scope(span: ReadableSpan) -> str | None:
    return span.instrumentation_scope.name if span.instrumentation_scope else None


def mcp_client_spans(telemetry: Telemetry) -> dict[str, ReadableSpan]:
    """llmotel's client spans by name, after checking each request was traced once (no SDK span beside ours)."""
    spans = [s for s in telemetry.spans() if s.kind is SpanKind.CLIENT and s.name != "tools/call telemetry"]
    assert not [s.name for s in spans if scope(s) == SDK_SCOPE]
    ours = [s for s in spans if scope(s) == "llmotel.mcp"]
    named = {s.name: s for s in ours}
    assert len(named) == len(ours), [s.name for s in ours]
    return named


def by_name(server_spans: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    named = {s["name"]: s for s in server_spans}
    assert len(named) == len(server_spans), [s["name"] for s in server_spans]
    return named


def assert_joined(client_span: ReadableSpan, server_span: dict[str, Any]) -> None:
    assert client_span.kind is SpanKind.CLIENT and server_span["kind"] == "SERVER"
    assert client_span.name == server_span["name"]
    assert server_span["trace_id"] == client_span.context.trace_id
    assert server_span["parent_id"] == client_span.context.span_id


SESSION_CALLS = ["initialize", "tools/list", "tools/call get_weather", "prompts/get forecast_request", "resources/read"]


async def run_session(client: Client) -> None:
    """initialize happens on entering the client (legacy mode); then one of each request kind."""
    tools = await client.list_tools()
    assert "get_weather" in [tool.name for tool in tools.tools]
    weather = await client.call_tool("get_weather", {"city": "Seoul"})
    assert weather.structured_content == {"result": "sunny in Seoul"}
    prompt = await client.get_prompt("forecast_request", {"city": "Seoul"})
    assert prompt.messages[0].content.text == "What is the weather in Seoul?"  # type: ignore[union-attr]
    resource = await client.read_resource("weather://cities")
    assert resource.contents[0].text == "Seoul, Paris"  # type: ignore[union-attr]


def check_session_trace(telemetry: Telemetry, server: dict[str, Any], transport: str) -> dict[str, ReadableSpan]:
    client_spans = mcp_client_spans(telemetry)
    agent = next(s for s in telemetry.spans() if s.name == "invoke_agent assistant")
    assert agent.parent is None  # the agent is the root of the whole trace, across the process boundary
    server_spans = by_name(server["spans"])
    assert not [s for s in server["spans"] if s["scope"] == SDK_SCOPE]
    for name in SESSION_CALLS:
        client_span = client_spans[name]
        assert client_span.parent is not None and client_span.parent.span_id == agent.context.span_id
        assert_joined(client_span, server_spans[name])
        for attributes in (client_span.attributes, server_spans[name]["attributes"]):
            assert attributes["mcp.method.name"] == name.split(" ")[0]
            assert attributes["network.transport"] == transport
            assert attributes["mcp.protocol.version"] == "2025-11-25"
            assert attributes["jsonrpc.request.id"] == client_span.attributes["jsonrpc.request.id"]  # type: ignore[index]
            assert "error.type" not in attributes
    tool_call = client_spans["tools/call get_weather"].attributes
    assert tool_call["gen_ai.tool.name"] == "get_weather" and tool_call["gen_ai.operation.name"] == "execute_tool"
    assert server_spans["tools/call get_weather"]["attributes"]["gen_ai.tool.name"] == "get_weather"
    assert client_spans["prompts/get forecast_request"].attributes["gen_ai.prompt.name"] == "forecast_request"
    assert client_spans["resources/read"].attributes["mcp.resource.uri"] == "weather://cities"
    assert server_spans["resources/read"]["attributes"]["mcp.resource.uri"] == "weather://cities"
    # the tool's own work nests under the server span
    lookup = server_spans["lookup_weather"]
    assert lookup["parent_id"] == server_spans["tools/call get_weather"]["span_id"]
    assert lookup["trace_id"] == agent.context.trace_id
    # durations, client and server, with the conventions' buckets
    client_point = point(telemetry.metrics()["mcp.client.operation.duration"], **{"gen_ai.tool.name": "get_weather"})
    assert client_point.count == 1 and list(client_point.explicit_bounds) == SPEC_BUCKETS
    assert client_point.attributes["network.transport"] == transport
    assert "mcp.session.id" not in client_point.attributes and "jsonrpc.request.id" not in client_point.attributes
    # the HTTP server's histograms are cumulative over the module's tests: one point for this tool and session kind
    expected = {"gen_ai.tool.name": "get_weather", "network.transport": transport, "mcp.protocol.version": "2025-11-25"}
    server_points = [
        p for p in server["metrics"]["mcp.server.operation.duration"] if expected.items() <= p["attributes"].items()
    ]
    assert len(server_points) == 1 and server_points[0]["bounds"] == SPEC_BUCKETS
    [session] = telemetry.metrics()["mcp.client.session.duration"]
    assert session.count == 1 and list(session.explicit_bounds) == SPEC_BUCKETS
    assert session.attributes["network.transport"] == transport and "error.type" not in session.attributes
    assert session.attributes["mcp.protocol.version"] == "2025-11-25"
    return client_spans


async def test_stdio_one_trace_from_agent_to_tool(telemetry: Telemetry) -> None:
    with anyio.fail_after(TIMEOUT):
        with llmotel.invoke_agent("assistant"):
            async with Client(stdio_server(), mode="legacy") as client:
                await run_session(client)
                server = await server_telemetry(client)
    check_session_trace(telemetry, server, "pipe")


async def test_http_one_trace_from_agent_to_tool(telemetry: Telemetry, http_url: str) -> None:
    with anyio.fail_after(TIMEOUT):
        with llmotel.invoke_agent("assistant"):
            async with Client(http_url, mode="legacy") as client:
                await run_session(client)
                server = await server_telemetry(client, telemetry)
    client_spans = check_session_trace(telemetry, server, "tcp")
    server_spans = by_name(server["spans"])
    port = int(http_url.split(":")[2].split("/")[0])
    call = client_spans["tools/call get_weather"].attributes
    assert call["server.address"] == "127.0.0.1" and call["server.port"] == port
    session_id = call["mcp.session.id"]
    assert session_id and server_spans["tools/call get_weather"]["attributes"]["mcp.session.id"] == session_id


async def test_modern_protocol_over_http_joins_the_trace(telemetry: Telemetry, http_url: str) -> None:
    with anyio.fail_after(TIMEOUT):
        async with Client(http_url) as client:  # auto: server/discover, protocol 2026-07-28
            await client.call_tool("get_weather", {"city": "Paris"})
            server = await server_telemetry(client, telemetry)
    call = mcp_client_spans(telemetry)["tools/call get_weather"]
    assert call.attributes["mcp.protocol.version"] == "2026-07-28"  # type: ignore[index]
    server_call = by_name(server["spans"])["tools/call get_weather"]
    assert_joined(call, server_call)
    assert server_call["attributes"]["network.transport"] == "tcp"
    assert mcp_client_spans(telemetry)["server/discover"].attributes["mcp.protocol.version"] == "2026-07-28"


async def test_tool_and_protocol_errors(telemetry: Telemetry) -> None:
    with anyio.fail_after(TIMEOUT):
        async with Client(stdio_server(), mode="legacy") as client:
            broken = await client.call_tool("broken_forecast", {"city": "Seoul"})
            unknown = await client.call_tool("no_such_tool", {})
            with pytest.raises(MCPError) as not_found:
                await client.read_resource("weather://nowhere")
            with pytest.raises(MCPError) as failed:
                await client.get_prompt("no_such_prompt")  # the handler raises ValueError
            server = await server_telemetry(client)
    assert broken.is_error and unknown.is_error  # MCPServer answers an unknown tool with an isError result
    client_spans, server_spans = mcp_client_spans(telemetry), by_name(server["spans"])
    for name in ("tools/call broken_forecast", "tools/call no_such_tool"):
        assert_joined(client_spans[name], server_spans[name])
        assert client_spans[name].attributes["error.type"] == "tool_error"  # type: ignore[index]
        assert client_spans[name].status.status_code is StatusCode.ERROR
        assert server_spans[name]["attributes"]["error.type"] == "tool_error"
        assert server_spans[name]["status"] == "ERROR"
    # a JSON-RPC error: its code on both sides, and the message as the client span's status
    code = str(not_found.value.error.code)
    read = client_spans["resources/read"]
    assert_joined(read, server_spans["resources/read"])
    for attributes in (read.attributes, server_spans["resources/read"]["attributes"]):
        assert attributes["error.type"] == code and attributes["rpc.response.status_code"] == code
    assert read.status.description == not_found.value.error.message
    # a handler exception: the server names its class; the client sees the catch-all code the SDK answers with
    prompt = client_spans["prompts/get no_such_prompt"]
    assert_joined(prompt, server_spans["prompts/get no_such_prompt"])
    assert prompt.attributes["error.type"] == str(failed.value.error.code)  # type: ignore[index]
    assert server_spans["prompts/get no_such_prompt"]["attributes"]["error.type"] == "ValueError"
    assert server_spans["prompts/get no_such_prompt"]["status"] == "ERROR"
    durations = telemetry.metrics()["mcp.client.operation.duration"]
    assert point(durations, **{"gen_ai.tool.name": "broken_forecast"}).attributes["error.type"] == "tool_error"
    assert point(durations, **{"mcp.method.name": "resources/read"}).attributes["rpc.response.status_code"] == code


async def test_uninstrument_restores_the_sdk_behaviour(
    instrumented: tuple[MCPInstrumentor, Telemetry], http_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    instrumentor, telemetry = instrumented
    instrumentor.uninstrument()
    hooks = [
        (ClientSession, "send_request"),
        (mcp.shared.jsonrpc_dispatcher, "otel_span"),
        (mcp.client.client, "stdio_client"),
        (OpenTelemetryMiddleware, "__call__"),
    ]
    assert all(type(vars(owner)[name]) is types.FunctionType for owner, name in hooks)
    with anyio.fail_after(TIMEOUT):
        async with Client(http_url, mode="legacy") as client:
            await client.call_tool("get_weather", {"city": "Seoul"})
            # no tracing configured in the client: nothing is injected, the server's span starts its own trace
            monkeypatch.setattr(mcp.shared._otel, "_tracer", trace.NoOpTracer())
            await client.call_tool("broken_forecast", {"city": "Paris"})  # a tool no other test calls over HTTP
            server = await server_telemetry(client)
    assert not [s for s in telemetry.spans() if scope(s) == "llmotel.mcp"]
    assert "mcp.client.operation.duration" not in telemetry.metrics()
    sdk_call = next(s for s in telemetry.spans() if s.name == "MCP send tools/call get_weather")
    # the server is still instrumented: its span joins whatever trace the request carried
    traced = by_name([s for s in server["spans"] if s["trace_id"] == sdk_call.context.trace_id])
    assert traced["tools/call get_weather"]["parent_id"] == sdk_call.context.span_id
    [untraced_call] = [s for s in server["spans"] if s["name"] == "tools/call broken_forecast"]
    assert untraced_call["parent_id"] is None


async def test_session_ended_by_an_exception(telemetry: Telemetry, http_url: str) -> None:
    with anyio.fail_after(TIMEOUT), pytest.raises(Exception) as raised:  # the SDK's task groups wrap it in a group
        async with Client(http_url, mode="legacy"):
            raise KeyError("the caller's own failure")
    assert raised.group_contains(KeyError)
    [session] = telemetry.metrics()["mcp.client.session.duration"]
    assert session.attributes["error.type"] == "KeyError" and session.attributes["network.transport"] == "tcp"


async def test_tool_arguments_and_result_when_content_capture_is_on(
    instrument: Callable[..., Telemetry], monkeypatch: pytest.MonkeyPatch
) -> None:
    capture = {"OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "SPAN_ONLY"}
    for name, value in capture.items():
        monkeypatch.setenv(name, value)
    telemetry = instrument(MCPInstrumentor())
    server = StdioServerParameters(command=sys.executable, args=[str(SERVER), "stdio"], env={**SERVER_ENV, **capture})
    with anyio.fail_after(TIMEOUT):
        async with Client(server, mode="legacy") as client:
            await client.call_tool("get_weather", {"city": "alice@example.com"})
            await client.call_tool("broken_forecast", {"city": "Paris"})
            exported = await server_telemetry(client)
    client_spans, server_spans = mcp_client_spans(telemetry), by_name(exported["spans"])
    for attributes in (
        client_spans["tools/call get_weather"].attributes,
        server_spans["tools/call get_weather"]["attributes"],
    ):
        # redacted like the inference spans' content (the default preset knows e-mail addresses)
        assert json.loads(attributes["gen_ai.tool.call.arguments"]) == {"city": "<EMAIL>"}
        assert json.loads(attributes["gen_ai.tool.call.result"]) == {"result": "sunny in <EMAIL>"}
        assert attributes["llmotel.redaction.count"] == 2
    failed = client_spans["tools/call broken_forecast"].attributes
    assert json.loads(failed["gen_ai.tool.call.arguments"]) == {"city": "Paris"}  # type: ignore[arg-type]
    assert "gen_ai.tool.call.result" not in failed  # only a successful call's result, per the conventions
    assert "gen_ai.tool.call.arguments" not in client_spans["tools/list"].attributes  # type: ignore[operator]


async def test_no_content_by_default(telemetry: Telemetry, http_url: str) -> None:
    with anyio.fail_after(TIMEOUT):
        async with Client(http_url, mode="legacy") as client:
            await client.call_tool("get_weather", {"city": "Seoul"})
            exported = await server_telemetry(client, telemetry)
    spans = (
        mcp_client_spans(telemetry)["tools/call get_weather"].attributes,
        by_name(exported["spans"])["tools/call get_weather"]["attributes"],
    )
    assert not [key for attributes in spans for key in attributes if key.startswith("gen_ai.tool.call.")]  # type: ignore[union-attr]


async def test_in_process_server_joins_the_trace_without_a_transport(telemetry: Telemetry) -> None:
    server = MCPServer("echo")

    @server.tool()
    def echo(text: str) -> str:
        return text

    with anyio.fail_after(TIMEOUT):
        async with Client(server) as client:  # in-process, 2026-07-28: a direct dispatcher, no streams
            await client.call_tool("echo", {"text": "hi"})
    spans = [s for s in telemetry.spans() if s.name == "tools/call echo"]
    [client_span] = [s for s in spans if s.kind is SpanKind.CLIENT]
    [server_span] = [s for s in spans if s.kind is SpanKind.SERVER]
    assert server_span.parent is not None and server_span.parent.span_id == client_span.context.span_id
    assert "network.transport" not in server_span.attributes  # type: ignore[operator]
    assert "network.transport" not in client_span.attributes  # type: ignore[operator]
