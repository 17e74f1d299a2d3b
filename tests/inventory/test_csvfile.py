"""CSV and TSV: encodings, delimiters, and the clear errors for files that cannot be read."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from feedaudit.errors import InventoryError
from feedaudit.inventory import InventorySettings, load_inventory
from feedaudit.inventory.csvfile import detect_delimiter, detect_encoding

ROWS = "Артикул;Ціна;Кількість\nКТ-1;1 299,50;3\nКТ-2;99;0\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1251", "utf-16"])
def test_encodings_are_detected(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "stock.csv"
    path.write_bytes(ROWS.encode(encoding))
    inventory = load_inventory(path)
    item = inventory.get("КТ-1")
    assert item is not None
    assert (str(item.price), item.quantity) == ("1299.5", 3)


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiters_are_detected(tmp_path: Path, delimiter: str) -> None:
    path = tmp_path / "stock.txt"
    path.write_text(f'sku{delimiter}name{delimiter}price\n1{delimiter}"Чайник, білий"{delimiter}10\n', "utf-8")
    item = load_inventory(path).get("1")
    assert item is not None
    assert item.price == 10


def test_detection_prefers_the_consistent_delimiter() -> None:
    text = "sku;name;price\n1;Чайник, білий, 1.7 л;10\n2;Праска;20\n"
    assert detect_delimiter(text, truncated=False) == ";"
    assert detect_delimiter("just one column\nvalue\n", truncated=False) is None
    assert detect_encoding("Ціна".encode("cp1251")) == "cp1251"


def test_one_column_header_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "stock.csv"
    path.write_text("sku price qty\nA 10 1\n", "utf-8")
    with pytest.raises(InventoryError, match=r"cannot tell the column delimiter: the header 'sku price qty'"):
        load_inventory(path)


def test_wrong_explicit_delimiter_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "stock.csv"
    path.write_text("sku;price\nA;10\n", "utf-8")
    with pytest.raises(InventoryError, match=r"the header 'sku;price' is one column when split on comma"):
        load_inventory(path, InventorySettings(delimiter=","))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "the inventory is empty"),
        (b"\n \r\n", "the inventory is empty"),
        (b"sku;price\n", "has a header but no rows"),
        (b"sku;price\n;\n;\n", "has a header but no rows"),
    ],
)
def test_empty_inventories_are_errors(tmp_path: Path, body: bytes, message: str) -> None:
    path = tmp_path / "stock.csv"
    path.write_bytes(body)
    with pytest.raises(InventoryError, match=message):
        load_inventory(path)


def test_broken_utf8_after_the_sample_names_the_line(tmp_path: Path) -> None:
    good = "".join(f"SKU-{n};{n}\n" for n in range(8000))
    path = tmp_path / "stock.csv"
    path.write_bytes(b"sku;price\n" + good.encode("utf-8") + "Ціна;1\n".encode("cp1251"))
    with pytest.raises(InventoryError, match=r"line 8002 is not valid utf-8"):
        load_inventory(path)


def test_short_rows_and_blank_lines_are_read(tmp_path: Path) -> None:
    path = tmp_path / "stock.csv"
    path.write_text("sku,price,qty\n\nA,10\nB,,4\n", "utf-8")
    inventory = load_inventory(path)
    a, b = inventory.get("A"), inventory.get("B")
    assert a is not None
    assert b is not None
    assert (a.price, a.quantity, a.row, b.price, b.quantity, b.row) == (Decimal(10), None, 3, None, 4, 4)
