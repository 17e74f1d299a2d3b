"""Hostile servers on loopback: compression bombs, stacked and unknown codings, trickling servers,
redirects into private networks and address tricks. Every case ends as a finding (FD003 / FD006 for a
feed, the page's fetch error for a listing), never a crash, a hang or unbounded memory; and a good
feed after a hostile one in the same run is still fully audited.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from collections.abc import Sequence
from ipaddress import ip_network
from pathlib import Path

import httpcore
import pytest
from click.testing import CliRunner

from feedaudit.cli import main
from feedaudit.decoding import ContentDecoder, DecodingError, OutputTooLargeError
from feedaudit.feeds import ReadOptions, read_feed
from feedaudit.feeds.source import SourceOptions
from feedaudit.listings.fetch import Page
from feedaudit.listings.live import LiveListings
from feedaudit.listings.settings import ListingsSettings
from feedaudit.model import FeedInfo, FeedIssue, FeedIssueKind, Offer
from tests.hostile.netservers import (
    MIB,
    brotli_bomb,
    gzip_feed_bomb,
    gzip_page_bomb,
    trickled_body,
    trickled_headers,
)
from tests.listings.shopserver import Reply, ShopServer, html_page, running

LOOPBACK = (ip_network("127.0.0.1/32"),)
ROBOTS_404 = Reply(404, b"")


def read_url(url: str, **options: object) -> tuple[list[Offer], list[FeedIssue]]:
    source = SourceOptions(**({"allow_private": LOOPBACK} | options))  # type: ignore[arg-type]
    items = list(read_feed(url, FeedInfo(source=url), ReadOptions(source=source)))
    return [i for i in items if isinstance(i, Offer)], [i for i in items if isinstance(i, FeedIssue)]


def pages(urls: Sequence[str], **changes: object) -> list[Page]:
    base: dict[str, object] = {"rate": 1000.0, "timeout": 5.0, "retries": 0, "allow_private": ["127.0.0.1/32"]}
    return list(LiveListings(ListingsSettings.model_validate(base | changes)).fetch_pages(list(urls)))


def check(directory: Path, *args: str, config: str = "") -> dict[str, object]:
    (directory / "feedaudit.toml").write_text(config, "utf-8")
    config_path = str(directory / "feedaudit.toml")
    result = CliRunner().invoke(main, ["check", *args, "--output-format", "json", "--config", config_path])
    assert result.exit_code in (0, 1), result.output
    report: dict[str, object] = json.loads(result.stdout)
    return report


# -- the decoder on its own -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "body"),
    [("gzip, gzip", gzip_page_bomb(256, layers=2)), ("br", brotli_bomb(64))],
    ids=["gzip-gzip", "br"],
)
def test_decoder_never_gives_more_than_asked_and_stops_at_the_cap(header: str, body: bytes) -> None:
    decoder = ContentDecoder(header, max_output=8 * MIB, max_ratio=10**6)  # the output cap, not the ratio
    decoder.give(body)
    sizes: list[int] = []

    def drain() -> None:
        while data := decoder.take(64 * 1024):
            sizes.append(len(data))

    with pytest.raises(OutputTooLargeError, match="more than 8,388,608 bytes"):
        drain()
    assert sizes
    assert max(sizes) <= 64 * 1024
    assert sum(sizes) <= 8 * MIB


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("gzip, gzip, gzip", "stacks 3 codings; at most 2"),
        ("zstd", "unsupported Content-Encoding 'zstd'"),
        ("gzip, compress", "unsupported Content-Encoding 'compress'"),
    ],
)
def test_unknown_or_too_many_codings_are_refused(header: str, message: str) -> None:
    with pytest.raises(DecodingError, match=message):
        ContentDecoder(header, max_output=MIB)


# -- feeds --------------------------------------------------------------------------------------------


def test_stacked_gzip_feed_is_read_up_to_the_cap() -> None:
    shop = ShopServer()
    shop.routes["/feed.xml"] = Reply(200, gzip_feed_bomb(64, layers=2), {"Content-Encoding": "gzip, gzip"})
    with running(shop):
        offers, issues = read_url(shop.url("/feed.xml"), max_bytes=MIB)
    assert [i.kind for i in issues] == [FeedIssueKind.SIZE_LIMIT]
    assert len(offers) > 10_000  # the offers before the cap are audited
    assert shop.log[0].headers["accept-encoding"] == "gzip, deflate, br"


@pytest.mark.parametrize(
    ("header", "message"),
    [("gzip, gzip, gzip", "stacks 3 codings"), ("x-bomb", "unsupported Content-Encoding 'x-bomb'")],
)
def test_feed_with_refused_codings_is_an_unreadable_feed(header: str, message: str) -> None:
    shop = ShopServer()
    shop.routes["/feed.xml"] = Reply(200, b"whatever", {"Content-Encoding": header})
    with running(shop):
        offers, issues = read_url(shop.url("/feed.xml"))
    assert offers == []
    assert [i.kind for i in issues] == [FeedIssueKind.UNREADABLE]
    assert message in issues[0].message


def test_corrupt_brotli_feed_is_an_unreadable_feed() -> None:
    shop = ShopServer()
    shop.routes["/feed.xml"] = Reply(200, brotli_bomb(1, head=b"<yml_catalog>")[:-8], {"Content-Encoding": "br"})
    with running(shop):
        _offers, issues = read_url(shop.url("/feed.xml"))
    assert [i.kind for i in issues][-1] == FeedIssueKind.UNREADABLE
    assert "br data is truncated" in issues[-1].message


def _child_memory_limit() -> None:
    limit = 768 * MIB
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))


@pytest.mark.parametrize(
    ("header", "bomb"),
    [("gzip, gzip", lambda: gzip_feed_bomb(4096, layers=2)), ("br", lambda: brotli_bomb(1024, head=b"<yml_catalog>"))],
    ids=["gzip-gzip-4GiB", "br-1GiB"],
)
def test_bomb_feed_is_read_in_bounded_memory(header: str, bomb: object, tmp_path: Path) -> None:
    """A few kilobytes that decode to gigabytes: the run ends normally in a process allowed 768 MiB."""
    assert callable(bomb)
    body: bytes = bomb()
    assert len(body) < 256 * 1024
    shop = ShopServer()
    shop.routes["/feed.xml"] = Reply(200, body, {"Content-Encoding": header})
    (tmp_path / "feedaudit.toml").write_text('[listings]\nallow-private = ["127.0.0.1/32"]\n', "utf-8")
    with running(shop):
        command = [sys.executable, "-m", "feedaudit", "check", shop.url("/feed.xml"), "--output-format", "json"]
        command += ["--max-feed-bytes", str(8 * MIB), "--select", "FD"]
        result = subprocess.run(
            command, cwd=tmp_path, capture_output=True, text=True, preexec_fn=_child_memory_limit, check=False
        )
    assert result.returncode == 1, result.stderr
    codes = [f["code"] for f in json.loads(result.stdout)["findings"]]
    assert "FD006" in codes, codes  # the cap is reached: reading stops there


def test_trickled_feed_headers_end_at_the_deadline(tmp_path: Path) -> None:
    slow = trickled_headers(seconds=30)
    good = tmp_path / "good.xml"
    good.write_text('<yml_catalog><shop><offers><offer id="A"><price>1</price></offer></offers></shop></yml_catalog>')
    config = 'feed-deadline = 0.5\n[listings]\nallow-private = ["127.0.0.1/32"]\n'
    with slow.running():
        report = check(tmp_path, slow.url("/feed.xml"), str(good), config=config)
    findings = report["findings"]
    assert isinstance(findings, list)
    fd003 = [f for f in findings if f["code"] == "FD003"]
    assert len(fd003) == 1
    assert "0.5-second deadline" in fd003[0]["message"]
    assert slow.dripped < 600  # the server gave up dripping long before its 30 seconds were over
    feeds = report["feeds"]
    assert isinstance(feeds, list)
    assert feeds[1]["offers"] == 1  # the good feed after it is audited as usual


def test_trickled_feed_body_ends_at_the_deadline() -> None:
    head = b'<?xml version="1.0"?>\n<yml_catalog><shop><offers>\n' + b"<offer id='1'><price>1</price></offer>\n" * 50
    slow = trickled_body(head, b"<offer id='2'><price>2</price></offer>\n" * 100)
    with slow.running():
        _offers, issues = read_url(slow.url("/feed.xml"), deadline=0.5)
    assert [i.kind for i in issues][-1] == FeedIssueKind.UNREADABLE
    assert "0.5-second deadline" in issues[-1].message


# -- the guard for feeds --------------------------------------------------------------------------------


def test_loopback_feed_url_is_refused_unless_allowed() -> None:
    shop = ShopServer()
    shop.routes["/feed.xml"] = Reply(200, b"<yml_catalog><shop><offers/></shop></yml_catalog>")
    with running(shop):
        _offers, refused = read_url(shop.url("/feed.xml"), allow_private=False)
        _offers, allowed = read_url(shop.url("/feed.xml"), allow_private=True)
    assert [i.kind for i in refused] == [FeedIssueKind.UNREADABLE]
    assert "refused to connect to 127.0.0.1: loopback address (use --allow-private)" in refused[0].message
    assert allowed == []
    assert len(shop.log) == 1  # the refused one never connected


def test_feed_redirect_into_a_private_network_is_refused() -> None:
    public, internal = ShopServer("127.0.0.1"), ShopServer("127.0.0.2")
    internal.routes["/admin/export.xml"] = Reply(200, b"<yml_catalog/>")
    with running(public, internal):
        public.routes["/feed.xml"] = Reply(302, headers={"Location": internal.url("/admin/export.xml")})
        _offers, issues = read_url(public.url("/feed.xml"))
    assert [i.kind for i in issues] == [FeedIssueKind.UNREADABLE]
    assert "refused to connect to 127.0.0.2: loopback address" in issues[0].message
    assert internal.log == []


@pytest.mark.parametrize(
    "host",
    ["localhost", "127.1", "2130706433", "0x7f000001", "[::ffff:127.0.0.1]", "[::1]", "0.0.0.0"],
)
def test_address_spellings_are_judged_after_resolution(host: str) -> None:
    """Other spellings of loopback (names, short, decimal, hex, IPv6 forms) are refused like 127.0.0.1."""
    shop = ShopServer()
    with running(shop):
        _offers, issues = read_url(f"http://{host}:{shop.port}/feed.xml", allow_private=False)
    assert [i.kind for i in issues] == [FeedIssueKind.UNREADABLE]
    assert "refused to connect to" in issues[0].message
    assert shop.log == []


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/feed.xml",
        "http://[::ffff:169.254.169.254]/",
        "http://[64:ff9b::a9fe:a9fe]/",
    ],
)
def test_allow_private_never_reaches_link_local(url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Refused before any connection is tried; should the guard fail, the test fails without contacting anything."""
    attempts: list[str] = []

    def no_connection(self: object, host: str, port: int, *args: object, **kwargs: object) -> None:
        attempts.append(host)
        raise httpcore.ConnectError("the test allows no connection")

    monkeypatch.setattr(httpcore.SyncBackend, "connect_tcp", no_connection)
    report = check(tmp_path, url, "--allow-private")
    assert attempts == []
    findings = report["findings"]
    assert isinstance(findings, list)
    assert [f["code"] for f in findings] == ["FD003"]
    assert "link-local address (name the network in allow-private" in findings[0]["message"]


