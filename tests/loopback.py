"""A real HTTP server on 127.0.0.1 for tests: serves fixed routes from a thread and records requests."""

from __future__ import annotations

import ssl
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class QuietHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that records connection errors (a client hanging up, a body the client
    stopped reading) in `errors` instead of printing them to stderr, where they would land in the
    output of a command under test."""

    daemon_threads = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.errors: list[str] = []

    def handle_error(self, request: object, client_address: object) -> None:
        self.errors.append(repr(sys.exc_info()[1]))


@dataclass
class Route:
    body: bytes
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Loopback:
    base: str
    routes: dict[str, Route]
    requests: list[str]

    def url(self, path: str) -> str:
        return self.base + path


@contextmanager
def serve(routes: dict[str, Route], tls: ssl.SSLContext | None = None) -> Iterator[Loopback]:
    """Serve `routes` (path -> Route) on an ephemeral loopback port until the block ends; over HTTPS
    with `tls` (a server-side context, e.g. from a trustme certificate)."""
    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            route = routes.get(self.path)
            if route is None:
                route = Route(b"not found", status=404)
            self.send_response(route.status)
            headers = {"Content-Type": "application/xml", "Content-Length": str(len(route.body)), **route.headers}
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(route.body)

        def log_message(self, format: str, *args: object) -> None:
            return None

    server = QuietHTTPServer(("127.0.0.1", 0), Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        scheme = "https" if tls is not None else "http"
        yield Loopback(f"{scheme}://{host!s}:{port}", routes, requests)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
