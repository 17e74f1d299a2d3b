"""Recording finished audits: their findings into the shared findings history (for the delta against the
shop's previous audit of the feed) and their results into the store, exactly once.

The history is one database with one writer at a time, so recording is what many small audits queue
for. The runner thread that finds nobody recording records its audit itself (no hand-off to another
thread); audits that arrive meanwhile wait, and it then records all of them as one history run (one
transaction, one commit: a group commit), until none is left, and splits the run's delta per feed
(`RunDelta.for_source`). Their audit rows
are finished inside that history transaction, and only if every attempt still holds its lease; if one
does not, the group is rolled back and its audits are recorded one by one, so the audit whose lease is
lost is recorded nowhere and runs again.

In the history a feed is known as "shop/name", so two shops' feeds of the same name are two feeds; the
delta is kept in the names the shop knows.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from feedaudit.errors import HistoryError
from feedaudit.history.delta import RunDelta
from feedaudit.history.store import HistoryStore
from feedaudit.report.json import finding_record
from feedaudit.service.results import pack_findings, summarize
from feedaudit.service.store import Audit, JobStore, Result
from feedaudit.service.work import Outcome

log = logging.getLogger("feedaudit.service")
MAX_GROUP = 64


class LeaseLostError(Exception):
    """An audit of the group no longer holds its lease."""


@dataclass(slots=True)
class _Pending:
    audit: Audit
    outcome: Outcome
    started: datetime
    done: Future[bool] = field(default_factory=Future)

    @property
    def keyed_source(self) -> str:
        return f"{self.audit.shop}/{self.audit.name}"


class Recorder:
    def __init__(self, store: JobStore, open_history: Callable[[], HistoryStore]) -> None:
        self.store = store
        self._open_history = open_history
        self._lock = threading.Lock()
        self._waiting: list[_Pending] = []  # in arrival order
        self._recording = False  # a thread is recording (it records whatever waits before it stops)

    def record(self, audit: Audit, outcome: Outcome) -> bool:
        """Record a finished audit (waits for it); False when its attempt had lost the lease."""
        return self.record_many([(audit, outcome)])[0].result()

    def record_many(self, finished: list[tuple[Audit, Outcome]]) -> list[Future[bool]]:
        """Record finished audits (waits for all of them): for each, a done future of True, of False when
        its attempt had lost the lease, or of the exception that kept it from being recorded."""
        now = datetime.now(UTC)
        pending = [_Pending(audit, outcome, now) for audit, outcome in finished]
        with self._lock:
            self._waiting += pending
            lead = not self._recording
            self._recording = True
        if lead:
            self._lead()
        for item in pending:
            item.done.exception()  # waits
        return [item.done for item in pending]

    def stop(self) -> None:
        """Nothing to stop: audits are recorded by the threads that hand them in."""

    def _lead(self) -> None:
        """Record groups of waiting audits until none waits."""
        try:
            while True:
                with self._lock:
                    group = self._next_group()
                    if not group:
                        self._recording = False
                        return
                self._record_group(group)
        except BaseException:
            with self._lock:
                self._recording = False
            raise

    def _next_group(self) -> list[_Pending]:
        """Up to MAX_GROUP waiting audits, of different feeds (the same feed twice: its second audit
        waits for the next group, so that it compares with the first); taken off the waiting list."""
        group: list[_Pending] = []
        held: list[_Pending] = []
        sources: set[str] = set()
        for item in self._waiting:
            if len(group) < MAX_GROUP and item.keyed_source not in sources:
                group.append(item)
                sources.add(item.keyed_source)
            else:
                held.append(item)
        self._waiting = held
        return group

    def _record_group(self, group: list[_Pending]) -> None:
        try:
            self._write(group)
        except LeaseLostError:
            if len(group) == 1:
                group[0].done.set_result(False)
                return
            for item in group:
                self._record_group([item])
            return
        except Exception as exc:
            for item in group:
                if not item.done.done():
                    item.done.set_exception(exc)
            return
        for item in group:
            item.done.set_result(True)

    def _write(self, group: list[_Pending]) -> None:
        prepared = []
        keyed_findings = []
        for item in group:
            keyed = item.keyed_source
            findings = item.outcome.findings
            tag = _shop_tag(keyed)
            keyed_findings += [replace(f, source=keyed, fingerprint=f"{f.fingerprint}@{tag}") for f in findings]
            result = Result(
                item.audit.id,
                item.audit.attempt,
                summarize(item.outcome.feed, findings, item.outcome.elapsed),
                pack_findings(findings),
                None,
                item.audit.webhook_url is not None,
            )
            prepared.append((item, result))

        def finish(delta: RunDelta | None) -> None:
            for item, result in prepared:
                if delta is not None:
                    result.delta = _delta_record(delta.for_source(item.keyed_source), item.audit.name)
            if not self.store.finish([result for _item, result in prepared]):
                raise LeaseLostError

        try:
            history = self._open_history()
            history.record_run(
                keyed_findings,
                sources=[item.keyed_source for item in group],
                offers=sum(item.outcome.feed.offers for item in group),
                started=min(item.started for item in group),
                before_commit=finish,
            )
        except HistoryError as exc:
            log.warning("feedaudit serve: audits recorded without their delta: %s", exc)
            finish(None)


def open_history(url: str, data_dir: Path, file_name: str) -> HistoryStore:
    """The findings history of every shop: in the service database when that is a server (PostgreSQL),
    else in a SQLite file beside it (SQLite allows one writer per file, and the audit rows are written
    while the history's transaction is open), in WAL mode with `synchronous = NORMAL` as the service
    database is (a power cut may lose the last commits, never corrupt the file)."""
    if not url.startswith("sqlite"):
        return HistoryStore.open(url, keep_connections=True)
    path = data_dir / file_name
    if not path.exists():
        with contextlib.closing(sqlite3.connect(path)) as database:
            database.execute("PRAGMA journal_mode = WAL")  # kept by the file
    return HistoryStore.open(
        path,
        keep_connections=True,
        on_connect=lambda connection: connection.execute("PRAGMA synchronous = NORMAL"),
    )


def _delta_record(delta: RunDelta, name: str) -> dict[str, Any]:
    """The delta as the audit keeps it: fingerprints of its new findings, the resolved ones in full."""
    return {
        "run": delta.run_id,
        "new": [_as_shown(f.fingerprint) for f in delta.new],
        "resolved": [
            finding_record(replace(f, source=name, fingerprint=_as_shown(f.fingerprint))) for f in delta.resolved
        ],
        "still_open": len(delta.still_open),
        "carried_over": len(delta.carried_over),
    }


def _shop_tag(keyed_source: str) -> str:
    """What follows a finding's fingerprint in the shared history: the one its report shows (as the command
    line prints it for a feed of that name), then `@` and this tag of the shop's feed, so two shops never
    share one."""
    return hashlib.sha256(keyed_source.encode("utf-8")).hexdigest()[:16]


def _as_shown(in_shop: str) -> str:
    """The fingerprint a report shows for a finding of the shared history."""
    return in_shop.partition("@")[0]