def test_local_feed_files_need_no_allowance(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_text('<yml_catalog><shop><offers><offer id="A"><price>1</price></offer></offers></shop></yml_catalog>')
    report = check(tmp_path, str(feed))
    feeds = report["feeds"]
    assert isinstance(feeds, list)
    assert feeds[0]["offers"] == 1


# -- pages ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "body"),
    [
        ("gzip, gzip", gzip_page_bomb(1024, layers=2)),
        ("br", brotli_bomb(64)),
        ("deflate, gzip", None),
    ],
    ids=["gzip-gzip-1GiB", "br-64MiB", "deflate-gzip"],
)
def test_page_bombs_end_at_the_cap(header: str, body: bytes | None) -> None:
    if body is None:
        import gzip
        import zlib

        body = gzip.compress(zlib.compress(b"<html>" + b" " * (8 * MIB)))
    shop = ShopServer()
    shop.routes["/robots.txt"] = ROBOTS_404
    shop.routes["/p.html"] = Reply(200, body, {"Content-Type": "text/html", "Content-Encoding": header})
    shop.routes["/ok.html"] = Reply(200, html_page(price="5"), {"Content-Type": "text/html"})
    with running(shop):
        bomb, ok = pages([shop.url("/p.html"), shop.url("/ok.html")], max_bytes=100_000)
    assert bomb.error is not None
    assert "100,000-byte cap" in bomb.error
    assert bomb.body == b""
    assert ok.status == 200


