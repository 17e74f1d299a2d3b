"""Helpers for the hostile-input tests: every case is generated here, at test time, and kept small."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from feedaudit.feeds import ReadLimits, ReadOptions, read_feed
from feedaudit.model import FeedInfo, FeedIssue, FeedIssueKind, Offer


@dataclass
class Read:
    offers: list[Offer]
    issues: list[FeedIssue]
    feed: FeedInfo

    def of_kind(self, kind: FeedIssueKind) -> list[FeedIssue]:
        return [issue for issue in self.issues if issue.kind is kind]


def read(path: Path, limits: ReadLimits | None = None) -> Read:
    feed = FeedInfo(source=str(path))
    items = list(read_feed(str(path), feed, ReadOptions(limits=limits or ReadLimits())))
    return Read(
        [i for i in items if isinstance(i, Offer)],
        [i for i in items if isinstance(i, FeedIssue)],
        feed,
    )


def yml(offers: str, head: str = "") -> bytes:
    """A YML feed: `head` goes before the root element, the offers start on line 3."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{head}\n<yml_catalog><shop><name>Shop</name><offers>\n'
        f"{offers}\n</offers></shop></yml_catalog>\n"
    ).encode()
