"""The completion webhook: delivered once to a loopback receiver, signed with HMAC-SHA256 over the
timestamp and the body, and checked here the way a receiver would, without feedaudit's code."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from pathlib import Path

from feedaudit.service.webhook import signature, verify
from tests.service.receivers import webhook_receiver
from tests.service.server import Server, make_token, wait_done

SECRET = "shop-webhook-secret-0123456789"


def test_webhook_on_completion_is_signed(server: Server, fixture_feed: Path) -> None:
    token = make_token(server.data_dir, "hook-shop")
    with webhook_receiver() as hooks, server.client(token) as client:
        answer = client.post(
            "/api/v1/audits",
            files={"feed": ("prom.xml", fixture_feed.read_bytes())},
            data={"webhook_url": hooks.url(), "webhook_secret": SECRET},
        )
        assert answer.status_code == 202, answer.text
        audit_id = answer.json()["id"]
        assert wait_done(client, audit_id)["status"] == "done"
        (delivery,) = hooks.wait_for(1)
    timestamp = delivery.headers["X-Feedaudit-Timestamp"]
    signed = delivery.headers["X-Feedaudit-Signature"]
    expected = hmac.new(SECRET.encode(), timestamp.encode() + b"." + delivery.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(signed, "sha256=" + expected)
    assert abs(time.time() - int(timestamp)) < 600
    assert verify(SECRET, timestamp, delivery.body, signed)
    assert not verify("another-secret-of-16+", timestamp, delivery.body, signed)
    assert not verify(SECRET, timestamp, delivery.body.replace(b"done", b"fail"), signed)
    assert not verify(
        SECRET, str(int(timestamp) - 3600), delivery.body, signature(SECRET, str(int(timestamp) - 3600), delivery.body)
    )
    payload = json.loads(delivery.body)
    assert payload["event"] == "audit.done"
    assert payload["audit"]["id"] == audit_id
    assert payload["audit"]["summary"]["findings"] == 9
    assert delivery.headers["Content-Type"] == "application/json"
