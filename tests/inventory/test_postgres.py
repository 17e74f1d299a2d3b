"""The inventory read from a real PostgreSQL server, started here with the `pgserver` wheel.

The server is skipped, with the reason, only when it cannot be started; `.ci/run` sets
FEEDAUDIT_REQUIRE_POSTGRES=1 so that in CI a server that does not start is a failure instead.
"""

from __future__ import annotations

import csv
import logging
import os
import warnings
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

import feedaudit
from feedaudit.cli import main
from feedaudit.config import Settings
from feedaudit.engine import Engine
from feedaudit.inventory import InventorySettings, load_inventory
from tests.inventory.conftest import INVENTORY_FIXTURES, comparable


@pytest.fixture(scope="module")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    required = os.environ.get("FEEDAUDIT_REQUIRE_POSTGRES") == "1"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        try:
            import pgserver
        except ImportError as exc:  # the `test` extra installs it
            if required:
                raise
            pytest.skip(f"no PostgreSQL server: pgserver is not installed ({exc})")
        errors = _PgserverErrors()
        logging.getLogger("pgserver").addHandler(errors)
        try:
            for attempt in range(2):  # a fresh data directory on the second try
                try:
                    server = pgserver.get_server(  # type: ignore[attr-defined]
                        tmp_path_factory.mktemp("pg"), cleanup_mode="stop"
                    )
                    break
                except Exception as exc:
                    if attempt == 1:
                        if required:
                            raise
                        pytest.skip(f"no PostgreSQL server could be started: {exc} {errors.text()}")
        finally:
            logging.getLogger("pgserver").removeHandler(errors)
    url = str(server.get_uri())
    _fill(url)
    yield url
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        server.cleanup()


class _PgserverErrors(logging.Handler):
    """Keeps what pgserver logs about a failed command (initdb's own reason) for the skip message."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record.getMessage()[-500:])

    def text(self) -> str:
        return " | ".join(self.records)


def _fill(url: str) -> None:
    """shop.stock: the fixture inventory with typed columns (a NUMERIC price cannot hold «договірна»)."""
    with (INVENTORY_FIXTURES / "stock.csv").open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle, delimiter=";"))[1:]
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA IF EXISTS shop CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA shop"))
        connection.execute(
            sa.text(
                "CREATE TABLE shop.stock (sku text PRIMARY KEY DEFERRABLE INITIALLY DEFERRED, name text, "
                "price numeric(12, 2), qty integer, status text)"
            )
        )
        connection.execute(sa.text("ALTER TABLE shop.stock DROP CONSTRAINT stock_pkey"))
        connection.execute(
            sa.text("INSERT INTO shop.stock VALUES (:sku, :name, :price, :qty, :status)"),
            [
                {
                    "sku": sku,
                    "name": name,
                    "price": Decimal(price) if price.isdigit() else None,
                    "qty": int(qty),
                    "status": status or None,
                }
                for sku, name, price, qty, status in rows
            ],
        )
    engine.dispose()


def _audit(inventory: object) -> list[feedaudit.Finding]:
    engine = Engine(Settings(select=["IV"]), inventory=inventory)  # type: ignore[arg-type]
    return list(engine.audit_feed(str(INVENTORY_FIXTURES / "feed.xml")))


def test_postgres_table_gives_the_csv_findings(postgres_url: str) -> None:
    from_csv = [
        f
        for f in _audit(load_inventory(INVENTORY_FIXTURES / "stock.csv"))
        if not (f.code == "IV007" and f.field == "inventory.price")  # NULL in a NUMERIC column: no bad cell
    ]
    from_postgres = _audit(load_inventory(postgres_url, InventorySettings(table="shop.stock")))
    assert comparable(from_postgres) == comparable(from_csv)
    assert len(from_postgres) == 10


def test_postgres_query_with_cyrillic_column_names(postgres_url: str) -> None:
    query = 'SELECT sku AS "Артикул", price AS "Ціна", qty AS "Кількість" FROM shop.stock WHERE qty >= 0'
    inventory = load_inventory(postgres_url, InventorySettings(query=query))
    assert inventory.columns is not None
    assert (inventory.columns.name("key"), inventory.columns.name("price")) == ("Артикул", "Ціна")
    item = inventory.get("KT-1001")
    assert item is not None
    assert (item.price, item.quantity, item.availability) == (Decimal("1499"), 12, feedaudit.Availability.IN_STOCK)
    assert inventory.get("FN-6001") is None  # filtered by the query


def test_cli_with_postgres_url(postgres_url: str, tmp_path: Path) -> None:
    config = tmp_path / "feedaudit.toml"
    config.write_text(f'[inventory]\nsource = "{postgres_url}"\ntable = "shop.stock"\n', "utf-8")
    result = CliRunner().invoke(
        main, ["check", str(INVENTORY_FIXTURES / "feed.xml"), "--config", str(config), "--select", "IV001"]
    )
    assert result.exit_code == 1, result.output
    assert "IV001 [error] price 1299 UAH differs from the inventory's 1499 UAH by -13.3%" in result.stdout


def test_postgres_missing_table_lists_the_tables(postgres_url: str) -> None:
    result = CliRunner().invoke(
        main,
        ["check", str(INVENTORY_FIXTURES / "feed.xml"), "--inventory", postgres_url, "--inventory-table", "stock"],
    )
    assert result.exit_code == 2
    assert "no table 'stock'" in result.stderr


@pytest.mark.parametrize(
    "query",
    [
        "SELECT sku, price, lo_create(0) FROM shop.stock",
        "SELECT sku, price, set_config('default_transaction_read_only', 'off', false), lo_create(0) FROM shop.stock",
    ],
)
def test_postgres_query_may_only_read(postgres_url: str, query: str) -> None:
    engine = sa.create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT count(*) FROM shop.stock")).scalar_one()
    result = CliRunner().invoke(
        main,
        ["check", str(INVENTORY_FIXTURES / "feed.xml"), "--inventory", postgres_url, "--inventory-query", query],
    )
    assert result.exit_code == 2, result.output
    assert "read-only transaction" in result.stderr, result.stderr
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM shop.stock")).scalar_one() == rows
        assert connection.execute(sa.text("SELECT count(*) FROM pg_largeobject_metadata")).scalar_one() == 0
    engine.dispose()
