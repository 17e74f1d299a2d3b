"""One `feedaudit check` run: engine over the feeds, findings to a reporter, the exit code decided.

Kept apart from `cli.py` so the command line stays a thin layer of option parsing, and so the same
run can be driven from Python or from the nightly and many-feeds modes.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TextIO

from feedaudit.baseline import Baseline, BaselineWriter
from feedaudit.cluster import audit_on_cluster
from feedaudit.config import Settings
from feedaudit.engine import Engine
from feedaudit.errors import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS
from feedaudit.fleet import FeedProgress, audit_feeds
from feedaudit.model import FeedInfo, Finding, Listing
from feedaudit.report import REPORTERS, FeedSummary, Reporter, Summary
from feedaudit.unit import FAILURE_CODE, is_failure


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
    errors: TextIO | None = None,
    verbose: bool = False,
) -> Summary:
    """Audit every source, feeding each finding to the reporter; return the run's summary.

    `record` sees every finding (to write a new baseline); findings the `baseline` lists are then left
    out of the report and only counted, except FD999 (feedaudit itself failed), which is always
    reported, and also told on `errors` (standard error by default), with the traceback when
    `verbose`. With `jobs` above 1 the feeds are audited in a process pool, with `scheduler` on a Dask
    cluster (see `feedaudit.fleet`); findings still arrive in the order of `sources`.
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
            if baseline is not None and finding in baseline and not is_failure(finding):
                summary.baseline_suppressed += 1
                continue
            by_code[finding.code] += 1
            summary.count(finding)
            reporter.add(finding)
            if on_finding is not None:
                on_finding(finding)
        summary.add_feed(FeedSummary.of(feed, by_code))
        if feed.failures:
            tell_failures(feed, sys.stderr if errors is None else errors, verbose=verbose)
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


def tell_failures(feed: FeedInfo, errors: TextIO, *, verbose: bool) -> None:
    """One line on `errors` per feed feedaudit could not finish (the FD999 findings say where), and
    with `verbose` the tracebacks."""
    count = len(feed.failures)
    hint = "" if verbose else " (run with --verbose for the traceback)"
    errors.write(f"feedaudit: internal error: {count} FD999 finding{'s' * (count != 1)} for {feed.source}{hint}\n")
    if verbose:
        for text in feed.failures:
            errors.write(text)
    errors.flush()


def exit_code(summary: Summary, settings: Settings, *, exit_zero: bool = False) -> int:
    """2 when feedaudit itself failed on a feed (FD999); else 1 for findings at or above `fail-on`, else 0."""
    if summary.by_code.get(FAILURE_CODE):
        return EXIT_ERROR
    if exit_zero:
        return EXIT_CLEAN
    return EXIT_FINDINGS if summary.at_least(settings.fail_on) else EXIT_CLEAN


def make_reporter(
    name: str, out: TextIO, *, statistics: bool = False, verbose: bool = False, docs_url: str | None = None
) -> Reporter:
    """The reporter for `--output-format`; `--statistics` in a format without a form of its own is text.

    `verbose` makes the text formats show each finding's technical detail under it."""
    cls = REPORTERS[name]
    if statistics and not cls.has_statistics:
        cls = REPORTERS["concise"]
    return cls(out, statistics=statistics, verbose=verbose, docs_url=docs_url)
