"""SQL inventories through SQLAlchemy 2: `sqlite:///stock.db` (embedded, nothing to install) or
`postgresql://user@host/db` (with feedaudit's `postgres` extra, psycopg 3), or any URL whose
driver is installed.

Rows come from `[inventory] query`, or from `table` (`schema.table` allowed), or from the database's
only table. Results are streamed in batches. Reading is read-only, whatever the query says: SQLite files
are opened read-only (so a mistyped path is an error instead of a new empty database) with an
authorizer that allows reading only (no ATTACH, which `VACUUM INTO` also needs, no writes, no pragma
settings); PostgreSQL sessions and their transaction are read-only. Connection and query failures are
`InventoryError`s with the database's own reason and the URL without its password.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from feedaudit.errors import InventoryError
from feedaudit.inventory.table import Table

BATCH_ROWS = 10_000
CONNECT_TIMEOUT = 10  # seconds


def shown_url(url: str) -> str:
    """The URL as messages show it: without its password."""
    try:
        return str(sa.make_url(url).render_as_string(hide_password=True))
    except sa_exc.ArgumentError:
        return url.rsplit("@", 1)[-1]


@contextmanager
def open_sql(url: str, *, table: str | None, query: str | None) -> Iterator[Table]:

    engine = _engine(url)
    shown = shown_url(url)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                connection.exec_driver_sql("SET TRANSACTION READ ONLY")
            statement = _statement(connection, shown, table, query)
            result = connection.execution_options(stream_results=True, yield_per=BATCH_ROWS).execute(statement)
            headers = [str(name) for name in result.keys()]  # noqa: SIM118 (a Result, not a dict)
            yield Table(headers=headers, rows=result, first_row=1)
    except sa_exc.NoSuchTableError as exc:
        raise InventoryError(f"{shown}: no table {exc.args[0]!r}{_tables_hint(engine)}") from exc
    except sa_exc.DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
        if reason in ("not authorized", "authorization denied"):  # the SQLite authorizer's refusal
            reason = "the inventory is only read: the query may not write, attach files or change settings"
        raise InventoryError(f"{shown}: {reason}") from exc
    except sa_exc.SQLAlchemyError as exc:
        raise InventoryError(f"{shown}: {exc.__class__.__name__}: {str(exc).splitlines()[0]}") from exc
    finally:
        engine.dispose()


def _engine(url: str) -> Any:

    try:
        parsed = sa.make_url(url)
    except sa_exc.ArgumentError as exc:
        raise InventoryError(f"{url}: not a database URL: {exc}") from exc
    backend = parsed.get_backend_name()
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        if backend == "sqlite":
            return _sqlite_engine(parsed)
        connect_args: dict[str, Any] = {}
        if backend in ("postgresql", "postgres"):
            connect_args["connect_timeout"] = CONNECT_TIMEOUT
            connect_args["options"] = "-c default_transaction_read_only=on"
        return sa.create_engine(parsed, connect_args=connect_args)
    except (sa_exc.NoSuchModuleError, ModuleNotFoundError) as exc:
        shown = parsed.render_as_string(hide_password=True)
        if backend in ("postgresql", "postgres"):
            raise InventoryError(
                f"{shown}: PostgreSQL needs its driver: install feedaudit with its 'postgres' extra"
            ) from exc
        raise InventoryError(f"{shown}: no SQLAlchemy driver for {parsed.drivername!r} is installed") from exc


def _sqlite_engine(parsed: Any) -> Any:

    database = parsed.database
    if not database or database == ":memory:":
        raise InventoryError("sqlite://: name a database file, as in sqlite:///stock.db")
    path = Path(database)
    if not path.is_file():
        raise InventoryError(f"sqlite:///{database}: no such database file")

    def connect() -> sqlite3.Connection:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        connection.set_authorizer(_read_only)
        return connection

    return sa.create_engine("sqlite://", creator=connect)


# What a reading query does: select, read columns, call functions, recurse (WITH RECURSIVE), and the
# transactions the driver opens. Everything else (ATTACH / VACUUM INTO, writes, temp tables) is denied.
_READING = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_TRANSACTION}
_SQLITE_RECURSIVE = 33  # not named by the sqlite3 module of every Python
# Pragmas whose argument names what to describe, not a value to set (SQLAlchemy reflects with them).
_DESCRIBING_PRAGMAS = {
    "table_info",
    "table_xinfo",
    "table_list",
    "index_list",
    "index_info",
    "index_xinfo",
    "foreign_key_list",
}


def _read_only(action: int, first: str | None, second: str | None, database: str | None, source: str | None) -> int:
    """SQLite authorizer: allow reading only; a pragma only in its reading form (no value to set)."""
    if action in _READING or action == _SQLITE_RECURSIVE:
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_PRAGMA and (second is None or (first or "").casefold() in _DESCRIBING_PRAGMAS):
        return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


def _statement(connection: Any, shown: str, table: str | None, query: str | None) -> Any:

    if table is not None and query is not None:
        raise InventoryError(f"{shown}: give a table or a query, not both")
    if query is not None:
        return sa.text(query)
    if table is None:
        names = sa.inspect(connection).get_table_names()
        if len(names) != 1:
            listed = ", ".join(names) if names else "none"
            raise InventoryError(f"{shown}: name the table or query to read (tables: {listed})")
        table = names[0]
    schema, _, name = table.rpartition(".")
    reflected = sa.Table(name, sa.MetaData(), schema=schema or None, autoload_with=connection)
    # untyped columns: values come as the driver gives them (a text cell in a NUMERIC column is no crash)
    columns: list[Any] = [sa.column(column.name) for column in reflected.columns]
    return sa.select(*columns).select_from(sa.table(name, schema=schema or None))


def _tables_hint(engine: Any) -> str:

    try:
        with engine.connect() as connection:
            names = sa.inspect(connection).get_table_names()
    except Exception:  # a hint only: the original error is what gets reported
        return ""
    return f" (tables: {', '.join(names) or 'none'})"