def test_page_with_an_unknown_coding_is_a_fetch_error() -> None:
    shop = ShopServer()
    shop.routes["/robots.txt"] = ROBOTS_404
    shop.routes["/p.html"] = Reply(200, b"\x28\xb5\x2f\xfd", {"Content-Encoding": "zstd"})
    with running(shop):
        (page,) = pages([shop.url("/p.html")])
    assert page.error is not None
    assert "unsupported Content-Encoding 'zstd'" in page.error


@pytest.mark.parametrize("where", ["headers", "body"])
def test_trickling_page_ends_at_the_deadline(where: str) -> None:
    slow = trickled_headers(seconds=30) if where == "headers" else trickled_body(b"<html><body>", b"x" * 600)
    with slow.running():
        (page,) = pages([slow.url("/p.html")], deadline=0.5, retries=2)
    assert page.error == "no complete response within the 0.5-second deadline"
    assert slow.dripped < 600
    assert [r for r in slow.requests if b"/p.html" in r] == [b"GET /p.html HTTP/1.1"]  # not retried


def test_trickling_robots_txt_ends_at_the_deadline() -> None:
    slow = trickled_headers(seconds=30, quick_robots=False)
    with slow.running():
        (page,) = pages([slow.url("/p.html")], deadline=0.5)
    assert page.error == ("robots.txt unreachable (no complete response within the 0.5-second deadline): disallow all")
    assert slow.requests == [b"GET /robots.txt HTTP/1.1"]


def test_deep_json_ld_is_skipped_and_the_rest_of_the_page_read(tmp_path: Path) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    good = '{"@type": "Product", "offers": {"@type": "Offer", "price": "777", "priceCurrency": "UAH"}}'
    body = (
        f'<html><head><script type="application/ld+json">{deep}</script>'
        f'<script type="application/ld+json">{good}</script></head><body></body></html>'
    ).encode()
    shop = ShopServer()
    shop.routes["/robots.txt"] = ROBOTS_404
    shop.routes["/p.html"] = Reply(200, body, {"Content-Type": "text/html; charset=utf-8"})
    with running(shop):
        (listing,) = LiveListings(
            ListingsSettings.model_validate({"rate": 1000.0, "allow_private": ["127.0.0.1/32"]})
        ).fetch_urls([shop.url("/p.html")])
    assert listing.price == 777
    assert listing.markup_errors == ("JSON-LD block 1 nests deeper than 64 levels; it was skipped",)
