"""One audit as a worker runs it: in a process of the local pool or on a Dask worker.

`run_job` checks a feed URL's address again (a name may resolve elsewhere by now), audits the feed
with an engine built once per configuration and thread, and reports the bytes read to the service
database as it goes (at most twice a second, and only while its attempt still holds the lease).
It returns the feed's facts and findings; the runner that submitted it records them.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from feedaudit.config import Settings
from feedaudit.engine import Engine
from feedaudit.errors import FeedauditError
from feedaudit.feeds.source import is_url
from feedaudit.listings.guard import Network
from feedaudit.model import FeedInfo, Finding
from feedaudit.service.addresses import refusal
from feedaudit.service.store import attempt_update

PROGRESS_INTERVAL = 0.5


@dataclass(frozen=True, slots=True)
class Job:
    audit_id: str
    attempt: int
    source: str  # what is read: the URL or the stored upload
    name: str  # what the findings call the feed
    config: str  # the audit's Settings as JSON
    allow_private: bool | tuple[Network, ...] = False
    database: str | None = None  # where progress is written; None: no progress


@dataclass(slots=True)
class Outcome:
    feed: FeedInfo
    findings: list[Finding] = field(default_factory=list)
    elapsed: float = 0.0
    error: str | None = None


_local = threading.local()


def _engine(config: str) -> Engine:
    engines: dict[str, Engine] = _local.__dict__.setdefault("engines", {})
    engine = engines.get(config)
    if engine is None:
        if len(engines) > 32:
            engines.clear()
        engine = engines[config] = Engine(Settings.model_validate_json(config))
    return engine


def warm_up() -> None:
    """Load the rules in a fresh worker, before its first audit."""
    Engine()


def run_job(job: Job) -> Outcome:
    feed = FeedInfo(source=job.name)
    if is_url(job.source):
        refused = refusal(job.source, job.allow_private)
        if refused is not None:
            return Outcome(feed, error=refused)
    engine = _engine(job.config)
    engine.progress = _ProgressWriter(job) if job.database is not None else None
    started = time.monotonic()
    try:
        findings = list(engine.audit_feed(job.source, feed))
    finally:
        engine.progress = None
    return Outcome(feed, findings, time.monotonic() - started)


def run_jobs(jobs: list[Job]) -> list[Outcome]:
    """Several audits in turn, handed to a worker process at once (one round trip through the pool for
    all of them). An audit that raises ends as an outcome with the error its runner would have given it,
    and the next one runs."""
    outcomes = []
    for job in jobs:
        try:
            outcomes.append(run_job(job))
        except FeedauditError as exc:  # a configuration the audit cannot run with: an unusable inventory
            outcomes.append(Outcome(FeedInfo(source=job.name), error=str(exc)))
        except Exception as exc:
            outcomes.append(Outcome(FeedInfo(source=job.name), error=internal_error(exc)))
    return outcomes


def internal_error(exc: BaseException) -> str:
    """An audit's error for a fault of the service itself: the exception's kind and first line."""
    first = str(exc).splitlines()[0] if str(exc) else ""
    return f"internal error: {exc.__class__.__name__}: {first}"


_databases: dict[str, sa.Engine] = {}


class _ProgressWriter:
    """The engine's progress callback: bytes read so far, written to the audit's row."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.last = time.monotonic()  # a feed read in less than the interval costs no database write

    def __call__(self, _source: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        if now - self.last < PROGRESS_INTERVAL:
            return
        self.last = now
        url = self.job.database
        assert url is not None
        database = _databases.get(url)
        if database is None:
            database = _databases[url] = _progress_database(url)
        try:
            with database.begin() as conn:
                conn.execute(
                    attempt_update(self.job.audit_id, self.job.attempt).values(bytes_read=done, bytes_total=total)
                )
        except sa.exc.DBAPIError:
            pass  # progress is a courtesy: the audit goes on without it


def _progress_database(url: str) -> sa.Engine:
    parsed = sa.engine.make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    database = sa.create_engine(parsed, poolclass=sa.pool.NullPool)
    if database.dialect.name == "sqlite":

        @sa.event.listens_for(database, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.execute("PRAGMA busy_timeout = 2000")

    return database
