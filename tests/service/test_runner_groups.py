"""Audits claimed, audited and recorded several at a time: one audit's fault or lost lease stays its own."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from feedaudit.config import Settings
from feedaudit.history.store import HistoryStore
from feedaudit.service import runner as runner_module
from feedaudit.service.recorder import Recorder, open_history
from feedaudit.service.runner import Runner
from feedaudit.service.settings import ServiceSettings
from feedaudit.service.store import JobStore, NewAudit
from feedaudit.service.work import Job, Outcome, run_job, run_jobs


def test_a_failing_audit_of_a_task_leaves_the_others_audited(fixture_feed: Path) -> None:
    config = Settings().model_dump_json()
    good = Job("a1", 1, str(fixture_feed), "prom.xml", config)
    broken = Job("a2", 1, str(fixture_feed), "prom.xml", "{not json")
    outcomes = run_jobs([good, broken, good])
    assert [outcome.error is None for outcome in outcomes] == [True, False, True]
    assert outcomes[1].error is not None
    assert outcomes[1].error.startswith("internal error: ValidationError: ")
    alone = run_job(good)
    assert [f.fingerprint for f in outcomes[0].findings] == [f.fingerprint for f in alone.findings]
    assert [f.fingerprint for f in outcomes[2].findings] == [f.fingerprint for f in alone.findings]
    assert outcomes[0].feed.offers == alone.feed.offers > 0


def test_audits_recorded_together_one_of_which_lost_its_lease(tmp_path: Path, fixture_feed: Path) -> None:
    store = JobStore.open(f"sqlite:///{tmp_path / 'service.sqlite'}")
    history = HistoryStore.open(tmp_path / "history.sqlite", keep_connections=True)
    try:
        for n in range(3):
            store.submit(
                NewAudit(f"shop-{n}", "tok", "upload", str(fixture_feed), "prom.xml"), max_active=9, queue_limit=9
            )
        claimed = store.claim_many("runner", 0, most=3)  # leases that have run out already
        assert len(claimed) == 3
        assert store.requeue_expired() == 3
        again = store.claim_many("other", 30)  # the first audit runs again elsewhere: this attempt lost it
        assert [audit.id for audit in again] == [claimed[0].id]
        back = store.claim_many("runner", 30, most=2)  # the two others: attempts that hold their leases
        assert sorted(audit.id for audit in back) == sorted(audit.id for audit in claimed[1:])
        outcome = run_job(Job("x", 1, str(fixture_feed), "prom.xml", Settings().model_dump_json()))
        assert outcome.findings
        recorder = Recorder(store, lambda: history)
        done = recorder.record_many([(claimed[0], outcome), *((audit, outcome) for audit in back)])
        assert [future.result() for future in done] == [False, True, True]
        statuses = {audit.id: store.get(audit.id) for audit in claimed}
        first = statuses[claimed[0].id]
        assert first is not None
        assert (first.status, first.attempt) == ("running", 2)
        for audit in back:
            recorded = statuses[audit.id]
            assert recorded is not None
            assert recorded.status == "done"
            assert recorded.delta is not None
            assert len(recorded.delta["new"]) == len(outcome.findings)
        runs = history.recent_runs()
        assert sorted(source for run in runs for source in run.sources) == sorted(
            f"{audit.shop}/prom.xml" for audit in back
        )
        # the group was refused as a whole, then recorded one by one: nothing of the lost attempt
        assert len(runs) == 2
    finally:
        history.close()
        store.close()


def _jobs_ending_their_worker_on_boom(jobs: list[Job]) -> list[Outcome]:
    """`run_jobs` of a worker process that ends on the feed named boom.xml (run in the pool's processes)."""
    if any(job.name == "boom.xml" for job in jobs):
        os._exit(1)
    return run_jobs(jobs)


def _job_ending_its_worker_on_boom(job: Job) -> Outcome:
    if job.name == "boom.xml":
        os._exit(1)
    return run_job(job)


def test_a_worker_that_ends_fails_only_the_audit_that_ended_it(
    tmp_path: Path, fixture_feed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner_module, "run_jobs", _jobs_ending_their_worker_on_boom)
    monkeypatch.setattr(runner_module, "run_job", _job_ending_its_worker_on_boom)
    settings = ServiceSettings(data_dir=tmp_path, workers=1)
    store = JobStore.open(settings.database_url)
    runner = Runner(settings, store)
    runner._pool = runner._new_pool()
    history = runner._history = open_history(settings.database_url, tmp_path, "history.sqlite")
    runner._recorder = Recorder(store, lambda: history)
    try:
        for name in ("a.xml", "boom.xml", "b.xml"):
            store.submit(NewAudit("shop", "tok", "url", str(fixture_feed), name), max_active=9, queue_limit=9)
        claimed = store.claim_many(runner.owner, 30, most=3)
        assert [audit.name for audit in claimed] == ["a.xml", "boom.xml", "b.xml"]
        runner._run_several(claimed)
        ended = {audit.name: store.get(audit.id) for audit in claimed}
        assert {name: audit.status for name, audit in ended.items() if audit is not None} == {
            "a.xml": "done",
            "boom.xml": "failed",
            "b.xml": "done",
        }
        boom = ended["boom.xml"]
        assert boom is not None
        assert boom.error == "the audit's worker process ended unexpectedly"
        assert [run.sources for run in history.recent_runs()] == [["shop/b.xml"], ["shop/a.xml"]]
    finally:
        runner.stop()
        store.close()
