"""Hostile HTTP servers and payloads for the network tests and `bench/hostile_network.py`.

`Trickler` is a raw socket server on 127.0.0.1 that answers with a head at once and then drips the
rest a byte at a time (a header block or a body that never seems to end). The bombs are built at
run time from one compressed megabyte sent many times, so they cost milliseconds to make.
"""

from __future__ import annotations

import gzip
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import brotli

MIB = 1024 * 1024
ROBOTS_404 = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


class Trickler:
    """Answers every request with `head` at once, then `drip` one byte every `interval` seconds
    (robots.txt gets a quick 404 unless `quick_robots` is False), and hangs up when done or when the client leaves."""

    def __init__(self, head: bytes, drip: bytes, interval: float = 0.05, *, quick_robots: bool = True) -> None:
        self.quick_robots = quick_robots
        self.head = head
        self.drip = drip
        self.interval = interval
        self.requests: list[bytes] = []
        self.dripped = 0  # bytes of `drip` sent, over every connection
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.port = self._listener.getsockname()[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            request = b""
            while b"\r\n\r\n" not in request and len(request) < 65536:
                data = conn.recv(4096)
                if not data:
                    return
                request += data
            self.requests.append(request.split(b"\r\n", 1)[0])
            try:
                if self.quick_robots and request.startswith(b"GET /robots.txt "):
                    conn.sendall(ROBOTS_404)
                    return
                conn.sendall(self.head)
                for byte in self.drip:
                    if self._stop.wait(self.interval):
                        return
                    conn.sendall(bytes([byte]))
                    self.dripped += 1
            except OSError:  # the client gave up: what the tests want
                return

    @contextmanager
    def running(self) -> Iterator[Trickler]:
        thread = threading.Thread(target=self._serve, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            thread.join()
            self._listener.close()


def trickled_headers(seconds: float, interval: float = 0.05, *, quick_robots: bool = True) -> Trickler:
    """A server whose header block takes `seconds` to arrive (then an empty body)."""
    padding = b"X-Padding: " + b"a" * int(seconds / interval) + b"\r\n"
    end = b"Content-Length: 0\r\nConnection: close\r\n\r\n"
    return Trickler(b"HTTP/1.1 200 OK\r\n", padding + end, interval, quick_robots=quick_robots)


def trickled_body(head: bytes, body: bytes, interval: float = 0.05) -> Trickler:
    """A server that sends its headers and `head` of the body at once, then drips `body`."""
    headers = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n"
    return Trickler(headers + head, body, interval)


def gzip_megabytes(unit: bytes, megabytes: int) -> bytes:
    """A multi-member gzip stream of `megabytes` MiB: one compressed MiB of `unit`, sent again and again."""
    member = gzip.compress((unit * (MIB // len(unit) + 1))[:MIB], 9)
    return member * megabytes


def gzip_feed_bomb(megabytes: int, layers: int = 1) -> bytes:
    """A YML feed of `megabytes` MiB of identical offers, gzipped `layers` times."""
    offer = b'<offer id="1" available="true"><price>100</price><name>Offer</name></offer>\n'
    body = (
        gzip.compress(b"<yml_catalog><shop><name>S</name><offers>\n")
        + gzip_megabytes(offer, megabytes)
        + gzip.compress(b"</offers></shop></yml_catalog>\n")
    )
    for _ in range(layers - 1):
        body = gzip.compress(body, 9)
    return body


def gzip_page_bomb(megabytes: int, layers: int = 1) -> bytes:
    body = gzip.compress(b"<html><body>") + gzip_megabytes(b" ", megabytes)
    for _ in range(layers - 1):
        body = gzip.compress(body, 9)
    return body


def brotli_bomb(megabytes: int, unit: bytes = b" ", head: bytes = b"<html><body>") -> bytes:
    """`head` then `megabytes` MiB of `unit`, brotli-compressed (64 MiB pack into ~100 bytes), made a
    MiB at a time so that making it costs no memory."""
    packer = brotli.Compressor(quality=5)
    megabyte = (unit * (MIB // len(unit) + 1))[:MIB]
    parts = [packer.process(head)] + [packer.process(megabyte) for _ in range(megabytes)]
    packed: bytes = b"".join(parts) + packer.finish()
    return packed
