"""Loopback servers for the service tests: a feed whose first download stalls until released, and a
webhook receiver that records what it is sent."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from tests.loopback import QuietHTTPServer

TRICKLE_SECONDS = 0.8  # longer than the service's progress interval


@dataclass
class HeldFeed:
    """Serves `body`; the first request gets the first half, a little more a moment later (so that the
    reader reports progress), then waits for `release` before the rest."""

    body: bytes
    base: str = ""
    requests: list[str] = field(default_factory=list)
    first_request: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def url(self, path: str = "/slow.xml") -> str:
        return self.base + path


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes


@dataclass
class Hooks:
    base: str = ""
    deliveries: list[Delivery] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def url(self) -> str:
        return self.base + "/hook"

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Delivery]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.deliveries) >= count, timeout)
            return list(self.deliveries)


@contextmanager
def _serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    server = QuietHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host!s}:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def held_feed(body: bytes) -> Iterator[HeldFeed]:
    feed = HeldFeed(body)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            feed.requests.append(self.path)
            first = len(feed.requests) == 1
            self.send_response(200)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(feed.body)))
            self.end_headers()
            if first:
                half = len(feed.body) // 2
                self.wfile.write(feed.body[:half])
                self.wfile.flush()
                feed.first_request.set()
                time.sleep(TRICKLE_SECONDS)
                more = half + (len(feed.body) - half) // 2
                self.wfile.write(feed.body[half:more])
                self.wfile.flush()
                feed.release.wait(60)
                self.wfile.write(feed.body[more:])
            else:
                self.wfile.write(feed.body)

        def log_message(self, format: str, *args: object) -> None:
            return None

    with _serving(Handler) as base:
        feed.base = base
        try:
            yield feed
        finally:
            feed.release.set()


@contextmanager
def webhook_receiver() -> Iterator[Hooks]:
    hooks = Hooks()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(204)
            self.end_headers()
            with hooks.arrived:
                hooks.deliveries.append(Delivery(dict(self.headers.items()), body))
                hooks.arrived.notify_all()

        def log_message(self, format: str, *args: object) -> None:
            return None

    with _serving(Handler) as base:
        hooks.base = base
        yield hooks
