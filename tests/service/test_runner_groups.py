"""Audits claimed, audited and recorded several at a time: one audit's fault or lost lease stays its own."""

from __future__ import annotations

from pathlib import Path

from feedaudit.config import Settings
from feedaudit.history.store import HistoryStore
from feedaudit.service.recorder import Recorder
from feedaudit.service.store import JobStore, NewAudit
from feedaudit.service.work import Job, run_job, run_jobs


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
