"""One `feedaudit check` run: engine over the feeds, findings to a reporter, the exit code decided.

Kept apart from `cli.py` so the command line stays a thin layer of option parsing, and so the same
run can be driven from Python or from the nightly and many-feeds modes.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TextIO

from feedaudit.baseline import Baseline, BaselineWriter
from feedaudit.cluster import audit_on_cluster
from feedaudit.config import Settings
from feedaudit.engine import Engine
from feedaudit.errors import EXIT_CLEAN, EXIT_FINDINGS
from feedaudit.fleet import FeedProgress, audit_feeds
from feedaudit.model import Finding, Listing
from feedaudit.report import REPORTERS, FeedSummary, Reporter, Summary


def run_check(
    engine: Engine,
    sources: Sequence[str],
    reporter: Reporter,
    *,
    on_finding: Callable[[Finding], None] | None = None,
    baseline: Baseline | None = None,
    record: BaselineWriter | None = None,
    jobs: int = 1,
    feed_progress: FeedProgress | None = None,
    scheduler: str | None = None,
) -> Summary:
    """Audit every source, feeding each finding to the reporter; return the run's summary.

    `record` sees every finding (to write a new baseline); findings the `baseline` lists are then left
    out of the report and only counted. With `jobs` above 1 the feeds are audited in a process pool,
    with `scheduler` on a Dask cluster (see `feedaudit.fleet`); findings still arrive in the order of
    `sources`.
    """
    summary = Summary()
    results = (
        audit_feeds(engine, sources, jobs=jobs, progress=feed_progress)
        if scheduler is None
        else audit_on_cluster(engine.settings, sources, scheduler, progress=feed_progress)
    )
    for feed, findings in results:
        by_code: Counter[str] = Counter()
        for finding in findings:
            if record is not None:
                record.add(finding)
            if baseline is not None and finding in baseline:
                summary.baseline_suppressed += 1
                continue
            by_code[finding.code] += 1
            summary.count(finding)
            reporter.add(finding)
            if on_finding is not None:
                on_finding(finding)
        summary.add_feed(FeedSummary.of(feed, by_code))
    summary.elapsed = time.monotonic() - summary.started
    reporter.finish(summary)
    return summary


def run_listings(
    engine: Engine,
    listings: Iterable[Listing],
    reporter: Reporter,
    *,
    on_finding: Callable[[Finding], None] | None = None,
) -> Summary:
    """Audit live pages on their own (no feed), feeding each finding to the reporter."""
    summary = Summary()

    def counted() -> Iterator[Listing]:
        for listing in listings:
            summary.pages += 1
            yield listing

    for finding in engine.audit_listings(counted()):
        summary.count(finding)
        reporter.add(finding)
        if on_finding is not None:
            on_finding(finding)
    summary.elapsed = time.monotonic() - summary.started
    reporter.finish(summary)
    return summary


def exit_code(summary: Summary, settings: Settings, *, exit_zero: bool = False) -> int:
    if exit_zero:
        return EXIT_CLEAN
    return EXIT_FINDINGS if summary.at_least(settings.fail_on) else EXIT_CLEAN


def make_reporter(name: str, out: TextIO, *, statistics: bool = False, docs_url: str | None = None) -> Reporter:
    """The reporter for `--output-format`; `--statistics` in a format without a form of its own is text."""
    cls = REPORTERS[name]
    if statistics and not cls.has_statistics:
        cls = REPORTERS["concise"]
    return cls(out, statistics=statistics, docs_url=docs_url)
