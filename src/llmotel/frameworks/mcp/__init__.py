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

import importlib
from collections.abc import Collection
from typing import Any

from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]
from opentelemetry.instrumentation.utils import unwrap
from wrapt import wrap_function_wrapper

from llmotel.config import Settings
from llmotel.core.errors import logger

# every module that binds `stdio_client` (users and `mcp.Client` call it through these names)
_STDIO_CLIENT_SITES = ("mcp.client.stdio", "mcp.client.client", "mcp")


class MCPInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    instruments = ("mcp >= 2.3, < 3",)

    def instrumentation_dependencies(self) -> Collection[str]:
        return self.instruments

    def _instrument(self, **kwargs: Any) -> None:
        from llmotel.frameworks.mcp.client import ClientHooks
        from llmotel.frameworks.mcp.server import ServerHooks
        from llmotel.frameworks.mcp.telemetry import MCPTelemetry

        settings = kwargs.get("settings") or Settings.from_env()
        telemetry = MCPTelemetry(settings, kwargs.get("tracer_provider"), kwargs.get("meter_provider"))
        client, server = ClientHooks(telemetry), ServerHooks(telemetry)
        patches = [
            ("mcp.client.session", "ClientSession.send_request", client.send_request),
            ("mcp.client.session", "ClientSession.send_discover", client.send_discover),
            ("mcp.client.session", "ClientSession.__aenter__", client.session_enter),
            ("mcp.client.session", "ClientSession.__aexit__", client.session_exit),
            ("mcp.shared.jsonrpc_dispatcher", "otel_span", client.dispatcher_span),
            ("mcp.client.streamable_http", "StreamableHTTPTransport.post_writer", client.post_writer),
            *((site, "stdio_client", client.stdio_client) for site in _STDIO_CLIENT_SITES),
            ("mcp.server._otel", "OpenTelemetryMiddleware.__call__", server.middleware),
        ]
        self._patches = []
        for module, attribute, wrapper in patches:
            if _resolve(module, attribute) is None:  # a later 2.x that moved a hook: the others still work
                logger.debug("llmotel: mcp has no %s.%s, not instrumented", module, attribute)
                continue
            wrap_function_wrapper(module, attribute, wrapper)
            self._patches.append((module, attribute))

    def _uninstrument(self, **kwargs: Any) -> None:
        for module, attribute in self._patches:
            owner_path, _, name = attribute.rpartition(".")
            unwrap(_resolve(module, owner_path), name)
        self._patches = []


def _resolve(module: str, path: str) -> Any:
    """`module`'s object at the dotted `path` (the module itself for an empty path), None when missing."""
    try:
        found: Any = importlib.import_module(module)
    except ImportError:
        return None
    for part in filter(None, path.split(".")):
        found = getattr(found, part, None)
    return found


__all__ = ["MCPInstrumentor"]
