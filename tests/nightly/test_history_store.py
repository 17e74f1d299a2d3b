"""The history store: new / still open / resolved across runs, all-or-nothing updates, migrations, PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from feedaudit.engine import audit
from feedaudit.errors import HistoryError
from feedaudit.history.delta import RunDelta
from feedaudit.history.schema import MIGRATIONS, Migration, current_version
from feedaudit.history.settings import database_url, sqlite_path
from feedaudit.history.store import HistoryStore
from feedaudit.model import Finding, Severity, fingerprint
from tests.conftest import ROOT

SOURCE = "https://shop.example.ua/feed.xml"


def finding(offer_id: str | None, code: str = "ID002", *, source: str = SOURCE, line: int = 10) -> Finding:
    return Finding(
        code=code,
        name="duplicate-offer-id" if code == "ID002" else "some-rule",
        severity=Severity.ERROR if code.startswith(("ID", "FD")) else Severity.WARNING,
        message=f"offer id {offer_id!r} is used again",
        source=source,
        line=line,
        offer_id=offer_id,
        field="offer_id",
        fingerprint=fingerprint(source, offer_id, code, "offer_id"),
    )


def record(store: HistoryStore, *findings: Finding, sources: tuple[str, ...] = (SOURCE,)) -> RunDelta:
    return store.record_run(list(findings), sources=list(sources), offers=5, started=datetime.now(UTC))


def ids(findings: list[Finding]) -> list[str | None]:
    return sorted((f.offer_id for f in findings), key=str)


def test_new_still_open_and_resolved_across_three_runs(tmp_path: Path) -> None:
    with HistoryStore.open(tmp_path / "history.db") as store:
        first = record(store, finding("A"), finding("B"))
        assert (ids(first.new), ids(first.still_open), ids(first.resolved)) == (["A", "B"], [], [])
        assert first.changed

        # reformatted feed: lines move, fingerprints stay
        second = record(store, finding("B", line=99), finding("C"))
        assert (ids(second.new), ids(second.still_open), ids(second.resolved)) == (["C"], ["B"], ["A"])
        assert second.still_open[0].line == 99

        third = record(store, finding("B"), finding("C"))
        assert (ids(third.new), ids(third.still_open), ids(third.resolved)) == ([], ["B", "C"], [])
        assert not third.changed

        assert [f.offer_id for f in store.open_findings()] == ["B", "C"]
        runs = store.recent_runs()
    assert [(r.id, r.findings, r.new, r.still_open, r.resolved) for r in runs] == [
        (3, 2, 0, 2, 0),
        (2, 2, 1, 1, 1),
        (1, 2, 2, 0, 0),
    ]
    assert runs[0].sources == [SOURCE]
    assert runs[0].offers == 5
    assert runs[0].errors == 2


def test_a_resolved_finding_that_comes_back_is_new_again(tmp_path: Path) -> None:
    with HistoryStore.open(tmp_path / "history.db") as store:
        record(store, finding("A"))
        assert ids(record(store).resolved) == ["A"]
        again = record(store, finding("A"))
        assert ids(again.new) == ["A"]
        assert again.resolved == []


def test_resolved_findings_come_back_with_their_details(tmp_path: Path) -> None:
    with HistoryStore.open(tmp_path / "history.db") as store:
        original = finding("A", line=42)
        record(store, original)
        [resolved] = record(store).resolved
    assert resolved == original


def test_the_stored_finding_follows_the_feed(tmp_path: Path) -> None:
    """A finding seen again with new details (a moved line) is stored with them; last_seen_run follows."""
    database = tmp_path / "history.db"
    with HistoryStore.open(database) as store:
        record(store, finding("A", line=10), finding("B"))
        record(store, finding("A", line=99), finding("B"))
        record(store, finding(None, "FD001"), finding("A", line=99))  # B's feed was cut short: B not seen
        resolved = record(store, finding("B")).resolved
    assert sorted((f.code, f.offer_id, f.line) for f in resolved) == [("FD001", None, 10), ("ID002", "A", 99)]
    engine = sa.create_engine(database_url(database))
    with engine.connect() as conn:
        query = sa.text("SELECT offer_id, last_seen_run FROM findings WHERE code = 'ID002'")
        seen: dict[str, int] = {row[0]: row[1] for row in conn.execute(query)}
    engine.dispose()
    assert seen == {"A": 3, "B": 4}


def test_only_audited_feeds_can_resolve(tmp_path: Path) -> None:
    other = "other.xml"
    with HistoryStore.open(tmp_path / "history.db") as store:
        record(store, finding("A"), finding("X", source=other), sources=(SOURCE, other))
        delta = record(store, sources=(SOURCE,))
        assert ids(delta.resolved) == ["A"]
        assert [f.offer_id for f in store.open_findings()] == ["X"]


def test_a_feed_not_read_to_the_end_resolves_nothing(tmp_path: Path) -> None:
    with HistoryStore.open(tmp_path / "history.db") as store:
        record(store, finding("A"), finding("B"))
        unreadable = finding(None, "FD003")
        outage = record(store, unreadable)
        assert outage.resolved == []
        assert ids(outage.carried_over) == ["A", "B"]
        assert [f.code for f in outage.new] == ["FD003"]
        back = record(store, finding("B"))
        assert sorted((f.code, f.offer_id) for f in back.resolved) == [("FD003", None), ("ID002", "A")]


def test_findings_sharing_a_fingerprint_are_counted_not_merged(tmp_path: Path) -> None:
    # two identical faults (identical offers without an id) are two findings: one fixed is one resolved,
    # and a third one is new, never hidden behind the two already open
    with HistoryStore.open(tmp_path / "history.db") as store:
        first = record(store, finding(None, "ID001", line=3), finding(None, "ID001", line=9))
        assert (len(first.new), len(first.still_open)) == (2, 0)
        second = record(store, finding(None, "ID001", line=9))
        assert (len(second.new), len(second.still_open), len(second.resolved)) == (0, 1, 1)
        third = record(store, *(finding(None, "ID001", line=n) for n in (3, 9, 12)))
        assert (len(third.new), len(third.still_open), len(third.resolved)) == (2, 1, 0)
        assert len(store.open_findings()) == 3


def test_a_failing_write_leaves_the_previous_state(tmp_path: Path) -> None:
    with HistoryStore.open(tmp_path / "history.db") as store:
        record(store, finding("A"), finding("B"))

        def fail(delta: RunDelta) -> None:
            assert ids(delta.resolved) == ["A", "B"]  # the update was written, then it fails
            raise OSError("disk full")

        with pytest.raises(OSError, match="disk full"):
            store.record_run([finding("C")], sources=[SOURCE], started=datetime.now(UTC), before_commit=fail)
        assert [f.offer_id for f in store.open_findings()] == ["A", "B"]
        assert [r.id for r in store.recent_runs()] == [1]
        assert ids(record(store, finding("A"), finding("B")).still_open) == ["A", "B"]


KILL_MID_WRITE = textwrap.dedent(
    """
    import os, signal, sys
    from datetime import UTC, datetime
    from feedaudit.history.store import HistoryStore
    from tests.nightly.test_history_store import SOURCE, finding

    store = HistoryStore.open(sys.argv[1])

    def die(delta):
        print("writing", len(delta.resolved), flush=True)
        os.kill(os.getpid(), signal.SIGKILL)

    store.record_run([finding("C")], sources=[SOURCE], started=datetime.now(UTC), before_commit=die)
    """
)


def test_a_run_killed_mid_write_leaves_the_previous_state(tmp_path: Path) -> None:
    database = tmp_path / "history.db"
    with HistoryStore.open(database) as store:
        record(store, finding("A"), finding("B"))
    killed = subprocess.run(
        [sys.executable, "-c", KILL_MID_WRITE, str(database)],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=os.environ | {"PYTHONPATH": str(ROOT)},
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert killed.stdout == "writing 2\n"  # it got as far as resolving A and B
    with HistoryStore.open(database) as store:
        assert [f.offer_id for f in store.open_findings()] == ["A", "B"]
        assert [r.id for r in store.recent_runs()] == [1]


def test_migrations_are_applied_once_and_recorded(tmp_path: Path) -> None:
    url = database_url(tmp_path / "history.db")
    HistoryStore.open(url).close()
    HistoryStore.open(url).close()
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        assert current_version(conn) == len(MIGRATIONS)
        versions = conn.execute(sa.text("SELECT version, description FROM schema_version")).all()
    engine.dispose()
    assert [tuple(v) for v in versions] == [(m.version, m.description) for m in MIGRATIONS]


def _add_notes(conn: sa.Connection) -> None:
    conn.execute(sa.text("ALTER TABLE runs ADD COLUMN note TEXT"))


def _broken(conn: sa.Connection) -> None:
    conn.execute(sa.text("CREATE TABLE half_done (x INTEGER)"))
    raise RuntimeError("migration bug")


def test_a_later_migration_runs_on_an_existing_database(tmp_path: Path) -> None:
    database = tmp_path / "history.db"
    with HistoryStore.open(database) as store:
        record(store, finding("A"))
    later = (*MIGRATIONS, Migration(len(MIGRATIONS) + 1, "run notes", _add_notes))
    with HistoryStore.open(database, migrations=later) as store:
        assert [f.offer_id for f in store.open_findings()] == ["A"]
    engine = sa.create_engine(database_url(database))
    with engine.connect() as conn:
        assert current_version(conn) == len(later)
        assert "note" in {c["name"] for c in sa.inspect(conn).get_columns("runs")}
    engine.dispose()


def test_a_failing_migration_changes_nothing(tmp_path: Path) -> None:
    database = tmp_path / "history.db"
    HistoryStore.open(database).close()
    later = (*MIGRATIONS, Migration(len(MIGRATIONS) + 1, "broken", _broken))
    with pytest.raises(RuntimeError, match="migration bug"):
        HistoryStore.open(database, migrations=later)
    engine = sa.create_engine(database_url(database))
    with engine.connect() as conn:
        assert current_version(conn) == len(MIGRATIONS)
        assert not sa.inspect(conn).has_table("half_done")
    engine.dispose()


def test_a_database_from_a_newer_feedaudit_is_refused(tmp_path: Path) -> None:
    database = tmp_path / "history.db"
    later = (*MIGRATIONS, Migration(len(MIGRATIONS) + 1, "run notes", _add_notes))
    HistoryStore.open(database, migrations=later).close()
    with pytest.raises(HistoryError, match="newer than this feedaudit knows"):
        HistoryStore.open(database)


def test_migrations_must_be_numbered_in_order(tmp_path: Path) -> None:
    gap = (*MIGRATIONS, Migration(len(MIGRATIONS) + 2, "gap", _add_notes))
    with pytest.raises(ValueError, match="without gaps"):
        HistoryStore.open(tmp_path / "history.db", migrations=gap)


def test_a_history_that_cannot_be_opened_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "not-a-db").write_bytes(b"this is not a database" * 100)
    with pytest.raises(HistoryError, match="not-a-db: file is not a database"):
        HistoryStore.open(tmp_path / "not-a-db")
    with pytest.raises(HistoryError, match="unable to open database file"):
        HistoryStore.open(tmp_path / "missing-dir" / "history.db")


def test_paths_and_urls() -> None:
    assert database_url("postgresql://u@db/h") == "postgresql://u@db/h"
    assert database_url("/var/lib/h.db") == "sqlite:////var/lib/h.db"
    assert sqlite_path("/var/lib/h.db") == Path("/var/lib/h.db")
    assert sqlite_path("sqlite:////var/lib/h.db?timeout=5") == Path("/var/lib/h.db")
    assert sqlite_path("sqlite:///:memory:") is None
    assert sqlite_path("postgresql+psycopg://u@db/h") is None


def test_postgresql_history(postgres_url: str) -> None:
    """The same three runs on a real PostgreSQL server."""
    engine = sa.create_engine(sa.engine.make_url(postgres_url).set(drivername="postgresql+psycopg"))
    with engine.begin() as conn:
        for table in ("findings", "runs", "schema_version"):
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {table} CASCADE"))
    engine.dispose()
    with HistoryStore.open(postgres_url) as store:
        assert "postgresql" in store.location
        first = record(store, finding("A"), finding("B"))
        second = record(store, finding("B"), finding("C"))
        third = record(store, finding("C"))
        assert [(ids(d.new), ids(d.still_open), ids(d.resolved)) for d in (first, second, third)] == [
            (["A", "B"], [], []),
            (["C"], ["B"], ["A"]),
            ([], ["C"], ["B"]),
        ]
        assert [r.id for r in store.recent_runs(2)] == [3, 2]

        def fail(delta: RunDelta) -> None:
            raise OSError("killed")

        with pytest.raises(OSError, match="killed"):
            store.record_run([], sources=[SOURCE], started=datetime.now(UTC), before_commit=fail)
        assert [f.offer_id for f in store.open_findings()] == ["C"]


def test_a_server_database_that_cannot_be_reached_hides_the_password(tmp_path: Path) -> None:
    pytest.importorskip("psycopg")
    url = f"postgresql://audit:s3cret@/history?host={tmp_path / 'no-server-here'}"
    with pytest.raises(HistoryError) as failure:
        HistoryStore.open(url)
    message = str(failure.value)
    assert message.startswith("history postgresql+psycopg://audit:***@/history")
    assert "s3cret" not in message


def _idless_feed(path: Path, *names: str) -> str:
    offers = "".join(
        f'<offer available="true"><url>https://shop.example.ua/p/{n}</url><price>0</price>'
        f"<currencyId>UAH</currencyId><name>{n}</name></offer>\n"
        for n in names
    )
    path.write_text(
        f"<yml_catalog><shop><name>Shop</name>\n<offers>\n{offers}</offers></shop></yml_catalog>\n", "utf-8"
    )
    return str(path)


def test_offers_without_an_id_are_new_in_the_history_until_seen(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    with HistoryStore.open(tmp_path / "history.db") as store:

        def run(*names: str) -> RunDelta:
            findings = audit(_idless_feed(feed, *names), select=["ID001", "PR"])
            return store.record_run(findings, sources=[str(feed)], started=datetime.now(UTC))

        first = run("kettle")
        assert {f.code for f in first.new} >= {"ID001"}
        per_offer = len(first.new)

        second = run("toaster", "kettle", "iron")  # two new offers without an id, the kettle moved down
        assert len(second.new) == 2 * per_offer
        assert {f.line for f in second.new} == {3, 5}
        assert [f.line for f in second.still_open] == [4] * per_offer

        third = run("kettle", "kettle", "toaster", "iron")  # a copy of the kettle is one more offer at fault
        assert [f.line for f in third.new] == [4] * per_offer
        assert third.resolved == []
