"""The crawler over HTTP/2 against a real HTTP/2 server (hypercorn, TLS with a trustme CA) on loopback.

HTTP/2 multiplexes every request to a host over one connection, so the per-host limit must hold per
request, not per connection: the server counts the requests in flight and records the peak.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import trustme
from hypercorn.asyncio import serve
from hypercorn.config import Config

from feedaudit.listings.live import LiveListings
from feedaudit.listings.settings import ListingsSettings
from tests.listings.shopserver import html_page
from tests.nightly.conftest import free_port


@dataclass
class Shop:
    """An ASGI shop: product pages after a short think time, robots.txt absent; it records each
    request's HTTP version and the most requests it ever had in flight."""

    versions: list[str] = field(default_factory=list)
    in_flight: int = 0
    peak: int = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        self.versions.append(scope["http_version"])
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await asyncio.sleep(0.05)
            if scope["path"] == "/robots.txt":
                status, body = 404, b""
            else:
                status, body = 200, html_page(price=scope["path"].strip("/p"))
            headers = [(b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(body)).encode())]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
        finally:
            self.in_flight -= 1


@pytest.fixture
def https_shop(tmp_path: Path) -> Iterator[tuple[Shop, str, trustme.CA]]:
    ca = trustme.CA()
    certificate = tmp_path / "server.pem"
    ca.issue_cert("127.0.0.1").private_key_and_cert_chain_pem.write_to_path(str(certificate))
    config = Config()
    port = free_port()
    config.bind = [f"127.0.0.1:{port}"]
    config.certfile = config.keyfile = str(certificate)
    config.accesslog = config.errorlog = None
    shop = Shop()
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()

    async def run() -> None:
        await serve(shop, config, shutdown_trigger=stop.wait)  # type: ignore[arg-type]  # a plain ASGI callable

    thread = threading.Thread(target=loop.run_until_complete, args=(run(),), daemon=True)
    thread.start()
    _wait_until_listening(port)
    try:
        yield shop, f"https://127.0.0.1:{port}", ca
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
        loop.close()


def _wait_until_listening(port: int, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def test_pages_come_over_http2_and_the_per_host_limit_holds_per_request(
    https_shop: tuple[Shop, str, trustme.CA],
) -> None:
    shop, origin, ca = https_shop
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    settings = ListingsSettings.model_validate(
        {"rate": 1000.0, "per_host": 3, "timeout": 5.0, "allow_private": ["127.0.0.1/32"], "http2": True}
    )
    urls = [f"{origin}/p{1000 + n}" for n in range(12)]
    pages = list(LiveListings(settings, ssl_context=client_context).fetch_pages(urls))
    assert [page.status for page in pages] == [200] * 12, [page.error for page in pages]
    assert [page.url for page in pages] == urls
    assert b'"price": "1000"' in pages[0].body
    assert shop.versions[1:] == ["2"] * 12  # robots.txt first, then every page over HTTP/2
    assert 1 < shop.peak <= 3
