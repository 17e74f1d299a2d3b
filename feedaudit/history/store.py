"""The history store: records a run's findings in one transaction and tells new, still-open and resolved apart.

Findings are keyed by `Finding.fingerprint` (source, offer identity, rule code, field: not the line, so
a reformatted feed keeps its history; repeated fingerprints are numbered apart, see
`feedaudit.model.distinct_fingerprints`). After a run, a finding is

- *new* when its fingerprint was not open before (never seen, or resolved earlier and back again),
- *still open* when it was open before and is seen again,
- *resolved* when it was open before, belongs to a feed this run audited, and is not seen again.

A feed that could not be read to the end (unreadable, not well-formed, unknown dialect, size cap,
hostile XML: the `INCOMPLETE_READ_CODES`) resolves nothing: its earlier findings stay open ("carried
over"), so a download failure at night does not announce hundreds of fixes, then hundreds of new faults.

The whole update of a run is one database transaction: a run killed half-way leaves the history as the
previous run left it. The database is SQLite by default (a file path) or any SQLAlchemy URL
(`postgresql://…`, which needs feedaudit's `postgres` extra). Text from a feed is stored capped
(`feedaudit.report.safe.capped`), with NUL and lone surrogates replaced, so no feed can stop a record.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from feedaudit._version import __version__
from feedaudit.errors import HistoryError
from feedaudit.history.delta import RunDelta
from feedaudit.history.schema import MIGRATIONS, Migration, findings, migrate, runs
from feedaudit.history.settings import database_url
from feedaudit.model import Finding, Severity, distinct_fingerprints, fingerprint
from feedaudit.report.safe import capped

# Feed-level rules whose finding means "offers after this point were not seen".
INCOMPLETE_READ_CODES = frozenset({"FD001", "FD003", "FD004", "FD006", "FD007"})

_CHUNK = 500  # bound parameters per IN (...) query, well under SQLite's limit
_PG_LOCK_KEY = 0x6665656461756469  # pg_advisory_xact_lock key: "feedaudi"


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One recorded run, as `feedaudit history` shows it."""

    id: int
    started_at: datetime
    finished_at: datetime
    sources: list[str]
    offers: int
    findings: int
    new: int
    resolved: int
    errors: int
    warnings: int
    infos: int
    feedaudit_version: str

    @property
    def still_open(self) -> int:
        return self.findings - self.new

    @property
    def seconds(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()


class HistoryStore:
    """A findings history in a SQLAlchemy database; `open()` creates or migrates it."""

    def __init__(self, engine: Engine, location: str) -> None:
        self._engine = engine
        self.location = location

    @classmethod
    def open(
        cls,
        target: str | Path,
        *,
        migrations: Sequence[Migration] = MIGRATIONS,
        keep_connections: bool = False,
        on_connect: Callable[[Any], None] | None = None,
    ) -> HistoryStore:
        """The history at `target`, created or migrated.

        A short-lived store (a command's run) opens a connection per transaction. A long-lived one that
        records many runs (the service) passes `keep_connections`: its connections stay open between
        runs, since closing the last connection to a SQLite file in WAL mode checkpoints the file and
        syncs it to disk, which costs more than the run itself. `on_connect(dbapi_connection)` runs on
        every new connection, the first (the migration's) included.
        """
        url = database_url(target)
        try:
            parsed = sa.engine.make_url(url)
        except sa.exc.ArgumentError as exc:
            raise HistoryError(f"history {target}: not a database URL ({exc})") from exc
        if parsed.drivername == "postgresql":  # SQLAlchemy 2.0 would pick psycopg2; the extra installs psycopg 3
            parsed = parsed.set(drivername="postgresql+psycopg")
        location = parsed.render_as_string(hide_password=True)
        try:
            if keep_connections:  # a server's connections are checked before use; a SQLite file's need not be
                engine = sa.create_engine(parsed, pool_pre_ping=parsed.get_backend_name() != "sqlite")
            else:
                engine = sa.create_engine(parsed, poolclass=sa.pool.NullPool)
        except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as exc:
            raise HistoryError(f"history {location}: {exc}") from exc
        if engine.dialect.name == "sqlite":
            _transactional_sqlite(engine)
        store = cls(engine, location)
        if on_connect is not None:
            store.on_connect(on_connect)
        with store._transaction() as conn:
            migrate(conn, migrations)
        return store

    def on_connect(self, hook: Callable[[Any], None]) -> None:
        """Run `hook(dbapi_connection)` on every new database connection (a PRAGMA, a session setting)."""

        def _hook(dbapi_connection: Any, _record: Any) -> None:
            hook(dbapi_connection)

        sa.event.listen(self._engine, "connect", _hook)

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- writing ----------------------------------------------------------------------------------

    def record_run(
        self,
        run_findings: Iterable[Finding],
        *,
        sources: Sequence[str],
        offers: int = 0,
        started: datetime,
        finished: datetime | None = None,
        before_commit: Callable[[RunDelta], None] | None = None,
    ) -> RunDelta:
        """Store one run's findings and return what changed; all or nothing.

        `sources` are the feeds the run audited: only their earlier findings can be resolved.
        `before_commit` runs inside the transaction with the delta (the nightly run writes its e-mail
        to the outbox there, so a report can be sent twice after a crash but never lost); if it
        raises, nothing is recorded.
        """
        rows = list(distinct_fingerprints(_with_fingerprint(f) for f in run_findings))
        current: dict[str, Finding] = {}
        for finding in sorted(rows, key=lambda f: f.sort_key):
            current.setdefault(finding.fingerprint, finding)
        audited = list(dict.fromkeys([*sources, *(f.source for f in rows)]))
        incomplete = {f.source for f in rows if f.code in INCOMPLETE_READ_CODES}
        finished = finished or datetime.now(UTC)
        with self._transaction() as conn:
            run_id = self._insert_run(conn, audited, offers, started, finished)
            before = self._open_by_source(conn, audited)
            status = self._status_of(conn, list(current))
            new_prints = {fp for fp in current if status.get(fp) != "open"}
            gone = [row for fp, row in before.items() if fp not in current]
            resolved = [row for row in gone if row.source not in incomplete]
            carried = [row for row in gone if row.source in incomplete]
            if resolved:
                conn.execute(_RESOLVE, [{"fp": row.fingerprint, "p_run": run_id} for row in resolved])
            complete = [source for source in audited if source not in incomplete]
            self._write_seen(conn, run_id, current, status, before, complete)
            delta = RunDelta(
                run_id,
                new=[f for f in rows if f.fingerprint in new_prints],
                still_open=[f for f in rows if f.fingerprint not in new_prints],
                resolved=sorted(resolved, key=lambda f: f.sort_key),
                carried_over=sorted(carried, key=lambda f: f.sort_key),
            )
            by_severity = {s: sum(1 for f in rows if f.severity is s) for s in Severity}
            conn.execute(
                _RUN_COUNTS,
                {
                    "p_id": run_id,
                    "p_findings": len(rows),
                    "p_new": len(delta.new),
                    "p_resolved": len(resolved),
                    "p_errors": by_severity[Severity.ERROR],
                    "p_warnings": by_severity[Severity.WARNING],
                    "p_infos": by_severity[Severity.INFO],
                },
            )
            if before_commit is not None:
                before_commit(delta)
        return delta

    def _insert_run(
        self, conn: Connection, sources: list[str], offers: int, started: datetime, finished: datetime
    ) -> int:
        result = conn.execute(
            _INSERT_RUN,
            {
                "started_at": _naive_utc(started),
                "finished_at": _naive_utc(finished),
                "feeds": len(sources),
                "sources": json.dumps(sources, ensure_ascii=False),
                "offers": offers,
                "findings": 0,
                "new": 0,
                "resolved": 0,
                "errors": 0,
                "warnings": 0,
                "infos": 0,
                "feedaudit_version": __version__,
            },
        )
        key = result.inserted_primary_key
        if key is None:  # pragma: no cover - every supported backend returns the new id
            raise HistoryError(f"history {self.location}: the database did not return the new run's id")
        return int(key[0])

    def _open_by_source(self, conn: Connection, sources: list[str]) -> dict[str, Finding]:
        result: dict[str, Finding] = {}
        for chunk in _chunks(sources):
            for row in conn.execute(_OPEN_OF_SOURCES, {"p_sources": chunk}).mappings():
                result[row["fingerprint"]] = _finding_from_row(row)
        return result

    def _status_of(self, conn: Connection, prints: list[str]) -> dict[str, str]:
        result: dict[str, str] = {}
        for chunk in _chunks(prints):
            result.update({row.fingerprint: row.status for row in conn.execute(_STATUS_OF, {"p_prints": chunk})})
        return result

    def _write_seen(
        self,
        conn: Connection,
        run_id: int,
        current: dict[str, Finding],
        status: dict[str, str],
        before: dict[str, Finding],
        complete: list[str],
    ) -> None:
        """Insert first-seen findings, rewrite reopened or changed ones, and stamp the rest as seen."""
        fresh = [
            {**_columns(f), "fingerprint": fp, "status": "open", "first_seen_run": run_id, "last_seen_run": run_id}
            for fp, f in current.items()
            if fp not in status
        ]
        if fresh:
            conn.execute(_INSERT_FINDING, fresh)
        changed = [
            {**{f"b_{k}": v for k, v in _columns(f).items()}, "fp": fp}
            for fp, f in current.items()
            if fp in status and (fp not in before or _columns(before[fp]) != _columns(f))
        ]
        if changed:
            conn.execute(_REWRITE, [{**row, "p_run": run_id} for row in changed])
        # Every other open finding of a fully read feed was seen again unchanged (the resolved ones are
        # no longer open by now): one statement per chunk of feeds instead of one per finding. In a feed
        # read only in part, the unseen ones are carried over, so its seen ones are stamped one by one.
        for chunk in _chunks(complete):
            conn.execute(_SEEN_OF_SOURCES, {"p_sources": chunk, "p_run": run_id})
        whole = set(complete)
        rewritten = {row["fp"] for row in changed}
        partial = [
            {"fp": fp, "p_run": run_id} for fp, f in current.items() if f.source not in whole and fp not in rewritten
        ]
        if partial:
            conn.execute(_SEEN, partial)

    # -- reading ----------------------------------------------------------------------------------

    def recent_runs(self, limit: int = 20) -> list[RunRecord]:
        """The last `limit` runs, newest first."""
        with self._transaction() as conn:
            rows = conn.execute(sa.select(runs).order_by(runs.c.id.desc()).limit(limit)).mappings().all()
        return [_record_from_row(row) for row in rows]

    def open_findings(self, sources: Collection[str] | None = None) -> list[Finding]:
        """The findings open now (of the given feeds, or of all), in report order."""
        with self._transaction() as conn:
            if sources is not None:
                return sorted(self._open_by_source(conn, list(sources)).values(), key=lambda f: f.sort_key)
            query = sa.select(findings).where(findings.c.status == "open")
            return sorted((_finding_from_row(r) for r in conn.execute(query).mappings()), key=lambda f: f.sort_key)

    # -- plumbing ---------------------------------------------------------------------------------

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        """One transaction; writers queue on PostgreSQL; database errors become `HistoryError`."""
        try:
            with self._engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
                yield conn
        except sa.exc.DBAPIError as exc:
            raise _history_error(self.location, exc) from exc


def _history_error(location: str, exc: sa.exc.DBAPIError) -> HistoryError:
    reason = str(exc.orig) if exc.orig is not None else str(exc)
    return HistoryError(f"history {location}: {reason.splitlines()[0] if reason else exc.__class__.__name__}")


def _transactional_sqlite(engine: Engine) -> None:
    """Let SQLAlchemy, not the sqlite3 module, start transactions, and take the write lock at BEGIN.

    Without this, pysqlite commits before DDL and starts transactions lazily, so migrations would not
    be atomic and two writers could both read before either writes.
    """

    @sa.event.listens_for(engine, "connect")
    def _no_implicit_transactions(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @sa.event.listens_for(engine, "begin")
    def _begin_immediate(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


_COLUMNS = (
    "source",
    "code",
    "name",
    "severity",
    "message",
    "line",
    "offer_id",
    "field",
    "value",
    "url",
    "expected",
    "actual",
)

_RUN_COUNT_COLUMNS = ("findings", "new", "resolved", "errors", "warnings", "infos")

# The statements of every run, built once with bound parameters, so SQLAlchemy reuses their compiled
# form (a bound parameter in a SET clause may not bear its column's name, hence `p_` and `b_`).
_INSERT_RUN = runs.insert()
_RUN_COUNTS = (
    runs.update()
    .where(runs.c.id == sa.bindparam("p_id"))
    .values({name: sa.bindparam(f"p_{name}") for name in _RUN_COUNT_COLUMNS})
)
_OPEN_OF_SOURCES = sa.select(findings).where(
    findings.c.status == "open", findings.c.source.in_(sa.bindparam("p_sources", expanding=True))
)
_STATUS_OF = sa.select(findings.c.fingerprint, findings.c.status).where(
    findings.c.fingerprint.in_(sa.bindparam("p_prints", expanding=True))
)
_BY_PRINT = findings.update().where(findings.c.fingerprint == sa.bindparam("fp"))
_RESOLVE = _BY_PRINT.values(status="resolved", resolved_run=sa.bindparam("p_run"))
_INSERT_FINDING = findings.insert()
_REWRITE = _BY_PRINT.values(
    {name: sa.bindparam(f"b_{name}") for name in _COLUMNS}
    | {"status": "open", "last_seen_run": sa.bindparam("p_run"), "resolved_run": None}
)
_SEEN = _BY_PRINT.values(last_seen_run=sa.bindparam("p_run"))
_SEEN_OF_SOURCES = (
    findings.update()
    .where(findings.c.status == "open", findings.c.source.in_(sa.bindparam("p_sources", expanding=True)))
    .values(last_seen_run=sa.bindparam("p_run"))
)


def _columns(finding: Finding) -> dict[str, Any]:
    values = {name: _storable(getattr(finding, name)) for name in _COLUMNS}
    values["severity"] = finding.severity.value
    return values


def _storable(value: object) -> object:
    """Text every backend takes: capped, no lone surrogate (SQLite cannot encode one), no NUL (PostgreSQL)."""
    if not isinstance(value, str):
        return value
    value = capped(value)
    return value.replace("\x00", "\ufffd") if "\x00" in value else value


def _finding_from_row(row: Any) -> Finding:
    values = {name: row[name] for name in _COLUMNS}
    values["severity"] = Severity(values["severity"])
    return Finding(**values, fingerprint=row["fingerprint"])


def _record_from_row(row: Any) -> RunRecord:
    values = {f.name: row[f.name] for f in fields(RunRecord)}
    values["started_at"] = values["started_at"].replace(tzinfo=UTC)
    values["finished_at"] = values["finished_at"].replace(tzinfo=UTC)
    values["sources"] = json.loads(values["sources"])
    return RunRecord(**values)


def _with_fingerprint(finding: Finding) -> Finding:
    if finding.fingerprint:
        return finding
    return replace(finding, fingerprint=fingerprint(finding.source, finding.offer_id, finding.code, finding.field))


def _naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]
