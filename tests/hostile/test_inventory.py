"""Inventories that would exhaust memory, crash a parser, be read short or be written to: each one is a
one-line error (exit 2), never `internal error`, never a silently shorter inventory, never a write."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from feedaudit.cli import main
from feedaudit.errors import InventoryError
from feedaudit.inventory.csvfile import open_csv
from tests.inventory.conftest import INVENTORY_FIXTURES

HEADER = "sku;price;qty\n"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["check", str(INVENTORY_FIXTURES / "feed.xml"), *args])
    return result.exit_code, result.stdout, result.stderr


def assert_one_line_error(code: int, err: str, message: str) -> None:
    assert code == 2, err
    assert err.startswith("feedaudit: error: "), err
    assert message in err, err
    assert err.count("\n") == 1, err
    assert "internal error" not in err


def workbook(tmp_path: Path, replace: dict[str, bytes]) -> Path:
    """A real workbook written by openpyxl, with some of its parts replaced."""
    plain = tmp_path / "plain.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["sku", "price"])
    sheet.append(["KT-1001", 1499])
    book.save(plain)
    path = tmp_path / "stock.xlsx"
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for part in source.infolist():
            target.writestr(part.filename, replace.get(part.filename, source.read(part.filename)))
        for name, body in replace.items():
            if name not in source.namelist():
                target.writestr(name, body)
    return path


def test_an_xlsx_zip_bomb_is_refused_before_unpacking(tmp_path: Path) -> None:
    rows = b"<row><c><v>1</v></c></row>" * 200_000  # 5 MB that packs to a few KB
    sheet = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    bomb = workbook(tmp_path, {"xl/worksheets/sheet1.xml": sheet + rows + b"</sheetData></worksheet>"})
    assert bomb.stat().st_size < 200_000
    code, _, err = run("--inventory", str(bomb))
    assert_one_line_error(code, err, "a zip bomb, not a spreadsheet")


@pytest.mark.parametrize(
    ("part", "body"),
    [("xl/worksheets/sheet1.xml", b"<worksheet><sheetData><row><c"), ("xl/workbook.xml", b"<workbook><sheets")],
)
def test_broken_xml_in_a_workbook_is_a_one_line_error(tmp_path: Path, part: str, body: bytes) -> None:
    code, _, err = run("--inventory", str(workbook(tmp_path, {part: body})))
    assert_one_line_error(code, err, "cannot read as an XLSX workbook")


@pytest.mark.parametrize("name", ["deep.json", "deep.jsonl"])
def test_json_nested_ten_thousand_deep_is_a_one_line_error(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    deep = "[" * 10_000 + "]" * 10_000
    path.write_text(json.dumps({"sku": "KT-1001", "price": 1})[:-1] + f', "x": {deep}}}\n', encoding="utf-8")
    code, _, err = run("--inventory", str(path))
    assert_one_line_error(code, err, "nested too deeply")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (HEADER + 'KT-1001;1499;12\nKT-1002;"899', "ends inside a quoted cell"),
        (HEADER + 'KT-1001;1499;12\nKT-1002;"899\n', "ends inside a quoted cell"),
        (HEADER + "KT-1001;1499;12\nKT-1002;89", "ends in the middle of a row"),
    ],
)
def test_a_csv_cut_off_is_not_a_shorter_inventory(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "stock.csv"
    path.write_text(body, encoding="utf-8")
    code, _, err = run("--inventory", str(path))
    assert_one_line_error(code, err, message)


def test_a_csv_without_a_final_line_end_is_still_whole(tmp_path: Path) -> None:
    path = tmp_path / "stock.csv"
    path.write_text(HEADER + 'KT-1001;1499;12\nKT-1002;"8""99";0', encoding="utf-8")
    code, _, err = run("--inventory", str(path))
    assert code in (0, 1), err


def test_a_csv_that_changes_while_it_is_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "stock.csv"
    path.write_text(HEADER + "".join(f"KT-{i};{i};1\n" for i in range(50_000)), encoding="utf-8")
    with open_csv(path, str(path), delimiter=None, encoding=None) as table:
        rows = iter(table.rows)
        next(rows)
        with path.open("r+b") as handle:  # the export is rewritten under the reader
            handle.truncate(100_000)
        with pytest.raises(InventoryError, match="changed while it was read"):
            for _ in rows:
                pass


@pytest.fixture
def stock_db(tmp_path: Path) -> Path:
    path = tmp_path / "stock.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE stock (sku TEXT, price INTEGER)")
        connection.execute("INSERT INTO stock VALUES ('KT-1001', 1499)")
    connection.close()
    return path


@pytest.mark.parametrize(
    "query",
    [
        "VACUUM INTO '{dir}/copy.db'",
        "ATTACH '{dir}/attached.db' AS other",
        "CREATE TEMP TABLE t AS SELECT * FROM stock",
        "PRAGMA user_version = 7",
        "SELECT * FROM stock; DELETE FROM stock",
    ],
)
def test_an_sqlite_query_may_only_read(tmp_path: Path, stock_db: Path, query: str) -> None:
    before = sorted(p.name for p in tmp_path.iterdir())
    code, _, err = run("--inventory", str(stock_db), "--inventory-query", query.format(dir=tmp_path))
    assert_one_line_error(code, err, "only read" if ";" not in query else "one statement at a time")
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    with sqlite3.connect(stock_db) as connection:
        assert connection.execute("SELECT count(*), max(price) FROM stock").fetchone() == (1, 1499)
        assert connection.execute("PRAGMA user_version").fetchone() == (0,)
    connection.close()


def test_an_sqlite_query_that_reads_still_works(stock_db: Path) -> None:
    query = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3) SELECT sku, price FROM stock"
    code, _, err = run("--inventory", str(stock_db), "--inventory-query", query, "--inventory-map", "key=sku")
    assert code in (0, 1), err
