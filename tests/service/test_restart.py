"""Jobs survive the server: SIGKILL mid-audit, start again, and the audit completes exactly once; and
the bounded queue and per-token concurrency answer 503 and 429 while audits are held up."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

from tests.service.receivers import held_feed, webhook_receiver
from tests.service.server import Server, free_port, make_token, running, wait_done

API = "/api/v1"
SECRET = "a-webhook-secret-of-some-length"


def _feed(offers: int = 400) -> bytes:
    rows = "".join(
        f'<offer id="P{i}" available="true"><name>Item {i}</name><price>{100 + i}</price><currencyId>UAH</currencyId>'
        f"<categoryId>1</categoryId><vendor>V</vendor><description>d</description></offer>\n"
        for i in range(offers)
    )
    rows += '<offer id="P0" available="true"><name>Dup</name><price>0</price><currencyId>UAH</currencyId></offer>\n'
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<yml_catalog date="2026-01-01 00:00"><shop><name>S</name>'
        '<company>S</company><url>https://s.example/</url><currencies><currency id="UAH" rate="1"/></currencies>'
        f'<categories><category id="1">C</category></categories><offers>\n{rows}</offers></shop></yml_catalog>\n'
    ).encode()


def _rows(data_dir: Path, query: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(data_dir / "service.sqlite") as db:
        return list(db.execute(query))


def test_sigkill_mid_audit_then_restart_completes_it_once(tmp_path: Path) -> None:
    data_dir = tmp_path / "service"
    options = ["--allow-private", "127.0.0.0/8", "--lease-seconds", "1"]
    first = Server(data_dir, free_port(), options)
    second = Server(data_dir, free_port(), options)
    with held_feed(_feed()) as feed, webhook_receiver() as hooks:
        try:
            first.start()
            token = make_token(data_dir, "crash-shop")
            with first.client(token) as client:
                answer = client.post(
                    f"{API}/audits",
                    json={
                        "url": feed.url(),
                        "select": ["ID", "PH"],
                        "webhook_url": hooks.url(),
                        "webhook_secret": SECRET,
                    },
                )
                assert answer.status_code == 202, answer.text
                audit_id = answer.json()["id"]
            assert feed.first_request.wait(60), first.log
            assert _rows(data_dir, f"SELECT status, attempt FROM service_audits WHERE id = '{audit_id}'") == [
                ("running", 1)
            ]
            first.kill()  # mid-audit: the feed is half downloaded
            second.start()
            with second.client(token) as client:
                status = wait_done(client, audit_id)
                feed.release.set()  # the first attempt's orphaned worker may now finish: it must record nothing
                assert status["status"] == "done", status
                assert status["summary"]["by_code"] == {"ID002": 1, "PH002": 1}
                listed = client.get(f"{API}/audits").json()["audits"]
                report = client.get(f"{API}/audits/{audit_id}/report/jsonl").text
            assert [a["id"] for a in listed] == [audit_id]
            assert len(report.splitlines()) == 2
            assert feed.requests == ["/slow.xml", "/slow.xml"]
            assert len(hooks.wait_for(1)) >= 1
        finally:
            second.stop()
            first.stop()
    assert _rows(data_dir, "SELECT status, attempt, webhook_state FROM service_audits") == [("done", 2, "sent")]
    with sqlite3.connect(data_dir / "history.sqlite") as history:
        assert list(history.execute("SELECT sources, findings, new FROM runs")) == [
            (json.dumps([f"crash-shop/{feed.url()}"]), 2, 2)
        ]
    assert len(hooks.deliveries) == 1


def test_full_queue_answers_503_and_busy_token_429(tmp_path: Path) -> None:
    with (
        held_feed(_feed(2000)) as feed,
        running(tmp_path / "service", "--allow-private", "127.0.0.0/8", "--queue-limit", "1") as server,
    ):
        one_at_a_time = make_token(server.data_dir, "small-shop", "--concurrency", "1")
        other = make_token(server.data_dir, "other-shop")
        with server.client(one_at_a_time) as client:
            running_audit = client.post(f"{API}/audits", json={"url": feed.url()}).json()["id"]
            assert feed.first_request.wait(60), server.log
            for _ in range(600):  # the reader reports the bytes it has read while the download goes on
                progress = client.get(f"{API}/audits/{running_audit}").json()["progress"]
                if progress["bytes_read"]:
                    break
                time.sleep(0.05)
            assert progress["bytes_total"] == len(feed.body)
            assert 0 < progress["bytes_read"] < len(feed.body)
            assert 0 < progress["fraction"] < 1
            busy = client.post(f"{API}/audits", json={"url": feed.url()})
            assert busy.status_code == 429, busy.text
            assert busy.headers["Retry-After"] == "5"
            assert "already has 1 audits queued or running" in busy.json()["detail"]
        with server.client(other) as client:
            # a runner has two audits in flight per worker: the second waits for the pool, claimed
            claimed = client.post(f"{API}/audits", json={"url": feed.url("/other.xml")}).json()["id"]
            for _ in range(600):
                if client.get(f"{API}/audits/{claimed}").json()["status"] == "running":
                    break
                time.sleep(0.05)
            queued = client.post(f"{API}/audits", json={"url": feed.url("/third.xml")})
            assert queued.status_code == 202
            assert queued.json()["status"] == "queued"
            full = client.post(f"{API}/audits", json={"url": feed.url("/fourth.xml")})
            assert full.status_code == 503, full.text
            assert full.headers["Retry-After"] == "30"
            assert "the queue is full" in full.json()["detail"]
            feed.release.set()
            assert wait_done(client, queued.json()["id"])["status"] == "done"
        with server.client(one_at_a_time) as client:
            assert wait_done(client, running_audit)["status"] == "done"
            assert client.post(f"{API}/audits", json={"url": feed.url()}).status_code == 202
