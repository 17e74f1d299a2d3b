"""The history database: its tables as of the current schema version, and the ordered migrations.

A database records every migration applied to it in `schema_version` (one row per step). Opening a
history applies the missing steps in order, all in one transaction, and refuses a database written
by a newer feedaudit. A migration step is frozen once released: a later change to a table is a new
step, never an edit of an old one (step 1 therefore spells its tables out on its own).

    runs            one row per recorded run: when, which feeds, how many offers and findings
    findings        one row per fingerprint ever seen: the last finding with it, open or resolved,
                    and the runs that first saw it, last saw it and resolved it
    schema_version  the migrations applied
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from feedaudit.errors import HistoryError


def _tables_v1(meta: sa.MetaData) -> tuple[sa.Table, sa.Table]:
    """The runs and findings tables as schema version 1 created them (frozen)."""
    runs = sa.Table(
        "runs",
        meta,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("started_at", sa.DateTime, nullable=False),  # UTC
        sa.Column("finished_at", sa.DateTime, nullable=False),
        sa.Column("feeds", sa.Integer, nullable=False),
        sa.Column("sources", sa.Text, nullable=False),  # JSON list of the feed sources audited
        sa.Column("offers", sa.Integer, nullable=False),
        sa.Column("findings", sa.Integer, nullable=False),
        sa.Column("new", sa.Integer, nullable=False),
        sa.Column("resolved", sa.Integer, nullable=False),
        sa.Column("errors", sa.Integer, nullable=False),
        sa.Column("warnings", sa.Integer, nullable=False),
        sa.Column("infos", sa.Integer, nullable=False),
        sa.Column("feedaudit_version", sa.String(40), nullable=False),
    )
    findings = sa.Table(
        "findings",
        meta,
        sa.Column("fingerprint", sa.String(64), primary_key=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("severity", sa.String(8), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("line", sa.Integer),
        sa.Column("offer_id", sa.Text),
        sa.Column("field", sa.String(100)),
        sa.Column("value", sa.Text),
        sa.Column("url", sa.Text),
        sa.Column("expected", sa.Text),
        sa.Column("actual", sa.Text),
        sa.Column("status", sa.String(8), nullable=False),  # "open" | "resolved"
        sa.Column("first_seen_run", sa.Integer, sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("last_seen_run", sa.Integer, sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("resolved_run", sa.Integer, sa.ForeignKey("runs.id")),
        sa.Index("findings_by_source_status", "source", "status"),
    )
    return runs, findings


def _create_v1(conn: Connection) -> None:
    v1 = sa.MetaData()
    _tables_v1(v1)
    v1.create_all(conn)


# The current tables, which the store queries. Schema version 1 is the current one; when a migration
# changes a table, define the new shape here and leave `_tables_v1` as it is.
metadata = sa.MetaData()
runs, findings = _tables_v1(metadata)
schema_version = sa.Table(
    "schema_version",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("description", sa.String(200), nullable=False),
    sa.Column("applied_at", sa.DateTime, nullable=False),
)


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    description: str
    apply: Callable[[Connection], None]


MIGRATIONS: tuple[Migration, ...] = (Migration(1, "runs and findings tables", _create_v1),)


def current_version(conn: Connection) -> int:
    """The highest migration applied to the database (0 for a new one)."""
    if not sa.inspect(conn).has_table(schema_version.name):
        return 0
    return int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(schema_version.c.version), 0))).scalar_one())


def migrate(conn: Connection, migrations: Sequence[Migration] = MIGRATIONS) -> int:
    """Apply the missing migrations in order on `conn` (inside the caller's transaction); return the version."""
    versions = [m.version for m in migrations]
    if versions != list(range(1, len(versions) + 1)):
        raise ValueError(f"migrations must be numbered 1, 2, 3, … without gaps, got {versions}")
    schema_version.create(conn, checkfirst=True)
    current = current_version(conn)
    latest = versions[-1] if versions else 0
    if current > latest:
        raise HistoryError(
            f"the history database has schema version {current}, newer than this feedaudit knows ({latest}); "
            "upgrade feedaudit"
        )
    for migration in migrations:
        if migration.version <= current:
            continue
        migration.apply(conn)
        conn.execute(
            schema_version.insert().values(
                version=migration.version,
                description=migration.description,
                applied_at=datetime.now(UTC).replace(tzinfo=None),
            )
        )
    return latest
