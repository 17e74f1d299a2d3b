"""The completion webhook: a JSON POST signed with HMAC-SHA256 over `timestamp + "." + body`.

Headers: `X-Feedaudit-Timestamp` (Unix seconds) and `X-Feedaudit-Signature: sha256=<hex>`, where the
key is the `webhook_secret` given with the submission. A receiver recomputes the signature, compares
it in constant time, and rejects old timestamps (replays). The URL passes the address guard first.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import httpx

from feedaudit._version import __version__
from feedaudit.listings.guard import Network
from feedaudit.service.addresses import refusal

TIMESTAMP_HEADER = "X-Feedaudit-Timestamp"
SIGNATURE_HEADER = "X-Feedaudit-Signature"
TRIES = 3
TIMEOUT = 10.0


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signed: str, *, max_age: float = 300.0) -> bool:
    """What a receiver does: the signature matches and the timestamp is recent."""
    try:
        fresh = abs(time.time() - int(timestamp)) <= max_age
    except ValueError:
        return False
    return fresh and hmac.compare_digest(signature(secret, timestamp, body), signed)


def deliver(url: str, secret: str, payload: dict[str, Any], allow: bool | tuple[Network, ...]) -> bool:
    """POST the payload; True once the receiver answered 2xx (tried up to 3 times)."""
    if refusal(url, allow) is not None:
        return False
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    with httpx.Client(timeout=TIMEOUT, follow_redirects=False) as client:
        for attempt in range(TRIES):
            timestamp = str(int(time.time()))
            headers = {
                "Content-Type": "application/json",
                "User-Agent": f"feedaudit/{__version__}",
                TIMESTAMP_HEADER: timestamp,
                SIGNATURE_HEADER: signature(secret, timestamp, body),
            }
            try:
                if client.post(url, content=body, headers=headers).is_success:
                    return True
            except httpx.HTTPError:
                pass
            if attempt < TRIES - 1:
                time.sleep(2**attempt)
    return False
