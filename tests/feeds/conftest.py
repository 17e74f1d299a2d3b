"""Helpers for reader tests: read a feed into offers, issues and the feed facts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from feedaudit.feeds import ReadOptions, read_feed
from feedaudit.feeds.source import SourceOptions
from feedaudit.model import FeedInfo, FeedIssue, Offer


@dataclass
class Read:
    offers: list[Offer]
    issues: list[FeedIssue]
    feed: FeedInfo

    def offer(self, offer_id: str) -> Offer:
        matching = [o for o in self.offers if o.offer_id == offer_id]
        assert len(matching) == 1, f"{len(matching)} offers with id {offer_id!r}"
        return matching[0]


YML_HEAD = (
    '<yml_catalog date="2026-11-20 10:00"><shop><name>Shop</name>'
    '<categories><category id="1">Category</category></categories><offers>\n'
)
YML_TAIL = "\n</offers></shop></yml_catalog>\n"


def yml(offers: str, head: str = YML_HEAD) -> str:
    """A YML feed whose offers start on line 2 (line 1 holds the shop header)."""
    return head + offers.strip("\n") + YML_TAIL


def read(spec: str | Path, *, max_bytes: int | None = None, marketplace: str | None = None) -> Read:
    source = SourceOptions() if max_bytes is None else SourceOptions(max_bytes=max_bytes)
    feed = FeedInfo(source=str(spec))
    items = list(read_feed(str(spec), feed, ReadOptions(source=source, marketplace=marketplace)))
    return Read(
        [i for i in items if isinstance(i, Offer)],
        [i for i in items if isinstance(i, FeedIssue)],
        feed,
    )


@pytest.fixture
def feeds_dir(fixtures_dir: Path) -> Path:
    return fixtures_dir / "feeds"


@pytest.fixture
def write_feed(tmp_path: Path) -> Callable[..., Path]:
    def write(text: str, name: str = "feed.xml", encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        return path

    return write
