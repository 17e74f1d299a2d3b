"""One `feedaudit check` run: engine over the feeds, findings to a reporter, the exit code decided.

Kept apart from `cli.py` so the command line stays a thin layer of option parsing, and so the same
run can be driven from Python or from the nightly and many-feeds modes.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from feedaudit.config import Settings
from feedaudit.engine import Engine
from feedaudit.model import FeedInfo, Finding, Listing
from feedaudit.report import REPORTERS, FeedSummary, Reporter, Summary

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2


def run_check(
    engine: Engine,
    sources: Sequence[str],
    reporter: Reporter,
    *,
    on_finding: Callable[[Finding], None] | None = None,
) -> Summary:
    """Audit every source, feeding each finding to the reporter; return the run's summary."""
    summary = Summary()
    for spec in sources:
        feed = FeedInfo(source="<stdin>" if spec == "-" else spec)
        for finding in engine.audit_feed(spec, feed):
            summary.count(finding)
            reporter.add(finding)
            if on_finding is not None:
                on_finding(finding)
        summary.feeds.append(FeedSummary.of(feed))
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


def make_reporter(name: str, out: TextIO, *, statistics: bool = False) -> Reporter:
    return REPORTERS[name](out, statistics=statistics)


@contextmanager
def atomic_output(path: Path) -> Iterator[TextIO]:
    """Write a report file atomically: a temporary file beside it, renamed into place at the end."""
    directory = path.parent if str(path.parent) else Path(".")
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            yield out
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
