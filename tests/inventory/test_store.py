"""The compact lookup: matching keys, what a feed has seen, duplicates kept aside, issues capped."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from feedaudit.inventory import InventorySettings, load_inventory, normalise_key, store
from feedaudit.inventory.store import ISSUE_LIMIT
from feedaudit.model import Availability, Dialect, InventoryItem, Offer


def offer(offer_id: str, source: str = "feed.xml", **fields: str) -> Offer:
    return Offer(source=source, line=1, dialect=Dialect.YML, offer_id=offer_id, **fields)  # type: ignore[arg-type]


def test_missing_from_is_per_feed(tmp_path: Path) -> None:
    path = tmp_path / "stock.csv"
    path.write_text("sku;qty\nA;1\nB;2\nC;0\n", "utf-8")
    inventory = load_inventory(path)
    assert inventory.match(offer("A")) is not None
    assert inventory.match(offer("Z")) is None
    assert [item.key for item in inventory.missing_from("feed.xml")] == ["B", "C"]
    assert inventory.match(offer("B", source="other.xml")) is not None
    assert [item.key for item in inventory.missing_from("other.xml")] == ["A", "C"]
    assert [item.key for item in inventory.missing_from("never-read.xml")] == ["A", "B", "C"]


def test_duplicates_are_kept_aside_and_the_first_row_wins(tmp_path: Path) -> None:
    path = tmp_path / "stock.csv"
    path.write_text("sku;price\nA;10\nB;20\nA;30\nA;40\n", "utf-8")
    inventory = load_inventory(path)
    item = inventory.get("A")
    assert item is not None
    assert (item.price, item.row) == (Decimal(10), 2)
    assert inventory.duplicates == {"A": [2, 4, 5]}
    assert len(inventory) == 2


def test_barcodes_match_without_leading_zeros_and_spaces(tmp_path: Path) -> None:
    path = tmp_path / "stock.csv"
    path.write_text("EAN;Ціна\n0 012345 678905;10\n", "utf-8")
    inventory = load_inventory(path, InventorySettings(match_on="barcode"))
    assert inventory.match(offer("1", barcode="12345678905")) is not None
    assert normalise_key(" 0012345678905 ", "barcode") == "12345678905"
    assert normalise_key(" KT-1 ", "vendor-code") == "KT-1"
    assert normalise_key("   ", "id") is None


def test_availability_from_status_words_booleans_and_counts(tmp_path: Path) -> None:
    path = tmp_path / "stock.csv"
    path.write_text("sku;qty;status\nA;;В наявності\nB;;нет\nC;;0\nD;;true\nE;4;\nF;0;невідомо\n", "utf-8")
    inventory = load_inventory(path)
    statuses = {item.key: item.availability for item in inventory}
    assert statuses == {
        "A": Availability.IN_STOCK,
        "B": Availability.OUT_OF_STOCK,
        "C": Availability.OUT_OF_STOCK,
        "D": Availability.IN_STOCK,
        "E": Availability.IN_STOCK,
        "F": Availability.OUT_OF_STOCK,  # an unknown word gives way to the quantity
    }


def test_prices_keep_four_decimals_and_currency_columns(tmp_path: Path) -> None:
    path = tmp_path / "stock.csv"
    path.write_text("sku;price;currency\nA;0.1234;грн\nB;1,299.5;USD\nC;7;\n", "utf-8")
    inventory = load_inventory(path, InventorySettings(currency="EUR"))
    items = {item.key: (str(item.price), item.currency) for item in inventory}
    assert items == {"A": ("0.1234", "UAH"), "B": ("1299.5", "USD"), "C": ("7", "EUR")}


def test_issues_are_capped_but_counted(tmp_path: Path) -> None:
    path = tmp_path / "stock.csv"
    rows = "".join(f"K{n};call\n" for n in range(ISSUE_LIMIT + 5))
    path.write_text("sku;price\n" + rows, "utf-8")
    inventory = load_inventory(path)
    assert len(inventory.issues) == ISSUE_LIMIT
    assert inventory.issue_count == ISSUE_LIMIT + 5


def test_unicode_digits_that_are_not_numbers(tmp_path: Path) -> None:
    path = tmp_path / "stock.csv"
    path.write_text("sku;price;qty;status\nA;²;²;²\nB;١٢;٣;\n", "utf-8")
    inventory = load_inventory(path)
    a, b = inventory.get("A"), inventory.get("B")
    assert a is not None
    assert b is not None
    assert (a.price, a.quantity, a.availability) == (None, None, Availability.UNKNOWN)
    assert (b.price, b.quantity) == (Decimal(12), 3)  # Arabic-Indic digits are digits
    assert [issue.message for issue in inventory.issues] == ["price is not a number", "quantity is not a whole number"]


def test_items_are_built_directly_and_equal_the_ordinary_constructor() -> None:
    """`_new_item` lists the fields by position: a change to InventoryItem's fields must show here."""
    built = store._new_item("A", Decimal("1.5"), "UAH", 3, Availability.IN_STOCK, "є", "stock.csv", 7)
    ordinary = InventoryItem(
        key="A",
        price=Decimal("1.5"),
        currency="UAH",
        quantity=3,
        availability=Availability.IN_STOCK,
        availability_text="є",
        source="stock.csv",
        row=7,
    )
    assert type(built) is InventoryItem
    assert built == ordinary
    assert repr(built) == repr(ordinary)
    assert hash(built) == hash(ordinary)
