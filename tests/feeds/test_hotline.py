"""The Hotline reader (`price/items/item`): field mapping and source lines."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from feedaudit.model import Availability, Condition, Dialect
from tests.feeds.conftest import read

HEAD = "<price>\n<firmName>Shop</firmName>\n<rate>40</rate>\n<items>\n"
TAIL = "\n</items>\n</price>\n"


def test_hotline_fixture_fields_and_lines(feeds_dir: Path) -> None:
    got = read(feeds_dir / "hotline.xml")
    assert not got.issues
    feed = got.feed
    assert (feed.dialect, feed.flavour, feed.offers, feed.shop.name) == (Dialect.HOTLINE, "hotline", 4, "Фото-Світ")
    assert feed.shop.currencies == {"USD": Decimal("41.5")}
    assert feed.shop.categories == {"1": "Фотоапарати"}
    # <delivery time="1"> is Hotline's code for 1-3 days
    assert (feed.shop.delivery_min_days, feed.shop.delivery_max_days, feed.shop.delivery_line) == (1, 3, 7)

    canon = got.offers[0]
    assert (canon.offer_id, canon.line, canon.dialect) == ("CAM-001", 15, Dialect.HOTLINE)
    assert (canon.price, canon.price_text, canon.currency) == (Decimal(24999), "24999", "UAH")  # priceRUAH
    assert (canon.old_price, canon.old_price_text) == (Decimal(26999), "26999")
    assert (canon.availability, canon.availability_text) == (Availability.IN_STOCK, "В наявності")
    assert (canon.warranty_months, canon.warranty_text) == (Decimal(12), "12 (manufacturer)")
    assert (canon.vendor, canon.vendor_code, canon.category) == ("Canon", "EOS250D", "Фотоапарати")
    assert canon.condition is None
    assert dict(canon.lines) == {
        "offer_id": 16,
        "category": 17,
        "vendor_code": 18,
        "vendor": 19,
        "name": 20,
        "description": 21,
        "url": 22,
        "price": 23,
        "old_price": 24,
        "availability": 25,
        "warranty": 26,
    }

    nikon = got.offers[1]
    assert (nikon.price, nikon.availability, nikon.availability_text) == (
        Decimal(1),
        Availability.ON_REQUEST,
        "Уточнюйте наявність",
    )
    assert nikon.warranty_months is not None
    assert round(nikon.warranty_months, 2) == Decimal("0.47")
    assert (nikon.warranty_text, nikon.lines["warranty"]) == ("14 (shop)", 38)

    sony = got.offers[2]
    assert (sony.price, sony.price_text) == (Decimal("32499.50"), "32 499,50")
    assert (sony.availability, sony.availability_text) == (Availability.BACKORDER, "Під замовлення")
    # <stock days="10"> is a delivery promise on the stock line
    assert (sony.delivery_min_days, sony.delivery_max_days, sony.lines["delivery"]) == (10, 10, 48)
    assert (sony.condition, sony.condition_text, sony.lines["condition"]) == (Condition.USED, "3", 49)

    assert [o.offer_id for o in got.offers] == ["CAM-001", "CAM-002", "CAM-003", "CAM-001"]
    assert got.offers[3].line == 52


@pytest.mark.parametrize(
    ("code", "condition"),
    [("0", Condition.NEW), ("1", Condition.REFURBISHED), ("2", Condition.DISCOUNTED), ("3", Condition.USED)],
)
def test_condition_codes(code: str, condition: Condition, write_feed: Callable[..., Path]) -> None:
    item = f"<item>\n<id>1</id>\n<priceRUAH>10</priceRUAH>\n<condition>{code}</condition>\n</item>"
    offer = read(write_feed(HEAD + item + TAIL)).offers[0]
    assert (offer.condition, offer.condition_text, offer.lines["condition"]) == (condition, code, 8)


def test_usd_price_and_numeric_stock(write_feed: Callable[..., Path]) -> None:
    item = "<item>\n<id>1</id>\n<priceRUSD>99.5</priceRUSD>\n<stock>12</stock>\n</item>"
    offer = read(write_feed(HEAD + item + TAIL)).offers[0]
    assert (offer.price, offer.currency, offer.lines["price"]) == (Decimal("99.5"), "USD", 7)
    # a count in <stock> is a quantity and means "in stock"
    assert (offer.quantity, offer.availability, offer.lines["availability"]) == (12, Availability.IN_STOCK, 8)


def test_stock_quantity_and_delivery_codes(write_feed: Callable[..., Path]) -> None:
    item = (
        "<item>\n<id>1</id>\n<priceRUAH>10</priceRUAH>\n<stock_quantity>5</stock_quantity>\n"
        '<delivery time="2"/>\n</item>'
    )
    offer = read(write_feed(HEAD + item + TAIL)).offers[0]
    assert (offer.quantity, offer.quantity_text, offer.lines["quantity"]) == (5, "5", 8)
    assert (offer.delivery_min_days, offer.delivery_max_days, offer.lines["delivery"]) == (4, 9, 9)
    assert offer.delivery_text == 'delivery time="2"'


def test_params(write_feed: Callable[..., Path]) -> None:
    item = '<item>\n<id>1</id>\n<priceRUAH>10</priceRUAH>\n<param name="Колір">Чорний</param>\n</item>'
    offer = read(write_feed(HEAD + item + TAIL)).offers[0]
    assert [(p.name, p.value, p.line) for p in offer.params] == [("Колір", "Чорний", 8)]


def test_params_written_as_values_per_language(write_feed: Callable[..., Path]) -> None:
    item = (
        "<item>\n<id>1</id>\n<priceRUAH>10</priceRUAH>\n"
        '<param name="Гарантія"><value lang="ru">12 месяцев</value><value lang="ua">12 місяців</value></param>\n'
        "</item>"
    )
    offer = read(write_feed(HEAD + item + TAIL)).offers[0]
    assert [(p.name, p.value, p.other_values) for p in offer.params] == [("Гарантія", "12 місяців", ("12 месяцев",))]
    assert (offer.warranty_months, offer.warranty_text) == (Decimal(12), "12 місяців")
