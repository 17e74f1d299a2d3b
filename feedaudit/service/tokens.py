"""API tokens: made from the system's random source, shown once, kept only as their SHA-256."""

from __future__ import annotations

import hashlib
import secrets

PREFIX = "fa_"


def new_token() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
