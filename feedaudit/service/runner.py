"""Runs queued audits: claims them from the store, audits them in a process pool (or on a Dask
cluster), renews their lease meanwhile, and records each result once.

`slots` threads each loop: claim the oldest queued audit, hand it to the pool, wait, renewing the
lease every third of it, then record the result. Recording goes through the findings history
(`feedaudit.history`, where a feed is known as "shop/name") so the audit gets its new and resolved
findings against the shop's previous audit of the same feed; the audit row is finished
inside the history's transaction, and only if this attempt still holds the lease, so a runner that
lost it records nothing anywhere. Idle threads put audits with expired leases back in the queue and
send webhooks that a stopped runner left unsent.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import socket
import sqlite3
import sys
import threading
import uuid
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from feedaudit.config import override
from feedaudit.errors import HistoryError
from feedaudit.history.delta import RunDelta
from feedaudit.history.store import HistoryStore
from feedaudit.model import fingerprint
from feedaudit.report.json import finding_record
from feedaudit.service.models import audit_view
from feedaudit.service.results import pack_findings, summarize
from feedaudit.service.settings import ServiceSettings
from feedaudit.service.store import Audit, JobStore, StoreError
from feedaudit.service.webhook import deliver
from feedaudit.service.work import Job, Outcome, run_job, warm_up

log = logging.getLogger("feedaudit.service")
IDLE_POLL = 1.0
HISTORY_FILE = "history.sqlite"


class LeaseLostError(Exception):
    """This attempt no longer holds the audit: another runner has it, or will."""


class Runner:
    def __init__(self, settings: ServiceSettings, store: JobStore) -> None:
        self.settings = settings
        self.store = store
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.wake = threading.Event()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._history: HistoryStore | None = None
        self._history_lock = threading.Lock()
        self._pool_lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._client: Any = None
        # twice as many audits in flight as there are workers, so that one audit's bookkeeping (claim,
        # history, result) overlaps another's audit in the pool
        self.slots = 2 * max(1, settings.workers)

    # -- life cycle -------------------------------------------------------------------------------

    def start(self) -> None:
        if self.settings.scheduler is not None:
            from distributed import Client  # noqa: PLC0415 - the Dask extra, only with --scheduler

            from feedaudit.cluster import CONNECT_TIMEOUT  # noqa: PLC0415

            connect: Any = Client
            self._client = connect(self.settings.scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False)
        else:
            self._pool = self._new_pool()
            # start every worker now (the first audits would otherwise wait for them), each with the rules loaded
            for started in [self._pool.submit(warm_up) for _ in range(max(1, self.settings.workers))]:
                started.result()
        self.store.requeue_expired()
        for index in range(self.slots):
            thread = threading.Thread(target=self._loop, name=f"feedaudit-runner-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stopping.set()
        self.wake.set()
        for thread in self._threads:
            thread.join(timeout=5)
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        if self._client is not None:
            self._client.close()
        if self._history is not None:
            self._history.close()

    def _new_pool(self) -> ProcessPoolExecutor:
        if sys.platform == "win32":
            context = multiprocessing.get_context("spawn")
        else:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["feedaudit.service.work"])
        return ProcessPoolExecutor(max_workers=max(1, self.settings.workers), mp_context=context)

    # -- the loop ---------------------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                audit = self.store.claim(self.owner, self.settings.lease_seconds)
                if audit is None:
                    self._housekeeping()
                    self.wake.wait(IDLE_POLL)
                    self.wake.clear()
                    continue
                self._run(audit)
            except StoreError as exc:
                log.warning("feedaudit serve: %s", exc)
                self._stopping.wait(IDLE_POLL)

    def _housekeeping(self) -> None:
        self.store.requeue_expired()
        while (pending := self.store.claim_webhook()) is not None:
            self._send_webhook(pending)

    def _job(self, audit: Audit) -> Job:
        options = audit.options
        inventory = options.get("inventory")
        settings = override(
            self.settings.audit,
            select=options.get("select"),
            ignore=options.get("ignore"),
            profile=options.get("profile"),
        )
        if inventory is not None:
            source = self.settings.inventories[inventory]
            settings = override(settings, inventory=settings.inventory.model_copy(update={"source": source}))
        progress_database = self.store_url if self._client is None or not self.store_url.startswith("sqlite") else None
        return Job(
            audit.id,
            audit.attempt,
            audit.source,
            audit.name,
            settings.model_dump_json(),
            self.settings.allow_private,
            progress_database,
        )

    @property
    def store_url(self) -> str:
        return self.settings.database_url

    def _submit(self, job: Job) -> Future[Outcome] | Any:
        if self._client is not None:
            return self._client.submit(run_job, job, pure=False)
        with self._pool_lock:
            assert self._pool is not None
            return self._pool.submit(run_job, job)

    def _run(self, audit: Audit) -> None:
        started = datetime.now(UTC)
        try:
            job = self._job(audit)
        except Exception as exc:  # a bad option, caught only now: the audit fails, the service goes on
            self._fail(audit, f"cannot start the audit: {exc}")
            return
        future = self._submit(job)
        renew_every = max(self.settings.lease_seconds / 3, 0.05)
        while True:
            try:
                outcome: Outcome = future.result(timeout=renew_every)
                break
            except TimeoutError:
                if not self.store.renew(audit.id, audit.attempt, self.settings.lease_seconds):
                    future.cancel()
                    return
            except BrokenProcessPool:
                with self._pool_lock:
                    self._pool = self._new_pool()
                self._fail(audit, "the audit's worker process ended unexpectedly")
                return
            except Exception as exc:
                first = str(exc).splitlines()[0] if str(exc) else ""
                self._fail(audit, f"internal error: {exc.__class__.__name__}: {first}")
                return
        if outcome.error is not None:
            self._fail(audit, outcome.error)
            return
        self._record(audit, outcome, started)
        self._webhook_for(audit)

    def _fail(self, audit: Audit, error: str) -> None:
        self.store.fail(audit.id, audit.attempt, error, webhook=audit.webhook_url is not None)
        self._webhook_for(audit)

    def _record(self, audit: Audit, outcome: Outcome, started: datetime) -> None:
        findings = outcome.findings
        summary = summarize(outcome.feed, findings, outcome.elapsed)
        blob = pack_findings(findings)
        webhook = audit.webhook_url is not None
        # In the history, which all shops share, a feed is known as "shop/name", so that two shops' feeds
        # of the same name are two feeds; the delta is told in the names the shop knows.
        keyed_source = f"{audit.shop}/{audit.name}"
        keyed = [replace(f, source=keyed_source, fingerprint="") for f in findings]
        shown = {fingerprint(keyed_source, f.offer_id, f.code, f.field): f.fingerprint for f in findings}

        def finish(delta: RunDelta | None) -> None:
            record = None if delta is None else _delta_record(delta, audit.name, shown)
            if not self.store.finish(
                audit.id, audit.attempt, summary=summary, findings=blob, delta=record, webhook=webhook
            ):
                raise LeaseLostError

        try:
            history = self._open_history()
            with self._history_lock:  # one writer at a time: SQLite's own lock would make the others sleep and retry
                history.record_run(
                    keyed, sources=[keyed_source], offers=outcome.feed.offers, started=started, before_commit=finish
                )
        except LeaseLostError:
            return
        except HistoryError as exc:
            log.warning("feedaudit serve: audit %s recorded without its delta: %s", audit.id, exc)
            try:
                finish(None)
            except LeaseLostError:
                return

    def _open_history(self) -> HistoryStore:
        """The findings history of every shop: in the service database when that is a server (PostgreSQL),
        else in `history.sqlite` beside it (SQLite allows one writer per file, and the audit row is
        written while the history's transaction is open)."""
        with self._history_lock:
            if self._history is None:
                url = self.settings.database_url
                if url.startswith("sqlite"):
                    path = self.settings.data_dir / HISTORY_FILE
                    self._history = HistoryStore.open(_write_ahead_logged(path))
                else:
                    self._history = HistoryStore.open(url)
            return self._history

    def _webhook_for(self, audit: Audit) -> None:
        if audit.webhook_url is None:
            return
        claimed = self.store.claim_webhook(audit.id)
        if claimed is not None:
            self._send_webhook(claimed)

    def _send_webhook(self, audit: Audit) -> None:
        if audit.webhook_url is None or audit.webhook_secret is None:
            self.store.webhook_done(audit.id, sent=False)
            return
        payload = {"event": f"audit.{audit.status}", "audit": audit_view(audit).model_dump(mode="json")}
        sent = deliver(audit.webhook_url, audit.webhook_secret, payload, self.settings.allow_private)
        self.store.webhook_done(audit.id, sent=sent)


def _write_ahead_logged(path: Path) -> Path:
    """Create a shop's history file in WAL mode (which the file keeps): a commit then costs one sync of the
    log instead of the rollback journal's several."""
    if not path.exists():
        with contextlib.closing(sqlite3.connect(path)) as database:
            database.execute("PRAGMA journal_mode = WAL")
    return path


def _delta_record(delta: RunDelta, name: str, shown: dict[str, str]) -> dict[str, Any]:
    """The delta as the audit keeps it: fingerprints of its new findings, the resolved ones in full."""
    resolved = [
        replace(f, source=name, fingerprint=fingerprint(name, f.offer_id, f.code, f.field)) for f in delta.resolved
    ]
    return {
        "run": delta.run_id,
        "new": [shown[f.fingerprint] for f in delta.new],
        "resolved": [finding_record(f) for f in resolved],
        "still_open": len(delta.still_open),
        "carried_over": len(delta.carried_over),
    }
