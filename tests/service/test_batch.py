"""Batches of audits (`POST /api/v1/batches`) on a real `feedaudit serve` on loopback, driven with httpx."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.loopback import Route, serve
from tests.service.conftest import UPLOAD_CAP
from tests.service.receivers import held_feed, webhook_receiver
from tests.service.server import Server, make_token, running, wait_done
from tests.service.test_api import V1

API = "/api/v1"
SECRET = "batch-webhook-secret"
MAX_BATCH = 1000


def _feed(offers: int) -> bytes:
    """A YML feed of `offers` offers, each with a zero price (one PH002 finding an offer with `select: PH`)."""
    rows = "".join(
        f'<offer id="B{n}" available="true"><url>https://shop.example/p/{n}</url><price>0</price>'
        f"<currencyId>UAH</currencyId><categoryId>1</categoryId><name>Product {n}</name></offer>"
        for n in range(offers)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><yml_catalog date="2024-01-01 00:00"><shop><name>S</name>'
        '<company>C</company><url>https://shop.example/</url><currencies><currency id="UAH" rate="1"/>'
        f'</currencies><categories><category id="1">C</category></categories><offers>{rows}</offers></shop>'
        "</yml_catalog>"
    ).encode()


def _finished(client: httpx.Client, batch_id: str) -> dict[str, Any]:
    for _ in range(60):
        answer = client.get(f"{API}/batches/{batch_id}", params={"wait": 10})
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        if body["finished"]:
            return body
    raise AssertionError(f"batch {batch_id} did not finish")


def _rows(data_dir: Path, query: str, *args: str) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(data_dir / "service.sqlite")) as database:
        return list(database.execute(query, args))


@pytest.fixture
def three_feeds() -> Iterator[Any]:
    routes = {"/a1.xml": Route(_feed(1)), "/a2.xml": Route(_feed(2)), "/b1.xml": Route(_feed(3))}
    with serve(routes) as feeds:
        yield feeds


def test_an_admin_batch_for_two_shops_runs_each_audit_once(server: Server, three_feeds: Any) -> None:
    admin = make_token(server.data_dir, "batch-market", "--admin")
    shop_a = make_token(server.data_dir, "batch-a")
    shop_b = make_token(server.data_dir, "batch-b")
    feeds = three_feeds
    items = [
        {"url": feeds.url("/a1.xml"), "shop": "batch-a", "select": ["PH"]},
        {"url": feeds.url("/a2.xml"), "shop": "batch-a", "select": ["PH"]},
        {"url": feeds.url("/b1.xml"), "shop": "batch-b", "select": ["PH"]},
    ]
    with webhook_receiver() as hooks, server.client(admin) as client:
        items[2] |= {"webhook_url": hooks.url(), "webhook_secret": SECRET}
        answer = client.post(f"{API}/batches", json={"audits": items})
        assert answer.status_code == 202, answer.text
        submitted = answer.json()
        assert answer.headers["Location"] == f"{API}/batches/{submitted['id']}"
        assert (submitted["accepted"], submitted["refused"]) == (3, 0)
        assert [(i["index"], i["shop"], i["error"]) for i in submitted["items"]] == [
            (0, "batch-a", None),
            (1, "batch-a", None),
            (2, "batch-b", None),
        ]
        ids = [item["id"] for item in submitted["items"]]
        assert len(set(ids)) == 3
        batch = _finished(client, submitted["id"])
        assert batch["counts"] == {"queued": 0, "running": 0, "done": 3, "failed": 0}
        assert [a["id"] for a in batch["audits"]] == ids
        assert [a["summary"]["by_code"] for a in batch["audits"]] == [{"PH002": 1}, {"PH002": 2}, {"PH002": 3}]
        assert [a["shop"] for a in batch["audits"]] == ["batch-a", "batch-a", "batch-b"]
        # every audit of the batch is an audit as any other: its status, report and delta
        for audit_id in ids:
            assert wait_done(client, audit_id)["status"] == "done"
            assert client.get(f"{API}/audits/{audit_id}/delta").json()["still_open"] == 0
        report = client.get(f"{API}/batches/{submitted['id']}/report/jsonl")
        assert report.status_code == 200
        assert report.headers["Content-Type"].startswith("application/x-ndjson")
        lines = [json.loads(line) for line in report.text.splitlines()]
        assert [(line["audit"], line["shop"], line["code"]) for line in lines] == [
            (ids[0], "batch-a", "PH002"),
            *[(ids[1], "batch-a", "PH002")] * 2,
            *[(ids[2], "batch-b", "PH002")] * 3,
        ]
        single = client.get(f"{API}/audits/{ids[1]}/report/jsonl").text.splitlines()
        assert [{k: v for k, v in line.items() if k not in ("audit", "shop")} for line in lines[1:3]] == [
            json.loads(line) for line in single
        ]
        (delivery,) = hooks.wait_for(1)
        assert json.loads(delivery.body)["audit"]["id"] == ids[2]
        # the same feeds again: each audit's delta is against the shop's previous audit of the feed
        feeds.routes["/a2.xml"] = Route(_feed(1))
        again = client.post(f"{API}/batches", json={"audits": items[:2]}).json()
        _finished(client, again["id"])
        delta = client.get(f"{API}/audits/{again['items'][1]['id']}/delta").json()
        assert (len(delta["new"]), len(delta["resolved"]), delta["still_open"]) == (0, 1, 1)
    assert sorted(feeds.requests) == ["/a1.xml", "/a1.xml", "/a2.xml", "/a2.xml", "/b1.xml"]
    rows = [
        _rows(server.data_dir, "SELECT status, attempt, webhook_state FROM service_audits WHERE id = ?", i) for i in ids
    ]
    assert rows == [[("done", 1, None)], [("done", 1, None)], [("done", 1, "sent")]]
    # tenancy: a shop's token sees its own audits of the batch, not the other shop's nor the admin's batch
    with server.client(shop_a) as client:
        assert client.get(f"{API}/audits/{ids[0]}").status_code == 200
        assert client.get(f"{API}/audits/{ids[2]}").status_code == 404
        assert client.get(f"{API}/batches/{submitted['id']}").status_code == 404
        assert client.get(f"{API}/batches/{submitted['id']}/report/jsonl").status_code == 404
    with server.client(shop_b) as client:
        assert client.get(f"{API}/audits/{ids[2]}").status_code == 200
    # nor does a shop's token of the admin token's own shop: the batch holds other shops' audits
    with server.client(make_token(server.data_dir, "batch-market")) as client:
        assert client.get(f"{API}/batches/{submitted['id']}").status_code == 404
        assert client.get(f"{API}/batches/{submitted['id']}/report/jsonl").status_code == 404


def test_a_shops_batch_answers_each_refused_item_and_queues_the_rest(server: Server, three_feeds: Any) -> None:
    token = make_token(server.data_dir, "batch-own", "--concurrency", "10")
    other = make_token(server.data_dir, "batch-other")
    admin = make_token(server.data_dir, "batch-watch", "--admin")
    feeds = three_feeds
    items: list[Any] = [
        {"url": feeds.url("/a1.xml"), "select": ["PH"]},
        {"url": feeds.url("/a2.xml"), "shop": "batch-other"},
        {"url": "ftp://example.com/f.xml"},
        {"url": feeds.url("/b1.xml"), "profile": "ebay"},
        {"urls": feeds.url("/b1.xml")},
        "not an object",
        {"url": "http://10.1.2.3/feed.xml"},
        {"url": feeds.url("/b1.xml"), "shop": "batch-own", "select": ["PH"]},
    ]
    with server.client(token) as client:
        answer = client.post(f"{API}/batches", json={"audits": items})
        assert answer.status_code == 202, answer.text
        submitted = answer.json()
        assert (submitted["accepted"], submitted["refused"]) == (2, 6)
        by_index = {item["index"]: item for item in submitted["items"]}
        assert sorted(by_index) == list(range(8))
        assert [by_index[i]["id"] is not None for i in range(8)] == [True, *[False] * 6, True]
        assert by_index[0]["shop"] == by_index[7]["shop"] == "batch-own"
        assert by_index[1]["error"] == {"status": 403, "detail": "a shop's token submits for its own shop only"}
        assert by_index[1]["shop"] == "batch-other"
        for index in (2, 3, 4, 5, 6):
            assert by_index[index]["error"]["status"] == 422, by_index[index]
        assert by_index[2]["error"]["detail"].startswith("url: only http")
        assert "unknown profile" in by_index[3]["error"]["detail"]
        assert "private address" in by_index[6]["error"]["detail"]
        batch = _finished(client, submitted["id"])
        assert [a["id"] for a in batch["audits"]] == [by_index[0]["id"], by_index[7]["id"]]
        assert [r["index"] for r in batch["refused"]] == [1, 2, 3, 4, 5, 6]
        assert batch["refused"][0] == by_index[1]
        assert batch["size"] == 8
        assert batch["shop"] == "batch-own"
    with server.client(other) as client:
        assert client.get(f"{API}/batches/{submitted['id']}").status_code == 404
        assert client.get(f"{API}/audits").json()["audits"] == []
    with server.client(admin) as client:
        assert client.get(f"{API}/batches/{submitted['id']}").json()["counts"]["done"] == 2
    assert sorted(feeds.requests) == ["/a1.xml", "/b1.xml"]


def test_malformed_batches_are_refused_whole(server: Server) -> None:
    token = make_token(server.data_dir, "batch-careless", "--rate", "1000", "--concurrency", "2000")
    one = {"url": "http://127.0.0.1:9/f.xml"}
    with server.client(token) as client:
        cases = [
            (client.post(f"{API}/batches", content=b"{", headers={"Content-Type": "application/json"}), 422),
            (client.post(f"{API}/batches", json=[one]), 422),
            (client.post(f"{API}/batches", json={"audits": one}), 422),
            (client.post(f"{API}/batches", json={"audits": [one], "shop": "x"}), 422),
            (client.post(f"{API}/batches", json={"audits": []}), 422),
            (client.post(f"{API}/batches", json={"audits": [one] * (MAX_BATCH + 1)}), 422),
            (client.post(f"{API}/batches", content=b"<x/>", headers={"Content-Type": "application/xml"}), 415),
            (client.get(f"{API}/batches/{'0' * 32}"), 404),
            (client.get(f"{API}/batches/{'0' * 32}/report/jsonl"), 404),
        ]
        for answer, expected in cases:
            assert answer.status_code == expected, answer.text
            assert answer.json()["detail"]
        assert f"at most {MAX_BATCH} in a batch" in cases[5][0].json()["detail"]
        assert client.get(f"{API}/audits").json()["audits"] == []
    with server.client() as anonymous:
        assert anonymous.post(f"{API}/batches", json={"audits": [one]}).status_code == 401


def test_a_batch_over_the_tokens_concurrency_is_refused_whole(server: Server) -> None:
    token = make_token(server.data_dir, "batch-busy", "--concurrency", "2")
    with server.client(token) as client:
        items = [{"url": f"http://127.0.0.1:9/f{n}.xml"} for n in range(3)]
        answer = client.post(f"{API}/batches", json={"audits": items})
        assert answer.status_code == 429, answer.text
        assert int(answer.headers["Retry-After"]) >= 1
        assert "may have 2 more audits queued or running (of 2) and the batch has 3" in answer.json()["detail"]
        assert client.get(f"{API}/audits").json()["audits"] == []


def test_a_batch_larger_than_the_room_in_the_queue_is_refused_whole(tmp_path: Path) -> None:
    data_dir = tmp_path / "service"
    with running(data_dir, "--queue-limit", "3", "--allow-private", "127.0.0.0/8") as small:
        admin = make_token(data_dir, "batch-queue", "--admin", "--concurrency", "100")
        with small.client(admin) as client:
            items = [{"url": f"http://127.0.0.1:9/f{n}.xml", "shop": f"s{n}"} for n in range(4)]
            answer = client.post(f"{API}/batches", json={"audits": items})
            assert answer.status_code == 503, answer.text
            assert int(answer.headers["Retry-After"]) >= 1
            assert "room for 3 more audits (of 3) and the batch has 4" in answer.json()["detail"]
            assert "nothing was queued" in answer.json()["detail"]
            assert client.get(f"{API}/audits").json()["audits"] == []
            assert client.get(f"{API}/health").json()["queued"] == 0
    assert _rows(data_dir, "SELECT count(*) FROM service_batches") == [(0,)]


def test_the_batch_report_waits_for_every_audit(server: Server) -> None:
    token = make_token(server.data_dir, "batch-waiting")
    with held_feed(V1) as slow, server.client(token) as client:
        answer = client.post(f"{API}/batches", json={"audits": [{"url": slow.url(), "select": ["PH"]}]})
        batch_id = answer.json()["id"]
        assert slow.first_request.wait(30)
        early = client.get(f"{API}/batches/{batch_id}/report/jsonl")
        assert early.status_code == 409
        assert early.json()["detail"] == "1 audits of the batch are queued or running"
        waited = client.get(f"{API}/batches/{batch_id}", params={"wait": 0.2}).json()
        assert waited["finished"] is False
        assert waited["counts"]["running"] == 1
        slow.release.set()
        report = client.get(f"{API}/batches/{batch_id}/report/jsonl", params={"wait": 30})
        assert report.status_code == 200, report.text
        assert [json.loads(line)["code"] for line in report.text.splitlines()] == ["PH002"]


def test_a_multipart_batch_of_files(server: Server, fixture_feed: Path) -> None:
    admin = make_token(server.data_dir, "batch-files", "--admin")
    uploads = server.data_dir / "uploads"
    before = sorted(uploads.glob("*"))
    feed = fixture_feed.read_bytes()
    items = [
        {"file": "prom.xml", "shop": "files-a"},
        {"file": "small.xml", "shop": "files-b", "select": ["PH"]},
        {"file": "prom.xml", "shop": "files-b", "select": ["PH"]},
        {"file": "missing.xml", "shop": "files-b"},
        {"url": "ftp://example.com/f.xml", "shop": "files-b"},
        {"shop": "files-b"},
    ]
    files = [("feed", ("prom.xml", feed, "application/xml")), ("feed", ("small.xml", _feed(2), "application/xml"))]
    with server.client(admin) as client:
        answer = client.post(f"{API}/batches", data={"audits": json.dumps({"audits": items})}, files=files)
        assert answer.status_code == 202, answer.text
        submitted = answer.json()
        assert (submitted["accepted"], submitted["refused"]) == (3, 3)
        errors = [item["error"] for item in submitted["items"]]
        assert errors[:3] == [None, None, None]
        assert errors[3] == {
            "status": 422,
            "detail": "file: no file 'missing.xml' in this request (send it as a part named feed)",
        }
        assert errors[4]["detail"].startswith("url: only http")
        assert "give either url or file" in errors[5]["detail"]
        batch = _finished(client, submitted["id"])
        assert [(a["kind"], a["feed"], a["shop"]) for a in batch["audits"]] == [
            ("upload", "prom.xml", "files-a"),
            ("upload", "small.xml", "files-b"),
            ("upload", "prom.xml", "files-b"),
        ]
        first, second, third = batch["audits"]
        assert first["summary"]["findings"] == 9
        assert second["summary"]["by_code"] == {"PH002": 2}
        alone = client.get(f"{API}/audits/{third['id']}/report/jsonl").text.splitlines()
        lines = client.get(f"{API}/batches/{submitted['id']}/report/jsonl").text.splitlines()
        assert len(lines) == 9 + 2 + len(alone)
        assert [json.loads(line)["source"] for line in lines][-len(alone) :] == ["prom.xml"] * len(alone)
        # the whole batch is refused: files no item names, two files of one name, JSON without its field
        cases = [
            client.post(f"{API}/batches", data={"audits": json.dumps({"audits": items[:1]})}, files=files),
            client.post(
                f"{API}/batches",
                data={"audits": json.dumps({"audits": items[:1]})},
                files=[files[0], ("feed", ("prom.xml", b"<x/>", "application/xml"))],
            ),
            client.post(f"{API}/batches", files=files),
            client.post(f"{API}/batches", json={"audits": items[:1]}),
            client.post(
                f"{API}/batches",
                data={"audits": json.dumps({"audits": [*items[:2], {"file": ["prom.xml"]}]})},
                files=files,
            ),
        ]
        assert [c.status_code for c in cases] == [422, 422, 422, 202, 202]
        assert [i["error"] is None for i in cases[4].json()["items"]] == [True, True, False]
        _finished(client, cases[4].json()["id"])
        assert cases[0].json()["detail"] == "feed: no item names the file 'small.xml'"
        assert cases[3].json()["items"][0]["error"]["detail"].startswith("file: no file 'prom.xml'")
        too_big = client.post(
            f"{API}/batches",
            data={"audits": json.dumps({"audits": [{"file": "big.xml"}]})},
            files=[("feed", ("big.xml", b"x" * (UPLOAD_CAP + 70000 + 16 * 1024**2), "application/xml"))],
        )
        assert too_big.status_code == 413
    # every stored file was dropped once its audit finished
    assert sorted(uploads.glob("*")) == before


def test_a_refused_batch_of_files_leaves_no_file(tmp_path: Path, fixture_feed: Path) -> None:
    data_dir = tmp_path / "service"
    with running(data_dir, "--queue-limit", "1") as small:
        admin = make_token(data_dir, "batch-full", "--admin")
        with small.client(admin) as client:
            items = [{"file": "prom.xml", "shop": "a"}, {"file": "prom.xml", "shop": "b"}]
            answer = client.post(
                f"{API}/batches",
                data={"audits": json.dumps({"audits": items})},
                files=[("feed", ("prom.xml", fixture_feed.read_bytes(), "application/xml"))],
            )
            assert answer.status_code == 503, answer.text
    assert sorted((data_dir / "uploads").glob("*")) == []


def test_the_openapi_document_describes_batches(server: Server) -> None:
    with server.client() as client:
        paths = client.get(f"{API}/openapi.json").json()["paths"]
    assert {"/api/v1/batches", "/api/v1/batches/{batch_id}", "/api/v1/batches/{batch_id}/report/jsonl"} <= set(paths)
    body = paths["/api/v1/batches"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["audits"]["maxItems"] == MAX_BATCH
    assert set(paths["/api/v1/batches"]["post"]["responses"]) >= {"202", "422", "429", "503"}


def test_a_long_batch_is_listed_whole_and_in_order(server: Server, three_feeds: Any) -> None:
    admin = make_token(server.data_dir, "batch-long", "--admin", "--concurrency", "100")
    items = [{"url": three_feeds.url("/a1.xml"), "shop": f"long-{n:02d}", "select": ["PH"]} for n in range(60)]
    with server.client(admin) as client:
        submitted = client.post(f"{API}/batches", json={"audits": items}).json()
        assert submitted["accepted"] == 60
        batch = _finished(client, submitted["id"])
        assert [a["shop"] for a in batch["audits"]] == [f"long-{n:02d}" for n in range(60)]
        assert batch["counts"]["done"] == 60
        lines = client.get(f"{API}/batches/{submitted['id']}/report/jsonl").text.splitlines()
        assert [json.loads(line)["shop"] for line in lines] == [f"long-{n:02d}" for n in range(60)]
    assert len(three_feeds.requests) == 60
