"""What every output format shares: the run summary and the reporter interface.

A reporter gets findings one by one (`add`) and the summary at the end (`finish`). Streaming formats
write each finding as it arrives; the others keep them (in memory, sorted at the end), each text field
capped (`feedaudit.report.safe.bounded`), so a feed of huge values cannot make the kept list huge.
"""

from __future__ import annotations

import functools
import io
import os
import stat
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TextIO

from feedaudit.model import FeedInfo, Finding, Severity
from feedaudit.report.safe import bounded, maybe_capped


@dataclass(slots=True)
class FeedSummary:
    source: str
    dialect: str | None
    flavour: str | None
    flavour_signals: list[str]
    shop_name: str | None
    offers: int
    bytes_read: int
    by_code: dict[str, int] = field(default_factory=dict)  # findings of this feed per rule code
    feed_date: str | None = None  # when the feed says it was generated
    shop_url: str | None = None

    @classmethod
    def of(cls, feed: FeedInfo, by_code: Counter[str] | None = None) -> FeedSummary:
        return cls(
            source=feed.source,
            dialect=feed.dialect.value if feed.dialect else None,
            flavour=feed.flavour,
            flavour_signals=list(feed.flavour_signals),
            shop_name=maybe_capped(feed.shop.name),
            offers=feed.offers,
            bytes_read=feed.bytes_read,
            by_code=dict(sorted((by_code or Counter()).items())),
            feed_date=feed.shop.feed_date,
            shop_url=feed.shop.url,
        )

    @property
    def findings(self) -> int:
        return sum(self.by_code.values())


@dataclass(slots=True)
class Summary:
    """Counts of a run, kept while findings stream past."""

    feeds: list[FeedSummary] = field(default_factory=list)
    by_code: Counter[str] = field(default_factory=Counter)
    names: dict[str, str] = field(default_factory=dict)
    by_severity: Counter[str] = field(default_factory=Counter)
    started: float = field(default_factory=time.monotonic)
    elapsed: float = 0.0
    baseline_suppressed: int = 0  # findings left out because the baseline lists them
    pages: int = 0  # live pages audited on their own (`feedaudit listing`)

    def count(self, finding: Finding) -> None:
        self.by_code[finding.code] += 1
        self.names[finding.code] = finding.name
        self.by_severity[finding.severity.value] += 1

    def add_feed(self, feed: FeedSummary) -> None:
        self.feeds.append(feed)

    def feeds_with(self, code: str) -> int:
        """In how many feeds rule `code` found something."""
        return sum(1 for feed in self.feeds if feed.by_code.get(code))

    @property
    def total(self) -> int:
        return sum(self.by_code.values())

    @property
    def offers(self) -> int:
        return sum(feed.offers for feed in self.feeds)

    def at_least(self, severity: Severity) -> int:
        return sum(n for sev, n in self.by_severity.items() if Severity(sev).at_least(severity))

    def statistics(self) -> list[tuple[int, str, str]]:
        """(count, code, name), most frequent first, like `ruff --statistics`."""
        return sorted(
            ((n, code, self.names[code]) for code, n in self.by_code.items()),
            key=lambda row: (-row[0], row[1]),
        )


class Reporter:
    """Base reporter: subclasses override `add` and/or `finish`."""

    name = ""  # the --output-format name
    media_type = "text/plain; charset=utf-8"  # what the service answers with for this format
    extension = "txt"  # of a report file of this format
    streaming = False
    has_statistics = False  # whether the format has its own form of `--statistics`

    def __init__(
        self, out: TextIO, *, statistics: bool = False, verbose: bool = False, docs_url: str | None = None
    ) -> None:
        self.out = out
        self.statistics = statistics
        self.verbose = verbose  # text formats add each finding's technical detail (a parser's own words)
        self.docs_url = docs_url  # where docs/rules.md is published; None: reports carry no rule links
        self.findings: list[Finding] = []

    def rule_url(self, code: str) -> str | None:
        """The link to rule `code`'s documentation, or None when no docs URL is configured."""
        if not self.docs_url:
            return None
        from feedaudit.rules import registered_rules  # noqa: PLC0415 - the catalogue only when links are made

        rule = registered_rules().get(code)
        return rule.url(self.docs_url) if rule is not None else None

    @functools.cached_property
    def live(self) -> bool:
        """Whether someone may be reading the output as it is written (a terminal or a pipe, not a file):
        streaming formats then flush each finding."""
        try:
            return not stat.S_ISREG(os.fstat(self.out.fileno()).st_mode)
        except (OSError, ValueError, io.UnsupportedOperation):
            return True

    def add(self, finding: Finding) -> None:
        self.findings.append(bounded(finding))

    def finish(self, summary: Summary) -> None:
        raise NotImplementedError

    def sorted_findings(self) -> list[Finding]:
        return sorted(self.findings, key=lambda f: f.sort_key)
