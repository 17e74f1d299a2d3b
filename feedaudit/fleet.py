"""Many feeds at once (marketplace mode): the feed list, and auditing feeds in a pool of processes.

`read_feed_list` reads `--feeds-from FILE` (one feed per line; blank lines and `#` comments skipped).
`audit_feeds` yields `(feed facts, findings)` per feed, in the order the feeds were given, whatever
order the workers finish in. Each worker audits one whole feed and sends back that feed's findings as
one batch, and at most `2 × jobs` feeds are in flight, so memory is bounded by a few feeds' findings,
not by the size of the fleet; at most `feeds-per-host` of them are fetched from one host at a time.
With one job (or one feed) everything runs in this process and findings stream out as they are found.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Protocol, TypeVar
from urllib.parse import urlsplit

from feedaudit.collaborators import build_collaborators
from feedaudit.config import Settings
from feedaudit.engine import Engine
from feedaudit.errors import ConfigError
from feedaudit.feeds.source import is_url
from feedaudit.model import FeedInfo, Finding
from feedaudit.ruleset import RuleSet

FeedProgress = Callable[[int, int], None]  # (feeds done, feeds in all)
T_co = TypeVar("T_co", covariant=True)


def read_feed_list(path: Path | str) -> list[str]:
    """The feeds listed in a file (`-` for stdin): one per line, `#` starts a comment line."""
    try:
        text = sys.stdin.read() if str(path) == "-" else Path(path).read_text("utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the feed list {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"the feed list {path} is not UTF-8 text: {exc}") from exc
    feeds = []
    for line in text.splitlines():
        entry = line.strip()
        if entry and not entry.startswith("#"):
            feeds.append(entry)
    return feeds


def resolve_jobs(jobs: int | None) -> int:
    """`--jobs 0` means one per CPU core."""
    if jobs is None:
        return 1
    if jobs <= 0:
        return os.cpu_count() or 1
    return jobs


def in_pool(sources: Sequence[str], jobs: int) -> bool:
    """Whether `audit_feeds` audits in a pool of processes (else in this one, with this engine)."""
    return jobs > 1 and len(sources) > 1


def audit_feeds(
    engine: Engine,
    sources: Sequence[str],
    *,
    jobs: int = 1,
    progress: FeedProgress | None = None,
) -> Iterator[tuple[FeedInfo, Iterable[Finding]]]:
    """Each feed's facts and findings, in the order of `sources`.

    In this process the findings are a lazy stream and the facts fill in while it is consumed (the
    engine reports byte progress itself); in a pool they arrive as one list per feed, with the facts
    complete, and `progress` hears of each finished feed. (`feedaudit.cluster` does the same on a
    Dask cluster.)
    """
    if not in_pool(sources, jobs):
        for spec in sources:
            feed = FeedInfo(source="<stdin>" if spec == "-" else spec)
            yield feed, engine.audit_feed(spec, feed)
        return
    if "-" in sources:
        raise ConfigError("'-' (standard input) cannot be audited with --jobs above 1")
    yield from _pooled(engine.settings, sources, jobs, progress)


class _Future(Protocol[T_co]):
    """What concurrent.futures and Dask futures both offer."""

    def result(self) -> T_co: ...

    def cancel(self) -> object: ...


FeedResult = tuple[FeedInfo, list[Finding]]


def in_order(
    submit: Callable[[str], _Future[FeedResult]],
    sources: Sequence[str],
    window: int,
    progress: FeedProgress | None = None,
    per_host: int | None = None,
) -> Iterator[FeedResult]:
    """Results of `submit(spec)` in the order of `sources`, with at most `window` feeds started and not
    yet yielded (so at most `window` feeds' findings are held).

    With `per_host`, at most that many of them are URLs on one host: a marketplace's list often has many
    feeds on one shop's or one platform's server, and the feeds after them (on other hosts, within the
    next `4 × window`) start in their place. The first feed not yet yielded always runs, so the run
    always moves on; it is never held back by the limit, as the feeds of its host that are running are
    all earlier in the list than any other of that host.
    """
    window = max(window, 1)
    hosts = [host_of(spec) for spec in sources]
    started: dict[int, _Future[FeedResult]] = {}
    busy: Counter[str] = Counter()
    head = 0  # the first feed not yet yielded

    def start(index: int) -> None:
        started[index] = submit(sources[index])
        if hosts[index]:
            busy[hosts[index]] += 1

    def fill() -> None:
        if head < len(sources) and head not in started:
            start(head)
        for index in range(head + 1, min(len(sources), head + 4 * window)):
            if len(started) >= window:
                return
            host = hosts[index]
            if index in started or (per_host is not None and host and busy[host] >= per_host):
                continue
            start(index)

    try:
        while head < len(sources):
            fill()
            feed, findings = started.pop(head).result()
            if hosts[head]:
                busy[hosts[head]] -= 1
            head += 1
            if progress is not None:
                progress(head, len(sources))
            yield feed, findings
    finally:
        for future in started.values():
            future.cancel()


def host_of(spec: str) -> str:
    """The host a feed is fetched from ('' for files and standard input)."""
    if not is_url(spec):
        return ""
    try:
        return (urlsplit(spec).hostname or "").casefold()
    except ValueError:
        return ""


def _pooled(
    settings: Settings, sources: Sequence[str], jobs: int, progress: FeedProgress | None
) -> Iterator[FeedResult]:
    context = multiprocessing.get_context("forkserver" if sys.platform != "win32" else "spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_start, initargs=(settings,)) as pool:
        yield from in_order(
            lambda spec: pool.submit(_audit_one, spec), sources, 2 * jobs, progress, settings.feeds_per_host
        )


_WORKER_ENGINE: Engine | None = None


def engine_for(settings: Settings) -> Engine:
    """The engine a worker process (of the pool, or of a Dask cluster) audits with: the run's rules and
    the collaborators its settings ask for, built by the same factory as in the reporting process."""
    rules = RuleSet(settings)
    return Engine(settings, rules=rules, collaborators=build_collaborators(settings, rules))


def _start(settings: Settings) -> None:
    """Pool initializer: one engine per worker process, built once."""
    global _WORKER_ENGINE  # noqa: PLW0603 - per-process state of a pool worker
    _WORKER_ENGINE = engine_for(settings)


def _audit_one(spec: str) -> FeedResult:
    if _WORKER_ENGINE is None:
        raise RuntimeError("a many-feeds worker ran before its initializer built its engine")
    return audit_one(_WORKER_ENGINE, spec)


def audit_one(engine: Engine, spec: str) -> FeedResult:
    """One whole feed: its facts and all its findings (what a worker sends back). An unexpected error
    is an FD999 finding of the feed (see `feedaudit.unit`), never an exception."""
    feed = FeedInfo(source=spec)
    findings = list(engine.audit_feed(spec, feed))
    return feed, findings


__all__ = [
    "FeedProgress",
    "FeedResult",
    "audit_feeds",
    "audit_one",
    "engine_for",
    "host_of",
    "in_order",
    "in_pool",
    "read_feed_list",
    "resolve_jobs",
]
