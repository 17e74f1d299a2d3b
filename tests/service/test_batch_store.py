"""Batches in the job store itself, on SQLite and on a real PostgreSQL server (the pgserver wheel)."""

from __future__ import annotations

import shutil
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from feedaudit.service.store import (
    BatchQueueFullError,
    BatchTooManyActiveError,
    JobStore,
    NewAudit,
    Result,
)


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """Skipped when no PostgreSQL server can be started (data directory outside pytest's, as in
    tests/nightly/conftest.py: pgserver run as root opens its parents to the server's user)."""
    pgserver = pytest.importorskip("pgserver")
    pytest.importorskip("psycopg")
    data = Path(tempfile.mkdtemp(prefix="feedaudit-test-pg-"))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
            try:
                server = pgserver.get_server(data, cleanup_mode="stop")
            except Exception as exc:
                pytest.skip(f"no PostgreSQL server could be started: {exc}")
        try:
            yield str(server.get_uri())
        finally:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                server.cleanup()
    finally:
        shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[JobStore]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'service.sqlite'}"
    else:
        url = request.getfixturevalue("postgres_url")
    opened = JobStore.open(url)
    try:
        yield opened
    finally:
        if request.param == "postgresql":
            from feedaudit.service.store import metadata

            with opened._write() as conn:
                for table in reversed(metadata.sorted_tables):
                    conn.execute(table.delete())
        opened.close()


def _audits(token: str, count: int) -> list[NewAudit]:
    return [NewAudit(f"shop-{n % 2}", token, "url", f"http://feeds.example/{n}.xml", f"{n}.xml") for n in range(count)]


def _submit(store: JobStore, new: list[NewAudit], *, batch_id: str = "b" * 32, **limits: int) -> object:
    return store.submit_batch(
        new,
        batch_id=batch_id,
        shop="market",
        token_id="tok",
        admin=limits.get("admin", 0) == 1,
        size=len(new) + 1,
        refused=[{"index": len(new), "shop": None, "error": {"status": 422, "detail": "bad"}}],
        max_active=limits.get("max_active", 100),
        queue_limit=limits.get("queue_limit", 100),
    )


def test_a_batch_is_queued_in_order_and_claimed_in_order(store: JobStore) -> None:
    new = _audits("tok", 5)
    _submit(store, new)
    batch = store.batch("b" * 32)
    assert batch is not None
    assert batch.audit_ids == [audit.id for audit in new]
    assert (batch.shop, batch.size, batch.refused[0]["error"]["status"]) == ("market", 6, 422)
    assert store.batch("b" * 32, "market") is not None
    assert store.batch("b" * 32, "shop-0") is None
    _submit(store, [], batch_id="c" * 32, admin=1)  # an admin token's: not for a shop's token of its shop
    assert store.batch("c" * 32, "market") is None
    assert store.batch("c" * 32) is not None
    assert [audit.id for audit in store.batch_audits("b" * 32)] == batch.audit_ids
    claimed = [store.claim("runner", 30) for _ in range(5)]
    assert [audit.id for audit in claimed if audit is not None] == batch.audit_ids
    assert store.claim("runner", 30) is None
    assert store.batch_statuses("b" * 32) == [(audit_id, "running") for audit_id in batch.audit_ids]
    first = claimed[0]
    assert first is not None
    summary = {"feed": {}, "findings": 0, "by_severity": {}, "elapsed_seconds": 0.0}
    assert store.finish([Result(first.id, first.attempt, summary, b"packed", None, webhook=False)])
    assert store.batch_findings("b" * 32, 0, 5) == [(first.id, first.shop, b"packed")]
    assert store.batch_findings("b" * 32, 1, 5) == []


def test_a_batch_that_does_not_fit_is_not_queued_at_all(store: JobStore) -> None:
    _submit(store, _audits("tok", 2), batch_id="a" * 32)
    with pytest.raises(BatchQueueFullError) as full:
        _submit(store, _audits("tok", 4), queue_limit=5)
    assert (full.value.room, full.value.asked) == (3, 4)
    with pytest.raises(BatchTooManyActiveError) as busy:
        _submit(store, _audits("tok", 3), max_active=4)
    assert (busy.value.room, busy.value.asked) == (2, 3)
    assert store.batch("b" * 32) is None
    assert store.queued_count() == 2
    _submit(store, _audits("tok", 3), queue_limit=5, max_active=5)
    assert store.queued_count() == 5


def test_several_audits_are_claimed_in_one_go_up_to_the_runners_share(store: JobStore) -> None:
    new = _audits("tok", 10)
    _submit(store, new)
    first = store.claim_many("runner-a", 30, most=8, share=4)  # a quarter of 10, rounded up
    assert [audit.id for audit in first] == [audit.id for audit in new[:3]]
    assert all((audit.status, audit.attempt, audit.started_at is not None) == ("running", 1, True) for audit in first)
    assert [audit.id for audit in store.claim_many("runner-b", 30, most=2)] == [audit.id for audit in new[3:5]]
    rest = store.claim_many("runner-a", 30, most=8, share=1)
    assert [audit.id for audit in rest] == [audit.id for audit in new[5:]]
    assert store.claim_many("runner-a", 30, most=8, share=4) == []
    assert store.batch_statuses("b" * 32) == [(audit.id, "running") for audit in new]
    got = store.get(new[0].id)
    assert got is not None
    assert (got.status, got.attempt) == ("running", 1)


def test_leases_of_several_audits_are_renewed_in_one_go_only_where_still_held(store: JobStore) -> None:
    new = _audits("tok", 3)
    _submit(store, new)
    claimed = store.claim_many("runner", 0, most=3)  # leases that have run out already
    assert len(claimed) == 3
    assert store.requeue_expired() == 3
    again = store.claim_many("other", 30, most=2)
    assert [(audit.id, audit.attempt) for audit in again] == [(audit.id, 2) for audit in new[:2]]
    attempts = [(audit.id, audit.attempt) for audit in claimed]  # the first attempts: two lost their lease
    assert store.renew_many(attempts, 30) == set()  # the third is queued again, not running
    last = store.claim_many("runner", 30)
    assert store.renew_many([*attempts, (last[0].id, last[0].attempt)], 30) == {new[2].id}
    assert store.renew_many([(audit.id, audit.attempt) for audit in again], 30) == {new[0].id, new[1].id}


def test_claimers_in_parallel_never_take_one_audit_twice(store: JobStore) -> None:
    import threading

    new = _audits("tok", 60)
    _submit(store, new)
    others = [JobStore.open(store._writer.url.render_as_string(hide_password=False))]  # as another process would
    stores = [store, *others, store]
    taken: list[list[str]] = [[] for _ in stores]

    def claim(index: int) -> None:
        while claimed := stores[index].claim_many(f"runner-{index}", 30, most=4, share=3):
            taken[index] += [audit.id for audit in claimed]

    threads = [threading.Thread(target=claim, args=(index,)) for index in range(len(stores))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for other in others:
        other.close()
    everything = [audit_id for ids in taken for audit_id in ids]
    assert sorted(everything) == sorted(audit.id for audit in new)
    assert all(sorted(ids, key=[a.id for a in new].index) == ids for ids in taken)  # each in queue order
