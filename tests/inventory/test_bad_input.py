"""Inventories that cannot be used stop the run with one clear line (exit 2); bad cells are findings."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from feedaudit.cli import main
from tests.inventory.conftest import INVENTORY_FIXTURES


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["check", str(INVENTORY_FIXTURES / "feed.xml"), *args])
    return result.exit_code, result.stdout, result.stderr


def write(tmp_path: Path, name: str, body: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(body)
    return str(path)


def broken_xlsx(tmp_path: Path) -> str:
    path = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
    return str(path)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: write(p, "empty.csv", b""), "the inventory is empty"),
        (lambda p: write(p, "one.csv", b"sku price\nA 1\n"), "cannot tell the column delimiter"),
        (lambda p: write(p, "nokey.csv", "Назва;Ціна\nЧайник;1\n".encode()), "headers found: 'Назва', 'Ціна'"),
        (lambda p: write(p, "text.xlsx", b"sku;price\n1;2\n"), "cannot read as an XLSX workbook"),
        (broken_xlsx, "cannot read as an XLSX workbook"),
        (lambda p: write(p, "old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100), "Excel 97-2003"),
        (lambda p: write(p, "bad.json", b'[{"sku": 1,}]'), "line 1 column 12: not valid JSON"),
        (lambda p: write(p, "bad.jsonl", b'{"sku": 1, "price": 2}\n[1]\n'), "line 2 is not an object"),
        (lambda p: str(p / "missing.csv"), "no such file"),
        (lambda p: f"sqlite:///{p / 'missing.db'}", "no such database file"),
        (lambda p: write(p, "not.db", b"SQLite format 3\x00" + b"\xff" * 200), "not.db: file is not a database"),
        (lambda p: "https://shop.example.ua/stock.csv", "download it first"),
        (
            lambda p: "postgresql://feedaudit:secret@127.0.0.1:1/stock",
            "postgresql://feedaudit:***@127.0.0.1:1/stock: connection failed",
        ),
    ],
)
def test_unusable_inventory_exits_2_with_one_line(tmp_path: Path, make: object, message: str) -> None:
    source = make(tmp_path)  # type: ignore[operator]
    code, out, err = run("--inventory", source)
    assert code == 2, (out, err)
    assert err.startswith("feedaudit: error: "), err
    assert message in err, err
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    assert "secret" not in err


def test_unreachable_database_names_the_reason(tmp_path: Path) -> None:
    code, _, err = run("--inventory", "postgresql://127.0.0.1:1/stock", "--inventory-table", "stock")
    assert code == 2
    assert "connection" in err.casefold() or "refused" in err.casefold(), err


def test_database_without_the_named_table_lists_tables() -> None:
    code, _, err = run("--inventory", f"sqlite:///{INVENTORY_FIXTURES / 'stock.db'}", "--inventory-table", "prices")
    assert code == 2
    assert "no table 'prices' (tables: stock)" in err, err


def test_bad_query_is_the_databases_message() -> None:
    stock = str(INVENTORY_FIXTURES / "stock.db")
    code, _, err = run("--inventory", stock, "--inventory-query", "SELECT nope FROM stock")
    assert code == 2
    assert "no such column: nope" in err, err


def test_bad_cells_are_findings_not_errors(tmp_path: Path) -> None:
    source = write(tmp_path, "stock.csv", "sku;price;qty\nKT-1001;договірна;-3\n".encode())
    code, out, err = run("--inventory", source, "--select", "IV007")
    assert code == 1, err
    assert "price is not a number ('договірна')" in out
    assert "quantity is negative ('-3')" in out


def test_bad_inventory_map_is_a_usage_error() -> None:
    code, _, err = run("--inventory", str(INVENTORY_FIXTURES / "stock.csv"), "--inventory-map", "colour=Колір")
    assert code == 2
    assert "unknown column role 'colour'" in err


def test_bad_price_tolerance_is_a_usage_error() -> None:
    code, _, err = run("--inventory", str(INVENTORY_FIXTURES / "stock.csv"), "--price-tolerance", "a lot")
    assert code == 2
    assert "'a lot' is not an amount" in err
