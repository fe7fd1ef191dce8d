"""Model Context Protocol (`mcp` 2.x): client and server spans and duration metrics, one trace across the boundary.

A client request (`ClientSession.send_request`: initialize, tools/list, tools/call, prompts/get, resources/read,
...) is a CLIENT span `{mcp.method.name} {target}`; the W3C trace context rides in `params._meta`, and the server's
SERVER span, with everything the handler does, joins the client's trace. Works over stdio and streamable HTTP.

mcp 2.x traces itself (scope `mcp-python-sdk`, spans `MCP send ...` and `{method} {target}`, no metrics). While
llmotel instruments it, those spans are replaced by llmotel's, which follow the MCP semantic conventions and add
the session id, protocol version, transport, server address, tool errors and the duration metrics; see client.py
and server.py. Uninstrumenting brings the SDK's own spans back.

Metrics: `mcp.client.operation.duration`, `mcp.server.operation.duration`, `mcp.client.session.duration`. With content
capture on (OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT), tools/call spans carry `gen_ai.tool.call.arguments`
and, for a successful call, `gen_ai.tool.call.result`, redacted and cut to size like the inference spans' content.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]

from llmotel.config import Settings
from llmotel.core.patching import LazyPatches, ready
from llmotel.core.wrapper import WrapperFunction

# every module that binds `stdio_client` (users and `mcp.Client` call it through these names)
_STDIO_CLIENT_SITES = ("mcp.client.stdio", "mcp.client.client", "mcp")


class MCPInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    instruments = ("mcp >= 2.3, < 3",)

    def instrumentation_dependencies(self) -> Collection[str]:
        return self.instruments

    def _instrument(self, **kwargs: Any) -> None:
        settings = kwargs.get("settings") or Settings.from_env()
        self._patches = LazyPatches()
        # the hooks' code imports mcp: built once the application imports it
        self._patches.when_imported("mcp", lambda _mcp: self._hook(settings, kwargs))

    def _hook(self, settings: Settings, providers: dict[str, Any]) -> None:
        from llmotel.frameworks.mcp.client import ClientHooks
        from llmotel.frameworks.mcp.server import ServerHooks
        from llmotel.frameworks.mcp.telemetry import MCPTelemetry

        telemetry = MCPTelemetry(settings, providers.get("tracer_provider"), providers.get("meter_provider"))
        client, server = ClientHooks(telemetry), ServerHooks(telemetry)
        patches: list[tuple[str, str, WrapperFunction]] = [
            ("mcp.client.session", "ClientSession.send_request", client.send_request),
            ("mcp.client.session", "ClientSession.send_discover", client.send_discover),
            ("mcp.client.session", "ClientSession.__aenter__", client.session_enter),
            ("mcp.client.session", "ClientSession.__aexit__", client.session_exit),
            ("mcp.shared.jsonrpc_dispatcher", "otel_span", client.dispatcher_span),
            ("mcp.client.streamable_http", "StreamableHTTPTransport.post_writer", client.post_writer),
            *((site, "stdio_client", client.stdio_client) for site in _STDIO_CLIENT_SITES),
            ("mcp.server._otel", "OpenTelemetryMiddleware.__call__", server.middleware),
        ]
        for module, attribute, wrapper in patches:
            # optional: a later 2.x that moved one hook keeps the others
            self._patches.wrap(module, attribute, ready(wrapper), optional=True)

    def _uninstrument(self, **kwargs: Any) -> None:
        self._patches.undo()


__all__ = ["MCPInstrumentor"]
