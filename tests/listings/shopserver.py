"""A real HTTP/1.1 shop server on a loopback address, with scripted routes, that polices its clients.

Crawler tests start one (or two, on 127.0.0.1 and 127.0.0.2) per test. The server records every
request, and itself checks the crawler's manners: it counts the requests in flight per `Host` and
records a violation whenever that count exceeds the allowed limit, and it records a violation for any
request to a path robots.txt forbids. A `Police` object can be shared by several servers so that the
limit also holds per host across them. The bench (`bench/crawl_bench.py`) uses the same server.
"""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.loopback import QuietHTTPServer


@dataclass(frozen=True)
class Reply:
    """One scripted answer. `body=None` with `stream` > 0 sends that many bytes without a length."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    stream: int = 0


Handler = Callable[["Request"], Reply]


@dataclass(frozen=True)
class Request:
    host: str
    path: str
    headers: dict[str, str]
    started: float


class Police:
    """Counts requests in flight per Host header, across every server that shares it."""

    def __init__(self, per_host_limit: int | None = None, forbidden: Sequence[str] = ()) -> None:
        self.per_host_limit = per_host_limit
        self.forbidden = tuple(forbidden)
        self.lock = threading.Lock()
        self.active: dict[str, int] = {}
        self.peak: dict[str, int] = {}
        self.total_active = 0
        self.total_peak = 0
        self.violations: list[str] = []

    def enter(self, host: str, path: str) -> None:
        with self.lock:
            if any(path.startswith(prefix) for prefix in self.forbidden):
                self.violations.append(f"request to robots-forbidden {host}{path}")
            self.active[host] = self.active.get(host, 0) + 1
            self.peak[host] = max(self.peak.get(host, 0), self.active[host])
            self.total_active += 1
            self.total_peak = max(self.total_peak, self.total_active)
            if self.per_host_limit is not None and self.active[host] > self.per_host_limit:
                self.violations.append(
                    f"{self.active[host]} requests in flight to {host} (limit {self.per_host_limit})"
                )

    def leave(self, host: str) -> None:
        with self.lock:
            self.active[host] -= 1
            self.total_active -= 1


class ShopServer:
    """Serves `routes` (path without query -> Reply, list of Replies used in turn, or a handler)."""

    def __init__(self, address: str = "127.0.0.1", police: Police | None = None) -> None:
        self.address = address
        self.police = police or Police()
        self.routes: dict[str, Reply | list[Reply] | Handler] = {}
        self.log: list[Request] = []
        self.errors: list[str] = []  # connection errors outside a request, e.g. a client hanging up
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._port = 0

    @property
    def port(self) -> int:
        assert self._port, "start the server first"
        return self._port

    @property
    def origin(self) -> str:
        return f"http://{self.address}:{self.port}"

    def url(self, path: str) -> str:
        return self.origin + path

    def paths(self) -> list[str]:
        with self._lock:
            return [request.path for request in self.log]

    def _reply(self, request: Request) -> Reply:
        route = self.routes.get(request.path.split("?", 1)[0])
        if route is None:
            return Reply(404, b"not found")
        if isinstance(route, Reply):
            return route
        if isinstance(route, list):
            with self._lock:
                return route.pop(0) if len(route) > 1 else route[0]
        return route(request)

    def start(self) -> None:
        shop = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                host = self.headers.get("Host", "")
                request = Request(host, self.path, {k.lower(): v for k, v in self.headers.items()}, time.monotonic())
                with shop._lock:
                    shop.log.append(request)
                shop.police.enter(host.split(":")[0], self.path)
                try:
                    reply = shop._reply(request)
                    if reply.delay:
                        time.sleep(reply.delay)
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    if reply.stream:
                        self.send_header("Connection", "close")
                        self.end_headers()
                        chunk = b"x" * 65536
                        sent = 0
                        while sent < reply.stream:
                            self.wfile.write(chunk)
                            sent += len(chunk)
                        self.close_connection = True
                    else:
                        self.send_header("Content-Length", str(len(reply.body)))
                        self.end_headers()
                        self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True
                finally:
                    shop.police.leave(host.split(":")[0])

            def log_message(self, format: str, *args: object) -> None:
                pass

        server = QuietHTTPServer((self.address, 0), _Handler)
        self.errors = server.errors
        self._server = server
        self._port = int(server.server_address[1])
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@contextmanager
def running(*servers: ShopServer) -> Iterator[None]:
    for server in servers:
        server.start()
    try:
        yield
    finally:
        for server in servers:
            server.stop()


def html_page(price: str = "1299", availability: str = "InStock", filler: int = 0) -> bytes:
    """A small product page with JSON-LD (and `filler` bytes of markup, for size tests and benches)."""
    padding = "<p>" + "Опис товару. " * (filler // 24) + "</p>" if filler else ""
    return (
        '<!DOCTYPE html><html lang="uk"><head><meta charset="utf-8"><title>Товар</title>'
        '<script type="application/ld+json">{"@context": "https://schema.org", "@type": "Product", '
        f'"name": "Товар", "offers": {{"@type": "Offer", "price": "{price}", "priceCurrency": "UAH", '
        f'"availability": "https://schema.org/{availability}"}}}}</script></head>'
        f'<body><h1>Товар</h1><div class="price">{price} грн</div>{padding}</body></html>'
    ).encode()


def gzip_bomb(size: int) -> bytes:
    return gzip.compress(b"<html>" + b" " * size + b"</html>", compresslevel=9)
