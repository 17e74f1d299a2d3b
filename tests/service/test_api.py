"""The API of a real `feedaudit serve` on loopback, driven with httpx."""

from __future__ import annotations

import csv
import gzip
import io
import json
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from feedaudit.cli import main
from tests.conftest import ROOT
from tests.loopback import Route, serve
from tests.service.conftest import UPLOAD_CAP
from tests.service.server import Server, make_token, wait_done

API = "/api/v1"


def _upload(server: Server, token: str, body: bytes, name: str, **params: str) -> dict[str, Any]:
    with server.client(token) as client:
        answer = client.post(
            f"{API}/audits",
            content=body,
            params={"name": name, **params},
            headers={"Content-Type": "application/xml"},
        )
        assert answer.status_code == 202, answer.text
        assert answer.headers["Location"] == f"{API}/audits/{answer.json()['id']}"
        return wait_done(client, answer.json()["id"])


def _cli_report(tmp_path: Path, feed: Path, output_format: str, *options: str) -> str:
    """What `feedaudit check` prints for the same file under the same name."""
    (tmp_path / feed.name).write_bytes(feed.read_bytes())
    result = subprocess.run(
        [sys.executable, "-m", "feedaudit", "check", feed.name, "--output-format", output_format, *options],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout


def test_upload_then_every_report_format(server: Server, fixture_feed: Path, tmp_path: Path) -> None:
    token = make_token(server.data_dir, "formats-shop")
    status = _upload(server, token, fixture_feed.read_bytes(), "prom.xml")
    assert status["status"] == "done"
    assert status["summary"] == {
        "dialect": "yml",
        "offers": 5,
        "findings": 9,
        "by_severity": {"error": 6, "warning": 2, "info": 1},
        "by_code": {"CN001": 1, "ID001": 1, "ID002": 1, "PH002": 2, "PH004": 1, "ST001": 1, "WR001": 1, "WR002": 1},
        "elapsed_seconds": status["summary"]["elapsed_seconds"],
    }
    assert status["progress"]["fraction"] == 1.0
    audit_id = status["id"]
    upload = server.data_dir / "uploads" / f"{audit_id}.feed"
    for _ in range(200):  # the uploaded file is removed once its audit is recorded
        if not upload.exists():
            break
        time.sleep(0.05)
    assert not upload.exists()
    reports = {}
    with server.client(token) as client:
        for output_format in ("concise", "grouped", "github", "json", "jsonl", "csv", "sarif", "junit", "html"):
            answer = client.get(f"{API}/audits/{audit_id}/report/{output_format}")
            assert answer.status_code == 200, (output_format, answer.text)
            reports[output_format] = answer.text
        download = client.get(f"{API}/audits/{audit_id}/report/csv", params={"download": "true"})
        assert download.headers["content-disposition"] == f'attachment; filename="feedaudit-{audit_id[:12]}.csv"'
        assert download.headers["content-type"].startswith("text/csv")
    # the same text as the command line prints for the same file
    assert reports["concise"] == _cli_report(tmp_path, fixture_feed, "concise")
    assert reports["jsonl"] == _cli_report(tmp_path, fixture_feed, "jsonl")
    report = json.loads(reports["json"])
    schema = json.loads((ROOT / "schemas" / "report.schema.json").read_text("utf-8"))
    jsonschema.validate(report, schema)
    cli = json.loads(_cli_report(tmp_path, fixture_feed, "json"))
    assert report["findings"] == cli["findings"]
    assert report["feeds"] == cli["feeds"]
    assert report["feeds"][0]["source"] == "prom.xml"
    rows = list(csv.DictReader(io.StringIO(reports["csv"])))
    assert sorted(row["code"] for row in rows) == sorted(f["code"] for f in report["findings"])
    sarif = json.loads(reports["sarif"])
    assert len(sarif["runs"][0]["results"]) == 9
    junit = ET.fromstring(reports["junit"])
    assert junit.iter("testcase")
    assert "<h1>feedaudit report" in reports["html"]
    assert reports["github"].startswith("::")


def test_gzip_upload_as_multipart_with_selection(server: Server, fixture_feed: Path) -> None:
    token = make_token(server.data_dir, "gzip-shop")
    packed = gzip.compress(fixture_feed.read_bytes())
    with server.client(token) as client:
        answer = client.post(
            f"{API}/audits", files={"feed": ("prom.xml.gz", packed, "application/gzip")}, data={"select": "PH,ID"}
        )
        assert answer.status_code == 202, answer.text
        assert answer.json()["options"]["select"] == ["PH", "ID"]
        status = wait_done(client, answer.json()["id"])
        assert status["feed"] == "prom.xml.gz"
        assert status["summary"]["by_code"] == {"ID001": 1, "ID002": 1, "PH002": 2, "PH004": 1}


def test_plain_upload_as_multipart_with_profile_and_ignore(server: Server, fixture_feed: Path) -> None:
    token = make_token(server.data_dir, "plain-shop")
    with server.client(token) as client:
        answer = client.post(
            f"{API}/audits",
            files={"feed": ("prom.xml", fixture_feed.read_bytes(), "application/xml")},
            data={"ignore": "WR,CN", "profile": "prom"},
        )
        assert answer.status_code == 202, answer.text
        status = wait_done(client, answer.json()["id"])
        assert set(status["summary"]["by_code"]) == {"ID001", "ID002", "PH002", "PH004", "ST001"}


def test_server_side_inventory_by_name(server: Server) -> None:
    token = make_token(server.data_dir, "inventory-shop")
    feed = ROOT / "fixtures" / "inventory" / "feed.xml"
    status = _upload(server, token, feed.read_bytes(), "feed.xml", inventory="stock", select="IV")
    assert status["summary"]["findings"] == 11
    assert all(code.startswith("IV") for code in status["summary"]["by_code"])
    with server.client(token) as client:
        unknown = client.post(
            f"{API}/audits",
            content=feed.read_bytes(),
            params={"inventory": "other"},
            headers={"Content-Type": "text/xml"},
        )
        assert unknown.status_code == 422
        assert "no inventory 'other'" in unknown.json()["detail"]


def test_an_unusable_inventory_fails_the_audit_with_its_reason(server: Server) -> None:
    token = make_token(server.data_dir, "broken-shop")
    feed = ROOT / "fixtures" / "inventory" / "feed.xml"
    status = _upload(server, token, feed.read_bytes(), "feed.xml", inventory="gone")
    assert status["status"] == "failed"
    assert "no-such-stock.csv" in status["error"]
    assert status["summary"] is None
    with server.client(token) as client:
        report = client.get(f"{API}/audits/{status['id']}/report/json")
    assert report.status_code == 409
    assert report.json()["detail"].startswith("the audit failed: ")


V1 = """<?xml version="1.0" encoding="UTF-8"?>
<yml_catalog date="2026-01-01 00:00"><shop><name>S</name><company>S</company><url>https://s.example/</url>
<currencies><currency id="UAH" rate="1"/></currencies><categories><category id="1">C</category></categories>
<offers>
<offer id="A1" available="true"><name>Kettle</name><price>0</price><currencyId>UAH</currencyId>
<categoryId>1</categoryId>
<vendor>V</vendor><description>d</description><param name="Гарантія">12 міс</param></offer>
<offer id="A2" available="true"><name>Lamp</name><price>100</price><currencyId>UAH</currencyId>
<categoryId>1</categoryId>
<vendor>V</vendor><description>d</description><param name="Гарантія">12 міс</param></offer>
</offers></shop></yml_catalog>
""".encode()


def test_url_audit_and_delta_against_the_previous_audit(server: Server) -> None:
    token = make_token(server.data_dir, "delta-shop")
    routes = {"/feed.xml": Route(V1)}
    with serve(routes) as feeds, server.client(token) as client:
        url = feeds.url("/feed.xml")
        first = client.post(f"{API}/audits", json={"url": url, "select": ["PH"]})
        assert first.status_code == 202, first.text
        assert first.json()["kind"] == "url"
        done = wait_done(client, first.json()["id"])
        assert done["summary"]["by_code"] == {"PH002": 1}
        delta = client.get(f"{API}/audits/{done['id']}/delta").json()
        assert [f["code"] for f in delta["new"]] == ["PH002"]
        assert delta["resolved"] == []
        # the shop fixes the price of A1 and breaks A2's
        routes["/feed.xml"] = Route(
            V1.replace(b"<price>0</price>", b"<price>90</price>").replace(
                b"<price>100</price>", b"<price>99999</price>"
            )
        )
        second = client.post(f"{API}/audits", json={"url": url, "select": ["PH"]})
        done = wait_done(client, second.json()["id"])
        delta = client.get(f"{API}/audits/{done['id']}/delta").json()
        assert [(f["code"], f["offer_id"]) for f in delta["new"]] == [("PH002", "A2")]
        assert [(f["code"], f["offer_id"]) for f in delta["resolved"]] == [("PH002", "A1")]
        assert delta["still_open"] == 0
        listed = client.get(f"{API}/audits").json()["audits"]
        assert [a["id"] for a in listed] == [second.json()["id"], first.json()["id"]]
    assert feeds.requests == ["/feed.xml", "/feed.xml"]


def test_a_shop_sees_only_its_own_audits(server: Server, fixture_feed: Path) -> None:
    token_a = make_token(server.data_dir, "shop-a")
    token_b = make_token(server.data_dir, "shop-b")
    admin = make_token(server.data_dir, "marketplace", "--admin")
    audit_a = _upload(server, token_a, fixture_feed.read_bytes(), "a.xml")["id"]
    with server.client(token_b) as client:
        for path in ("", "/report/json", "/delta"):
            assert client.get(f"{API}/audits/{audit_a}{path}").status_code == 404
        assert audit_a not in [a["id"] for a in client.get(f"{API}/audits").json()["audits"]]
        assert (
            client.post(f"{API}/audits", json={"url": "https://example.com/f.xml", "shop": "shop-a"}).status_code == 403
        )
    with server.client(token_a) as client:
        assert client.get(f"{API}/audits/{audit_a}").status_code == 200
        assert all(a["shop"] == "shop-a" for a in client.get(f"{API}/audits").json()["audits"])
    with server.client(admin) as client:
        assert client.get(f"{API}/audits/{audit_a}").json()["shop"] == "shop-a"
        assert [a["id"] for a in client.get(f"{API}/audits", params={"shop": "shop-a"}).json()["audits"]] == [audit_a]
    with server.client() as anonymous:
        assert anonymous.get(f"{API}/audits/{audit_a}").status_code == 401
    with server.client("fa_not-a-token") as stranger:
        assert stranger.get(f"{API}/audits").status_code == 401


def _chunks(size: int) -> Iterator[bytes]:
    sent = 0
    while sent < size:
        yield b"x" * 65536
        sent += 65536


def test_uploads_over_the_cap_answer_413(server: Server) -> None:
    token = make_token(server.data_dir, "big-shop", "--rate", "1000")
    before = sorted((server.data_dir / "uploads").glob("*"))
    with server.client(token) as client:
        raw = client.post(f"{API}/audits", content=b"x" * (UPLOAD_CAP + 1), headers={"Content-Type": "application/xml"})
        assert raw.status_code == 413, raw.text
        assert "262,144 bytes" in raw.json()["detail"]
        streamed = client.post(  # no Content-Length: the cap is counted as the body streams in
            f"{API}/audits", content=_chunks(UPLOAD_CAP + 65536), headers={"Content-Type": "application/gzip"}
        )
        assert streamed.status_code == 413
        form = client.post(f"{API}/audits", files={"feed": ("big.xml", b"x" * (UPLOAD_CAP + 70000), "text/xml")})
        assert form.status_code == 413
        assert client.get(f"{API}/audits").json()["audits"] == []
    assert sorted((server.data_dir / "uploads").glob("*")) == before


def test_bad_submissions_are_refused_with_a_reason(server: Server) -> None:
    token = make_token(server.data_dir, "careless-shop", "--rate", "1000")
    with server.client(token) as client:
        cases = [
            (client.post(f"{API}/audits", content=b"<x/>", headers={"Content-Type": "text/plain"}), 415),
            (client.post(f"{API}/audits", content=b"", headers={"Content-Type": "application/xml"}), 422),
            (client.post(f"{API}/audits", json={"url": "ftp://example.com/f.xml"}), 422),
            (client.post(f"{API}/audits", json={"url": "https://example.com/f.xml", "profile": "ebay"}), 422),
            (client.post(f"{API}/audits", json={"urls": "https://example.com/f.xml"}), 422),
            (
                client.post(
                    f"{API}/audits", data={"url": "https://example.com/f.xml"}, files={"feed": ("f.xml", b"<x/>")}
                ),
                422,
            ),
            (
                client.post(
                    f"{API}/audits", json={"url": "https://example.com/f.xml", "webhook_url": "https://example.com/h"}
                ),
                422,
            ),
            (client.get(f"{API}/audits/{'0' * 32}"), 404),
        ]
        for answer, expected in cases:
            assert answer.status_code == expected, answer.text
            assert answer.json()["detail"]


def test_loopback_is_refused_where_not_allowed(strict_server: Server) -> None:
    token = make_token(strict_server.data_dir, "strict-shop")
    with serve({"/feed.xml": Route(V1)}) as feeds, strict_server.client(token) as client:
        for url in (
            feeds.url("/feed.xml"),
            f"http://localhost:{feeds.base.rsplit(':', 1)[1]}/feed.xml",
            "http://[::1]/f",
        ):
            answer = client.post(f"{API}/audits", json={"url": url})
            assert answer.status_code == 422, answer.text
            assert "loopback address" in answer.json()["detail"]
        metadata = client.post(f"{API}/audits", json={"url": "http://169.254.169.254/latest/meta-data/"})
        assert "link-local address" in metadata.json()["detail"]
        hook = client.post(
            f"{API}/audits",
            json={"url": "https://example.com/f.xml", "webhook_url": feeds.url("/hook"), "webhook_secret": "s" * 16},
        )
        assert hook.status_code == 422
        assert hook.json()["detail"].startswith("webhook_url: refused")
        form = client.post(f"{API}/audits", data={"url": feeds.url("/feed.xml")})
        assert form.status_code == 422
    assert feeds.requests == []


def test_only_the_allowed_networks_pass(server: Server) -> None:
    token = make_token(server.data_dir, "guarded-shop")
    with server.client(token) as client:
        answer = client.post(f"{API}/audits", json={"url": "http://10.1.2.3/feed.xml"})
        assert answer.status_code == 422
        assert "private address" in answer.json()["detail"]


def test_rate_limit_answers_429_with_retry_after(server: Server) -> None:
    token = make_token(server.data_dir, "busy-shop", "--rate", "3")
    with server.client(token) as client:
        answers = [client.get(f"{API}/audits") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert int(answers[-1].headers["Retry-After"]) >= 1
    assert "3 requests a minute" in answers[-1].json()["detail"]


def _ours(document: dict[str, Any]) -> dict[str, Any]:
    """The document without FastAPI's own schema of its validation errors, which gains fields between
    FastAPI releases (the rest is what this API declares)."""
    schemas = {k: v for k, v in document["components"]["schemas"].items() if k != "ValidationError"}
    return {**document, "components": {**document["components"], "schemas": schemas}}


def test_the_committed_openapi_schema_is_the_served_one(server: Server) -> None:
    with server.client() as client:
        served = client.get(f"{API}/openapi.json").json()
    committed = json.loads((ROOT / "schemas" / "openapi.json").read_text("utf-8"))
    assert _ours(committed) == _ours(served), "schemas/openapi.json is stale: run `python -m feedaudit.service.openapi`"
    assert "ValidationError" in served["components"]["schemas"]
    assert {"/api/v1/audits", "/api/v1/audits/{audit_id}", "/api/v1/audits/{audit_id}/delta"} <= set(served["paths"])
    assert served["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


@pytest.mark.parametrize("flag", [[], ["--admin"]])
def test_tokens_are_kept_hashed(server: Server, flag: list[str]) -> None:
    import hashlib
    import sqlite3

    token = make_token(server.data_dir, "hash-shop", *flag)
    with sqlite3.connect(server.data_dir / "service.sqlite") as db:
        stored = [row[0] for row in db.execute("SELECT hash FROM service_tokens WHERE shop = 'hash-shop'")]
    assert hashlib.sha256(token.encode()).hexdigest() in stored
    assert all(token not in value for value in stored)
    listing = CliRunner().invoke(main, ["serve", "token", "list", "--data-dir", str(server.data_dir)])
    assert "hash-shop" in listing.stdout
    assert token not in listing.stdout


def test_two_shops_feeds_of_one_name_have_separate_deltas(server: Server, fixture_feed: Path) -> None:
    first = make_token(server.data_dir, "twin-a")
    second = make_token(server.data_dir, "twin-b")
    body = fixture_feed.read_bytes()
    for token in (first, second):
        status = _upload(server, token, body, "feed.xml")
        with server.client(token) as client:
            delta = client.get(f"{API}/audits/{status['id']}/delta").json()
        assert len(delta["new"]) == 9, "each shop's first audit of its feed.xml finds everything new"
        assert {f["source"] for f in delta["new"]} == {"feed.xml"}
    fixed = body.replace(b"<price>0</price>", b"<price>10</price>")
    status = _upload(server, first, fixed, "feed.xml")
    with server.client(first) as client:
        delta = client.get(f"{API}/audits/{status['id']}/delta").json()
    assert delta["new"] == []
    assert [(f["code"], f["offer_id"], f["source"]) for f in delta["resolved"]] == [("PH002", "KT-1002", "feed.xml")]
    assert delta["still_open"] == 8


def test_offers_without_an_id_keep_their_findings_apart_run_after_run(server: Server) -> None:
    token = make_token(server.data_dir, "idless-shop")
    offer = b'<offer available="true"><name>Twin</name><price>0</price><currencyId>UAH</currencyId></offer>'
    body = (
        b'<?xml version="1.0" encoding="UTF-8"?><yml_catalog date="2026-01-01 00:00"><shop><name>S</name>'
        b'<url>https://s.example/</url><currencies><currency id="UAH" rate="1"/></currencies><offers>'
        + offer * 2
        + b"</offers></shop></yml_catalog>"
    )
    first = _upload(server, token, body, "twins.xml", select="PH002")
    assert first["status"] == "done", first
    with server.client(token) as client:
        opened = client.get(f"{API}/audits/{first['id']}/delta").json()["new"]
        again = _upload(server, token, body, "twins.xml", select="PH002")
        same = client.get(f"{API}/audits/{again['id']}/delta").json()
    assert [f["code"] for f in opened] == ["PH002", "PH002"]
    assert len({f["fingerprint"] for f in opened}) == 2, "two identical offers, two findings"
    assert (same["new"], same["resolved"], same["still_open"]) == ([], [], 2)
    fixed = _upload(server, token, body.replace(b"<price>0</price>", b"<price>10</price>"), "twins.xml")
    with server.client(token) as client:
        resolved = client.get(f"{API}/audits/{fixed['id']}/delta").json()["resolved"]
    assert {f["fingerprint"] for f in resolved} == {f["fingerprint"] for f in opened}
