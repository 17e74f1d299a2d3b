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
