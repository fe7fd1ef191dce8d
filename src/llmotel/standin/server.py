"""StandinServer: the stand-in on a loopback socket (stdlib ThreadingHTTPServer, HTTP/1.1 keep-alive)."""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from .body import ChunkStream, ConnectionCut, Reply
from .routing import respond

# How often serve_forever notices stop(): short, so a test session does not wait half a second to end.
_SHUTDOWN_POLL_S = 0.05


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    # Lower-case names.
    headers: dict[str, str]
    # The parsed JSON body; None when the body is empty or not JSON.
    body: Any


class RequestLog:
    """The requests a server received, in arrival order; safe to read while handler threads append."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[RecordedRequest] = []

    def append(self, request: RecordedRequest) -> None:
        with self._lock:
            self._items.append(request)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def snapshot(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._items)

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __getitem__(self, index: int) -> RecordedRequest:
        with self._lock:
            return self._items[index]

    def __iter__(self) -> Iterator[RecordedRequest]:
        return iter(self.snapshot())


class StandinServer:
    """The stand-in LLM server on 127.0.0.1 (a free port unless `port` is given).

    with StandinServer() as server:
        client = openai.OpenAI(base_url=server.openai_base_url, api_key="test")
    """

    def __init__(self, port: int = 0) -> None:
        self.requests = RequestLog()
        self._port = port
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("StandinServer is not started; call start() or use it as a context manager")
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def openai_base_url(self) -> str:
        return self.url + "/v1"

    @property
    def anthropic_base_url(self) -> str:
        return self.url

    def start(self) -> StandinServer:
        if self._httpd is not None:
            return self
        handler = type("BoundStandinHandler", (_StandinHandler,), {"request_log": self.requests})
        self._httpd = _QuietThreadingHTTPServer(("127.0.0.1", self._port), handler)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(_SHUTDOWN_POLL_S,), name="standin-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        assert self._thread is not None
        self._thread.join()
        self._httpd = None
        self._thread = None

    def __enter__(self) -> StandinServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class _QuietThreadingHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients drop keep-alive connections (and the cut scenario drops its own); only real faults are printed.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _StandinHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "llmotel-standin"
    # Stream events must leave one by one, not wait for Nagle's coalescing.
    disable_nagle_algorithm = True
    request_log: RequestLog

    def do_POST(self) -> None:
        self._answer()

    def do_GET(self) -> None:
        self._answer()

    def _answer(self) -> None:
        raw = self.rfile.read(int(self.headers.get("content-length") or 0))
        headers = {name.lower(): value for name, value in self.headers.items()}
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        self.request_log.append(RecordedRequest(self.command, self.path, headers, body))
        self._send(respond(self.command, self.path, body if isinstance(body, dict) else raw, headers))

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if isinstance(reply.body, bytes):
            self.send_header("content-length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
            return
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        self._send_chunks(reply.body)

    def _send_chunks(self, stream: ChunkStream) -> None:
        self.wfile.flush()
        if stream.first_chunk_delay_s:
            time.sleep(stream.first_chunk_delay_s)
        try:
            for chunk in stream:
                if chunk:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except ConnectionCut:
            # Drop the connection mid-body: the client sees an incomplete chunked body.
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(b"0\r\n\r\n")

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests and benchmarks issue thousands of requests."""
