"""Where feeds come from: paths, stdin, gzip, zip and http(s) URLs served by a real loopback server."""

from __future__ import annotations

import gzip
import json
import ssl
import zipfile
from ipaddress import ip_network
from pathlib import Path

import pytest
import trustme
from click.testing import CliRunner

from feedaudit.cli import main
from feedaudit.feeds import ReadOptions, read_feed
from feedaudit.feeds.source import SourceOptions, open_source
from feedaudit.model import FeedInfo, FeedIssue, FeedIssueKind, Offer
from tests.feeds.conftest import Read, read
from tests.loopback import Route, serve

LOOPBACK = (ip_network("127.0.0.0/8"),)  # the test servers' addresses, refused unless allowed

PROM_IDS = ["KT-1001", "KT-1002", "VC-2001", "VC-2001", None]


def _offer(n: int) -> bytes:
    return f'<offer id="{n}" available="true"><price>{100 + n}</price><name>Товар {n}</name></offer>\n'.encode()


def _big_feed(offers: int) -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<yml_catalog><shop><name>S</name><offers>\n'
        + b"".join(_offer(n) for n in range(offers))
        + b"</offers></shop></yml_catalog>\n"
    )


def fetch(url: str, **options: object) -> Read:
    """Read a feed URL on a loopback test server (loopback allowed, as `--allow-private` does)."""
    feed = FeedInfo(source=url)
    source = SourceOptions(allow_private=LOOPBACK, **options)  # type: ignore[arg-type]
    items = list(read_feed(url, feed, ReadOptions(source=source)))
    return Read(
        [i for i in items if isinstance(i, Offer)],
        [i for i in items if isinstance(i, FeedIssue)],
        feed,
    )


def test_path(feeds_dir: Path) -> None:
    got = read(feeds_dir / "prom.xml")
    assert [o.offer_id for o in got.offers] == PROM_IDS
    assert got.feed.bytes_read == (feeds_dir / "prom.xml").stat().st_size


def test_missing_path_is_an_unreadable_feed_finding(tmp_path: Path) -> None:
    got = read(tmp_path / "nope.xml")
    assert [i.kind for i in got.issues] == [FeedIssueKind.UNREADABLE]
    assert "No such file" in got.issues[0].message


def test_stdin_through_the_command_line(feeds_dir: Path) -> None:
    runner = CliRunner()
    data = (feeds_dir / "hotline.xml").read_bytes()
    result = runner.invoke(main, ["check", "-", "--select", "ID", "--output-format", "json"], input=data)
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert report["feeds"][0]["source"] == "<stdin>"
    assert report["feeds"][0]["offers"] == 4
    assert [(f["code"], f["line"], f["source"]) for f in report["findings"]] == [("ID002", 53, "<stdin>")]


def test_gzip_stdin_through_the_command_line(feeds_dir: Path) -> None:
    data = (feeds_dir / "prom.xml.gz").read_bytes()
    result = CliRunner().invoke(main, ["check", "-", "--select", "ID", "--output-format", "jsonl"], input=data)
    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(f["code"], f["line"]) for f in lines] == [("ID002", 57), ("ID001", 69)]


def test_gzip_file_with_several_members(tmp_path: Path) -> None:
    body = _big_feed(10)
    path = tmp_path / "feed.xml.gz"
    path.write_bytes(gzip.compress(body[:100]) + gzip.compress(body[100:]))
    got = read(path)
    assert not got.issues
    assert len(got.offers) == 10
    assert got.feed.bytes_read == len(body)


def test_corrupt_gzip_is_an_unreadable_feed_finding(tmp_path: Path, feeds_dir: Path) -> None:
    data = bytearray((feeds_dir / "prom.xml.gz").read_bytes())
    data[40:60] = b"\xff" * 20
    path = tmp_path / "corrupt.xml.gz"
    path.write_bytes(bytes(data))
    got = read(path)
    assert FeedIssueKind.UNREADABLE in [i.kind for i in got.issues]
    assert "gzip" in " ".join(i.message for i in got.issues)


def test_zip_takes_the_xml_member(tmp_path: Path, feeds_dir: Path) -> None:
    path = tmp_path / "feeds.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("readme.txt", "not a feed")
        archive.write(feeds_dir / "prom.xml", "export/prom.xml")
    got = read(path)
    assert not got.issues
    assert [o.offer_id for o in got.offers] == PROM_IDS
    assert got.offers[0].line == 17


def test_zip_from_stdin_is_spooled(tmp_path: Path, feeds_dir: Path) -> None:
    path = tmp_path / "feeds.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.write(feeds_dir / "hotline.xml", "hotline.xml")
    result = CliRunner().invoke(
        main, ["check", "-", "--select", "ID", "--output-format", "json"], input=path.read_bytes()
    )
    assert json.loads(result.stdout)["feeds"][0]["offers"] == 4


def test_not_a_zip_is_an_unreadable_feed_finding(tmp_path: Path) -> None:
    path = tmp_path / "broken.zip"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    assert [i.kind for i in read(path).issues] == [FeedIssueKind.UNREADABLE]


