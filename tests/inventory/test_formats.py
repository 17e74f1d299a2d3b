"""The same inventory in every format gives the same findings against the bundled feed."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from feedaudit.config import Settings
from feedaudit.engine import Engine
from feedaudit.inventory import InventorySettings, detect_format, load_inventory
from tests.inventory.conftest import INVENTORY_FIXTURES, comparable

FORMATS = ["stock.tsv", "stock-cp1251.csv", "stock-bom.csv", "stock.xlsx", "stock.json", "stock.jsonl", "stock.db"]
PLANTED = [
    ("IV001", "KT-1001"),  # 1299 in the feed, 1499 in stock
    ("IV001", "SM-3002"),  # 300 USD against 11999 UAH at the feed's rate 41.5
    ("IV002", "KT-1002"),  # in stock in the feed, «Немає» in stock
    ("IV003", "KT-1002"),
    ("IV003", "VC-2001"),  # 5 against 3
    ("IV004", "AC-4001"),  # not in the inventory
    ("IV005", "KT-1003"),  # in stock, not in the feed
    ("IV005", "TV-5001"),
    ("IV006", "KT-1001"),  # two rows
    ("IV007", "FN-6001"),  # negative quantity
    ("IV007", "KT-1003"),  # «договірна»
]


def audit(feed: Path, inventory: object) -> list[object]:
    engine = Engine(Settings(select=["IV"]), inventory=inventory)  # type: ignore[arg-type]
    return list(engine.audit_feed(str(feed)))


def test_csv_fixture_finds_every_planted_drift(drift_feed: Path) -> None:
    findings = audit(drift_feed, load_inventory(INVENTORY_FIXTURES / "stock.csv"))
    assert sorted((f.code, f.offer_id) for f in findings) == PLANTED  # type: ignore[attr-defined]
    # SM-3001 is 260 USD against 10790 UAH: equal at the feed's own rate, so no finding


@pytest.mark.parametrize("name", FORMATS)
def test_every_format_gives_the_same_findings(drift_feed: Path, name: str) -> None:
    expected = comparable(audit(drift_feed, load_inventory(INVENTORY_FIXTURES / "stock.csv")))  # type: ignore[arg-type]
    got = comparable(audit(drift_feed, load_inventory(INVENTORY_FIXTURES / name)))  # type: ignore[arg-type]
    assert got == expected


def test_sqlite_url_with_table_and_query(drift_feed: Path) -> None:
    url = f"sqlite:///{INVENTORY_FIXTURES / 'stock.db'}"
    by_table = load_inventory(url, InventorySettings(table="stock"))
    by_query = load_inventory(url, InventorySettings(query="SELECT sku, price, qty FROM stock WHERE qty > 0"))
    assert len(by_table) == 10
    assert sorted(item.key for item in by_query) == ["KT-1001", "KT-1003", "SM-3001", "SM-3002", "TV-5001", "VC-2001"]


def test_xlsx_with_typed_cells_named_sheet_and_barcodes(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    workbook.worksheets[0].title = "Інше"
    sheet = workbook.create_sheet("Залишки")
    sheet.append([])  # a blank first row
    sheet.append(["Штрихкод", "Ціна, USD", "Остаток"])
    sheet.append([4820000000001, 12.5, 3.0])  # numbers as Excel stores them
    sheet.append(["0012345678905", "1 299,50", None])
    path = tmp_path / "stock.xlsx"
    workbook.save(path)
    inventory = load_inventory(path, InventorySettings(sheet="Залишки", match_on="barcode"))
    first = inventory.get("4820000000001")
    assert first is not None
    assert (first.price, first.currency, first.quantity, first.row) == (Decimal("12.5"), "USD", 3, 3)
    second = inventory.get("12345678905")
    assert second is not None
    assert (str(second.price), second.quantity) == ("1299.5", None)


def test_format_is_sniffed_without_a_known_suffix(tmp_path: Path) -> None:
    for name, body in {
        "a.export": b"sku;price\n1;10\n",
        "b.export": b'[{"sku": "1", "price": 10}]',
        "c.export": b'{"sku": "1", "price": 10}\n{"sku": "2", "price": 20}\n',
        "d.export": (INVENTORY_FIXTURES / "stock.xlsx").read_bytes(),
        "e.export": (INVENTORY_FIXTURES / "stock.db").read_bytes(),
    }.items():
        (tmp_path / name).write_bytes(body)
    kinds = [detect_format(tmp_path / name) for name in ("a", "b", "c", "d", "e") for name in [f"{name}.export"]]
    assert kinds == ["csv", "json", "jsonl", "xlsx", "sqlite"]
    assert len(load_inventory(tmp_path / "c.export")) == 2
    assert len(load_inventory(tmp_path / "e.export")) == 10
