"""Marketplace profiles: how severe each fault is for one marketplace, as data (`data/profiles.toml`).

A profile maps rule codes to a severity or to "off". The profile of a run is the one named with
`--profile`, or else the one whose `flavours` / `dialects` list the feed's detected flavour / dialect.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from importlib import resources
from typing import Any

from feedaudit.model import FeedInfo, Severity

OFF = "off"


@functools.cache
def _data() -> dict[str, dict[str, Any]]:
    text = resources.files("feedaudit").joinpath("data/profiles.toml").read_text("utf-8")
    return tomllib.loads(text)


def names() -> list[str]:
    return sorted(_data())


def severities(profile: str) -> Mapping[str, Severity | None]:
    """Code -> severity (None = off) for one profile."""
    entries = _data()[profile].get("rules", {})
    return {code: None if value == OFF else Severity(value) for code, value in entries.items()}


def requirement(profile: str, code: str) -> str | None:
    """The marketplace requirement a profile entry comes from, when recorded."""
    value = _data()[profile].get("requires", {}).get(code)
    return value if isinstance(value, str) else None


def default_for(feed: FeedInfo) -> str | None:
    """The profile matching a feed's flavour (preferred) or dialect."""
    data = _data()
    if feed.flavour:
        for name, profile in data.items():
            if feed.flavour in profile.get("flavours", []):
                return name
    if feed.dialect is not None:
        for name, profile in data.items():
            if feed.dialect.value in profile.get("dialects", []):
                return name
    return None
