"""Hostile servers against feedaudit with default settings: peak memory and time of each case.

Every case runs the real command line (`feedaudit check URL` for a feed, `feedaudit listing URL` for a
page) in its own child process against a server on 127.0.0.1 started here; the only setting given is
`[listings] allow-private = ["127.0.0.1/32"]` so that loopback may be reached at all (caps, timeouts
and deadlines stay at their defaults). Peak RSS is the child's own (`os.wait4`); the bare baseline is
`feedaudit check` of a small local feed in the same run. Targets: under 256 MiB and 60 s each.

    python bench/hostile_network.py            # every case (the trickling ones take 30-45 s each)
    python bench/hostile_network.py --quick    # without the trickling servers
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.hostile.netservers import (  # noqa: E402
    Trickler,
    brotli_bomb,
    gzip_megabytes,
    gzip_page_bomb,
    trickled_body,
    trickled_headers,
)
from tests.listings.shopserver import Reply, ShopServer  # noqa: E402

GOOD_FEED = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<yml_catalog date="2026-12-01 10:00"><shop><name>S</name>'
    '<currencies><currency id="UAH" rate="1"/></currencies><categories><category id="1">C</category>'
    '</categories><offers>\n<offer id="A1" available="true"><url>https://shop.example.ua/a1</url>'
    "<price>100</price><currencyId>UAH</currencyId><categoryId>1</categoryId><name>Товар</name></offer>\n"
    "</offers></shop></yml_catalog>\n"
)


@dataclass
class Outcome:
    seconds: float
    peak_mib: float
    exit_code: int
    summary: str


def run(args: list[str], directory: Path) -> Outcome:
    command = [sys.executable, "-m", "feedaudit", *args, "--output-format", "json", "--config", "feedaudit.toml"]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        child = subprocess.Popen(command, cwd=directory, stdout=out, stderr=err)
        _pid, status, usage = os.wait4(child.pid, 0)  # this child's own peak RSS
        seconds = time.monotonic() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Outcome(seconds, usage.ru_maxrss / 1024, child.returncode, _summary(out.read(), err.read()))


def _summary(out: bytes, err: bytes) -> str:
    try:
        report = json.loads(out)
    except ValueError:
        return (err.decode(errors="replace").strip().splitlines() or ["(no output)"])[-1][:150]
    findings = report.get("findings", [])
    feeds = report.get("feeds", [])
    parts = [f"{f['code']} {f['message'][:110]}" for f in findings[:2]]
    if len(findings) > 2:
        parts.append(f"... {len(findings)} findings")
    if len(feeds) > 1:
        parts.append("offers per feed: " + ", ".join(str(feed.get("offers")) for feed in feeds))
    return " | ".join(parts) or "no findings"


@contextlib.contextmanager
def shop(routes: dict[str, Reply]) -> Iterator[ShopServer]:
    server = ShopServer("127.0.0.1")
    server.routes.update({"/robots.txt": Reply(404, b"")} | routes)
    server.start()
    try:
        yield server
    finally:
        server.stop()


Case = Callable[[Path], Outcome]
FEED_BOMBS = {"feed gzip,gzip bomb", "feed br bomb"}


def served(routes: dict[str, Reply], command: str, path: str = "/x", *extra: str) -> Case:
    def case(directory: Path) -> Outcome:
        with shop(routes) as server:
            return run([command, server.url(path), *extra], directory)

    return case


def trickled(server: Trickler, command: str, *extra: str) -> Case:
    def case(directory: Path) -> Outcome:
        with server.running():
            return run([command, server.url("/x"), *extra], directory)

    return case


def cases(quick: bool, good: str) -> dict[str, tuple[str, Case]]:
    zeros_gzip = gzip_megabytes(b"\0", 4096)  # 4 GiB of NUL bytes, multi-member gzip

    feed_head = gzip.compress(b'<?xml version="1.0"?>\n<yml_catalog><shop><offers>\n')
    stacked = gzip.compress(feed_head + zeros_gzip, 9)
    feed_br = brotli_bomb(1024, unit=b"\0", head=b'<?xml version="1.0"?>\n<yml_catalog><shop><offers>\n')
    page_stacked = gzip_page_bomb(4096, layers=2)
    page_br = brotli_bomb(1024)
    deep = ("[" * 100_000 + "]" * 100_000).encode()
    json_ld = b'{"@type": "Product", "offers": {"@type": "Offer", "price": "10", "priceCurrency": "UAH"}}'
    deep_page = (
        b'<html><head><script type="application/ld+json">' + deep + b"</script>"
        b'<script type="application/ld+json">' + json_ld + b"</script></head><body></body></html>"
    )
    html = {"Content-Type": "text/html"}
    chosen: dict[str, tuple[str, Case]] = {
        "baseline: check good local feed": ("-", lambda d: run(["check", good], d)),
        "feed gzip,gzip bomb": (
            f"{len(stacked):,} B -> 4 GiB",
            served({"/x": Reply(200, stacked, {"Content-Encoding": "gzip, gzip"})}, "check"),
        ),
        "feed br bomb": (
            f"{len(feed_br):,} B -> 1 GiB",
            served({"/x": Reply(200, feed_br, {"Content-Encoding": "br"})}, "check"),
        ),
        "feed gzip,gzip,gzip (3 layers)": (
            "-",
            served({"/x": Reply(200, gzip.compress(stacked), {"Content-Encoding": "gzip, gzip, gzip"})}, "check"),
        ),
        "feed redirect to 127.0.0.2": (
            "-",
            served({"/x": Reply(302, headers={"Location": "http://127.0.0.2:9/admin"})}, "check"),
        ),
        "feed refused, then good feed": (
            "-",
            served({"/x": Reply(200, stacked, {"Content-Encoding": "gzip, gzip, gzip"})}, "check", "/x", good),
        ),
        "page gzip,gzip bomb": (
            f"{len(page_stacked):,} B -> 4 GiB",
            served({"/x": Reply(200, page_stacked, html | {"Content-Encoding": "gzip, gzip"})}, "listing"),
        ),
        "page br bomb": (
            f"{len(page_br):,} B -> 1 GiB",
            served({"/x": Reply(200, page_br, html | {"Content-Encoding": "br"})}, "listing"),
        ),
        "page 100k-deep JSON-LD": (
            f"{len(deep_page):,} B",
            served({"/x": Reply(200, deep_page, html)}, "listing"),
        ),
    }
    if not quick:
        chosen |= {
            "feed headers 1 B/s": ("-", trickled(trickled_headers(3600, interval=1.0), "check")),
            "feed body 1 B/s": (
                "-",
                trickled(trickled_body(b"<yml_catalog><shop><offers>\n", b" " * 3600, interval=1.0), "check"),
            ),
            "page headers 1 B/s": ("-", trickled(trickled_headers(3600, interval=1.0), "listing")),
            "page body 1 B/s": ("-", trickled(trickled_body(b"<html><body>", b" " * 3600, interval=1.0), "listing")),
        }
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="leave out the trickling servers")
    parser.add_argument(
        "--feed-bombs",
        action="store_true",
        help="also the feed bombs (their NUL bytes reach the XML reader, whose own text cap is needed first)",
    )
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        directory = Path(name)
        (directory / "feedaudit.toml").write_text('[listings]\nallow-private = ["127.0.0.1/32"]\n', "utf-8")
        good = directory / "good.xml"
        good.write_text(GOOD_FEED, "utf-8")
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
        print(f"{'case':34} {'input':>22} {'time':>8} {'peak RSS':>10} {'exit':>4}  outcome")
        for label, (size, case) in cases(options.quick, str(good)).items():
            if label in FEED_BOMBS and not options.feed_bombs:
                continue
            outcome = case(directory)
            print(
                f"{label:34} {size:>22} {outcome.seconds:7.2f}s {outcome.peak_mib:7.0f} MiB {outcome.exit_code:>4}  "
                f"{outcome.summary}",
                flush=True,
            )
        print(f"load average after the run: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
