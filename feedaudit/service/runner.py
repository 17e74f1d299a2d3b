"""Runs queued audits: claims them from the store, audits them in a process pool (or on a Dask
cluster), renews their lease meanwhile, and records each result once.

`slots` threads each loop: claim the oldest queued audit, hand it to the pool, wait, renewing the
lease every third of it, then hand the result to the recorder (`recorder`), which writes it to the
findings history and the store once, and only while this attempt holds the lease. Idle threads put
audits with expired leases back in the queue and send webhooks that a stopped runner left unsent.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import socket
import sys
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from feedaudit.config import override
from feedaudit.errors import FeedauditError
from feedaudit.history.store import HistoryStore
from feedaudit.service.models import audit_view
from feedaudit.service.recorder import Recorder, open_history
from feedaudit.service.settings import ServiceSettings
from feedaudit.service.store import Audit, JobStore, StoreError
from feedaudit.service.webhook import deliver
from feedaudit.service.work import Job, Outcome, internal_error, run_job, run_jobs, warm_up

log = logging.getLogger("feedaudit.service")
IDLE_POLL = 1.0
CONFIGS_KEPT = 64  # audit configurations kept built (by their options)
# audits a runner thread claims at once (in one transaction) while the queue is long, hands to a worker
# process as one task and records together: each of these steps costs the server about as much for
# several audits as for one. A runner takes at most its share of the queue, so short queues still
# spread over every worker.
MOST_CLAIMED = 8
HISTORY_FILE = "history.sqlite"


class Runner:
    def __init__(
        self, settings: ServiceSettings, store: JobStore, *, on_finished: Callable[[str], None] | None = None
    ) -> None:
        self.settings = settings
        self.store = store
        self._on_finished = on_finished  # told the id of every audit this runner finished (done or failed)
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.wake = threading.Event()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._history: HistoryStore | None = None
        self._recorder: Recorder | None = None
        self._pool_lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._client: Any = None
        # twice as many audits in flight as there are workers, so that one audit's bookkeeping (claim,
        # history, result) overlaps another's audit in the pool
        self.slots = 2 * max(1, settings.workers)
        self._configs: dict[str, str] = {}
        self._progress_database: str | None = None  # where audits write their progress (set by `start`)

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
        url = self.store_url
        # progress goes to the service database, but not from cluster workers to a local SQLite file
        self._progress_database = url if self._client is None or not url.startswith("sqlite") else None
        history = self._history = open_history(self.settings.database_url, self.settings.data_dir, HISTORY_FILE)
        self._recorder = Recorder(self.store, lambda: history)
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
        if self._recorder is not None:
            self._recorder.stop()
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
        # audits on a Dask cluster are its tasks one by one; a local pool's worker takes several at once
        most = 1 if self._client is not None else MOST_CLAIMED
        while not self._stopping.is_set():
            try:
                claimed = self.store.claim_many(self.owner, self.settings.lease_seconds, most, self.slots)
                if not claimed:
                    self._housekeeping()
                    self.wake.wait(IDLE_POLL)
                    self.wake.clear()
                    continue
                if len(claimed) == 1:
                    self._run(claimed[0])
                else:
                    self._run_several(claimed)
            except StoreError as exc:
                log.warning("feedaudit serve: %s", exc)
                self._stopping.wait(IDLE_POLL)
            except Exception:  # the audits stay claimed: their leases run out and they are queued again
                log.exception("feedaudit serve: internal error while running an audit")
                self._stopping.wait(IDLE_POLL)

    def _housekeeping(self) -> None:
        self.store.requeue_expired()
        while (pending := self.store.claim_webhook()) is not None:
            self._send_webhook(pending)

    def _job(self, audit: Audit) -> Job:
        return Job(
            audit.id,
            audit.attempt,
            audit.source,
            audit.name,
            self._config(audit.options),
            self.settings.allow_private,
            self._progress_database,
        )

    def _config(self, options: dict[str, Any]) -> str:
        """The audit's Settings as JSON: the service's base configuration with the audit's options. Built
        once per set of options (most audits share one), as building it costs more than the claim."""
        key = json.dumps(options, sort_keys=True)
        config = self._configs.get(key)
        if config is None:
            if len(self._configs) >= CONFIGS_KEPT:
                self._configs.clear()
            config = self._configs[key] = self._build_config(options)
        return config

    def _build_config(self, options: dict[str, Any]) -> str:
        inventory = options.get("inventory")
        settings = override(
            self.settings.audit,
            select=options.get("select"),
            ignore=options.get("ignore"),
            profile=options.get("profile"),
        )
        allowed = self.settings.allow_private  # the engine guards every feed redirect with the same networks
        private = allowed if isinstance(allowed, bool) else [str(network) for network in allowed]
        settings = override(settings, listings=settings.listings.model_copy(update={"allow_private": private}))
        if inventory is not None:
            source = self.settings.inventories[inventory]
            settings = override(settings, inventory=settings.inventory.model_copy(update={"source": source}))
        return settings.model_dump_json()

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
        try:
            job = self._job(audit)
        except Exception as exc:  # a bad option, caught only now: the audit fails, the service goes on
            self._fail(audit, f"cannot start the audit: {exc}")
            return
        pool = self._pool
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
                self._replace_pool(pool)
                self._fail(audit, "the audit's worker process ended unexpectedly")
                return
            except FeedauditError as exc:  # a configuration the audit cannot run with: an unusable inventory
                self._fail(audit, str(exc))
                return
            except Exception as exc:
                self._fail(audit, internal_error(exc))
                return
        if outcome.error is not None:
            self._fail(audit, outcome.error)
            return
        assert self._recorder is not None
        try:
            recorded = self._recorder.record(audit, outcome)
        except StoreError:
            raise  # the database is away: the lease runs out and the audit is queued again
        except Exception as exc:  # a fault in recording this audit: it fails, never left running
            log.exception("feedaudit serve: internal error while recording audit %s", audit.id)
            self._fail(audit, internal_error(exc))
            return
        if recorded:
            self._finished(audit)

    def _run_several(self, claimed: list[Audit]) -> None:
        """Audit several claimed audits as one task of the pool, then record them together."""
        jobs: list[Job] = []
        audits: list[Audit] = []
        for audit in claimed:
            try:
                jobs.append(self._job(audit))
                audits.append(audit)
            except Exception as exc:  # a bad option, caught only now: the audit fails, the others go on
                self._fail(audit, f"cannot start the audit: {exc}")
        if not audits:
            return
        with self._pool_lock:
            pool = self._pool
            assert pool is not None
            future = pool.submit(run_jobs, jobs)
        renew_every = max(self.settings.lease_seconds / 3, 0.05)
        held = {audit.id for audit in audits}
        while True:
            try:
                outcomes: list[Outcome] = future.result(timeout=renew_every)
                break
            except TimeoutError:
                # an audit whose lease is lost is recorded nowhere (its finish would be refused anyway)
                held = self.store.renew_many(
                    [(a.id, a.attempt) for a in audits if a.id in held], self.settings.lease_seconds
                )
                if not held:
                    future.cancel()
                    return
            except BrokenProcessPool:
                # a worker process ended: the audits of this task that did not bring it down must not fail
                # with it, and which one did is not known. Each runs again on its own (they still hold their
                # leases), so only an audit that ends its worker again fails.
                self._replace_pool(pool)
                for audit in audits:
                    if audit.id in held:
                        self._run(audit)
                return
            except Exception as exc:
                for audit in audits:
                    self._fail(audit, internal_error(exc))
                return
        finished = []
        for audit, outcome in zip(audits, outcomes, strict=True):
            if audit.id not in held:
                continue
            if outcome.error is not None:
                self._fail(audit, outcome.error)
            else:
                finished.append((audit, outcome))
        if finished:
            self._record(finished)

    def _replace_pool(self, broken: ProcessPoolExecutor | None) -> None:
        """A new pool for one whose worker process ended, unless another runner thread replaced it already."""
        with self._pool_lock:
            if self._pool is broken:
                self._pool = self._new_pool()

    def _record(self, finished: list[tuple[Audit, Outcome]]) -> None:
        """Record finished audits together, then tell each one's waiters; as `_run` does for one."""
        assert self._recorder is not None
        away: StoreError | None = None
        for (audit, _outcome), done in zip(finished, self._recorder.record_many(finished), strict=True):
            error = done.exception()
            if isinstance(error, StoreError):
                away = error  # the database is away: the leases run out and the audits are queued again
            elif error is not None:  # a fault in recording this audit: it fails, never left running
                log.error(
                    "feedaudit serve: internal error while recording audit %s",
                    audit.id,
                    exc_info=(type(error), error, error.__traceback__),
                )
                self._fail(audit, internal_error(error))
            elif done.result():
                self._finished(audit)
        if away is not None:
            raise away

    def _fail(self, audit: Audit, error: str) -> None:
        if self.store.fail(audit.id, audit.attempt, error, webhook=audit.webhook_url is not None):
            self._finished(audit)

    def _finished(self, audit: Audit) -> None:
        """After the audit's result is committed: wake its waiters, drop its upload, send its webhook."""
        if self._on_finished is not None:
            self._on_finished(audit.id)
        _drop_upload(audit)
        self._webhook_for(audit)

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


def _drop_upload(audit: Audit) -> None:
    """An uploaded feed is kept until its audit is finished (a restarted audit reads it again), not after."""
    if audit.kind == "upload":
        Path(audit.source).unlink(missing_ok=True)