def test_url_served_over_loopback(feeds_dir: Path) -> None:
    routes = {
        "/feed.xml": Route((feeds_dir / "prom.xml").read_bytes()),
        "/feed.xml.gz": Route((feeds_dir / "prom.xml.gz").read_bytes(), headers={"Content-Type": "application/gzip"}),
        "/compressed.xml": Route(
            gzip.compress((feeds_dir / "rozetka.xml").read_bytes()), headers={"Content-Encoding": "gzip"}
        ),
        "/moved": Route(b"", status=301, headers={"Location": "/feed.xml"}),
    }
    with serve(routes) as server:
        for path in ("/feed.xml", "/feed.xml.gz", "/moved"):
            got = fetch(server.url(path))
            assert not got.issues, path
            assert [o.offer_id for o in got.offers] == PROM_IDS, path
            assert got.offers[2].lines["price"] == 47
            assert got.offers[0].source == server.url(path)
        rozetka = fetch(server.url("/compressed.xml"))  # transfer compression is undone by the fetcher
        assert [o.offer_id for o in rozetka.offers] == ["HP-501", "HP-502", "NB-900", "NB-900"]


def test_url_http_error_is_an_unreadable_feed_finding() -> None:
    with serve({}) as server:
        result = CliRunner().invoke(
            main, ["check", server.url("/missing.xml"), "--allow-private", "--output-format", "json"]
        )
    assert result.exit_code == 1
    findings = json.loads(result.stdout)["findings"]
    assert [(f["code"], f["source"]) for f in findings] == [("FD003", server.url("/missing.xml"))]
    assert "HTTP 404" in findings[0]["message"]


def test_refused_connection_is_an_unreadable_feed_finding() -> None:
    with serve({}) as server:
        url = server.url("/feed.xml")
    got = fetch(url)  # the server is gone: nothing listens on that port any more
    assert [i.kind for i in got.issues] == [FeedIssueKind.UNREADABLE]
    assert "cannot fetch" in got.issues[0].message


def test_url_body_over_the_size_cap(tmp_path: Path) -> None:
    body = _big_feed(2000)
    with serve({"/big.xml": Route(body)}) as server:
        result = CliRunner().invoke(
            main,
            [
                "check",
                server.url("/big.xml"),
                "--allow-private",
                "--max-feed-bytes",
                "20000",
                "--select",
                "FD,ID",
                "--output-format",
                "json",
            ],
        )
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    codes = [f["code"] for f in report["findings"]]
    assert codes == ["FD006"], codes
    feed = report["feeds"][0]
    assert feed["bytes_read"] == 20000
    assert 100 < feed["offers"] < 2000  # the offers before the cap are still audited


def test_gzip_bomb_stops_at_the_cap_without_inflating_the_rest(tmp_path: Path) -> None:
    """A 256 MB feed packed into a small .gz: reading stops at the cap, the rest is never inflated."""
    path = tmp_path / "bomb.xml.gz"
    megabyte = b"".join(_offer(n) for n in range(100)) * 128  # 1 MiB of offers, packed once, sent 256 times
    member = gzip.compress(megabyte, 9)
    path.write_bytes(
        gzip.compress(b"<yml_catalog><shop><offers>\n")
        + member * 256
        + gzip.compress(b"</offers></shop></yml_catalog>\n")
    )
    packed = path.stat().st_size
    assert packed < 4 * 1024 * 1024

    cap = 1024 * 1024
    source = open_source(str(path), SourceOptions(max_bytes=cap))
    with source:
        while source.read(64 * 1024):
            pass
        consumed, total = source.progress()
    assert source.limit_hit
    assert source.bytes_read == cap
    assert total == packed
    assert consumed < packed // 10  # most of the archive was never even read

    got = read(path, max_bytes=cap)
    assert [i.kind for i in got.issues] == [FeedIssueKind.SIZE_LIMIT]
    assert got.feed.bytes_read == cap
    assert 1000 < len(got.offers) < 20000


def _tls_server_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return context


def test_https_feed_from_a_server_with_a_private_ca(
    feeds_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A shop behind its own CA: trusted through SSL_CERT_FILE, the feed is read like any other."""
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
    with serve({"/feed.xml": Route((feeds_dir / "prom.xml").read_bytes())}, tls=_tls_server_context(ca)) as server:
        assert server.base.startswith("https://")
        got = fetch(server.url("/feed.xml"))
    assert not got.issues
    assert [o.offer_id for o in got.offers] == PROM_IDS


def test_https_feed_with_an_untrusted_certificate_is_a_finding(
    feeds_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trusted, other = trustme.CA(), trustme.CA()
    trusted.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
    with serve({"/feed.xml": Route((feeds_dir / "prom.xml").read_bytes())}, tls=_tls_server_context(other)) as server:
        result = CliRunner().invoke(main, ["check", server.url("/feed.xml"), "--allow-private"])
        assert server.requests == []  # the handshake failed: no request was ever made
    assert result.exit_code == 1
    [line] = [line for line in result.stdout.splitlines() if "FD003" in line]
    assert "CERTIFICATE_VERIFY_FAILED" in line
    assert "Traceback" not in result.output
