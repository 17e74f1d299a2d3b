"""Header auto-detection (uk/ru/en), the explicit column map, and errors that list the headers found."""

from __future__ import annotations

import pytest

from feedaudit.errors import InventoryError
from feedaudit.inventory.columns import currency_code, map_columns, normalise_header
from feedaudit.inventory.settings import InventorySettings, parse_column_map


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (["Артикул", "Назва", "Ціна", "Кількість", "Наявність"], (0, 2, 3, 4)),
        (["Код", "Наименование", "Цена", "Количество", "Наличие"], (0, 2, 3, 4)),
        (["SKU", "Name", "Price", "Qty", "Status"], (0, 2, 3, 4)),
        (["id", "price", "Остаток", "currency"], (0, 1, 2, None)),
        (["Наличие", "Кол-во", "Цена, грн", "Артикул товара"], (3, 2, 1, 0)),
    ],
)
def test_common_headers_are_detected(headers: list[str], expected: tuple[int | None, ...]) -> None:
    columns = map_columns(headers, {}, "id", "stock.csv")
    key, price, quantity, availability = expected
    assert (columns.key, columns.price, columns.quantity, columns.availability) == (
        key,
        price,
        quantity,
        availability,
    )


def test_key_column_follows_match_on() -> None:
    headers = ["id", "Артикул", "Штрихкод", "Ціна"]
    assert map_columns(headers, {}, "id", "s").key == 0
    assert map_columns(headers, {}, "vendor-code", "s").key == 1
    assert map_columns(headers, {}, "barcode", "s").key == 2
    # with offer ids and no id column, the vendor code column is the key
    assert map_columns(["SKU", "Price"], {}, "id", "s").key == 0


def test_explicit_map_wins_and_the_rest_is_detected() -> None:
    columns = map_columns(["code", "sku", "Ціна опт", "Ціна"], parse_column_map("key=SKU,price=Ціна опт"), "id", "s")
    assert (columns.key, columns.price) == (1, 2)


def test_missing_key_column_lists_the_headers_found() -> None:
    with pytest.raises(InventoryError) as caught:
        map_columns(["Назва", "Ціна", "Кількість"], {}, "barcode", "stock.csv")
    message = str(caught.value)
    assert "no barcode column" in message
    assert "'Назва', 'Ціна', 'Кількість'" in message
    assert "--inventory-map key=" in message


def test_unknown_explicit_header_lists_the_headers_found() -> None:
    with pytest.raises(InventoryError, match=r"no column 'Артикул' for key \(headers found: 'sku', 'price'\)"):
        map_columns(["sku", "price"], {"key": "Артикул"}, "id", "stock.csv")


def test_nothing_to_compare_is_an_error() -> None:
    with pytest.raises(InventoryError, match="no price, quantity or availability column"):
        map_columns(["sku", "name"], {}, "id", "stock.csv")


def test_header_units_and_currency_words() -> None:
    assert normalise_header(" Ціна, грн ") == "ціна"
    assert normalise_header("Stock_Quantity") == "stock quantity"
    assert map_columns(["sku", "Price (USD)"], {}, "id", "s").price_currency == "USD"
    assert map_columns(["sku", "Ціна, грн"], {}, "id", "s").price_currency == "UAH"
    assert [currency_code(word) for word in ("грн", "RUR", "eur", "$", "штук")] == ["UAH", "RUB", "EUR", "USD", None]


def test_column_map_parsing() -> None:
    assert parse_column_map("key=sku, price=Ціна, грн ,qty=К-сть") == {
        "key": "sku",
        "price": "Ціна, грн",
        "quantity": "К-сть",
    }
    with pytest.raises(ValueError, match="unknown column role 'colour'"):
        parse_column_map("colour=Колір")
    with pytest.raises(ValueError, match="is not ROLE=HEADER"):
        parse_column_map("key")
    settings = InventorySettings.model_validate({"columns": {"Status": "Стан складу"}, "delimiter": "tab"})
    assert settings.columns == {"availability": "Стан складу"}
    assert settings.delimiter == "\t"
