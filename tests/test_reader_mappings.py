"""Readers map the dialect spellings of condition, warranty, returns, stock and delivery to canonical fields."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from feedaudit.feeds import read_feed
from feedaudit.model import Availability, Condition, FeedInfo, Offer

YML_HEAD = "<yml_catalog><shop><name>Shop</name><offers>\n"
YML_TAIL = "\n</offers></shop></yml_catalog>\n"


def _offers(tmp_path: Path, text: str) -> list[Offer]:
    path = tmp_path / "feed.xml"
    path.write_text(text, "utf-8")
    feed = FeedInfo(source=str(path))
    return [item for item in read_feed(str(path), feed) if isinstance(item, Offer)]


def test_yml_warranty_and_returns_params_by_name_and_stem(tmp_path: Path) -> None:
    offers = _offers(
        tmp_path,
        YML_HEAD + '<offer id="1"><param name="Гарантія на цей товар">12 місяців</param>'
        '<param name="Обмін/повернення">14 днів</param></offer>\n'
        '<offer id="2"><param name="Гарантия, мес">24</param></offer>\n'
        '<offer id="3"><param name="Гарантія повернення коштів">30 днів</param></offer>\n'
        '<offer id="4"><manufacturer_warranty>false</manufacturer_warranty></offer>' + YML_TAIL,
    )
    assert (offers[0].warranty_text, offers[0].warranty_months, offers[0].return_text) == (
        "12 місяців",
        Decimal(12),
        "14 днів",
    )
    assert offers[1].warranty_months == Decimal(24)  # unit from the param name
    assert (offers[2].warranty_text, offers[2].return_text) == (None, "30 днів")  # a returns param
    assert offers[3].warranty_text == "no manufacturer's warranty"


def test_yml_condition_flag_params(tmp_path: Path) -> None:
    offers = _offers(
        tmp_path,
        YML_HEAD + '<offer id="1"><param name="Восстановленный">Да</param></offer>\n'
        '<offer id="2"><param name="Восстановленный">Нет</param></offer>\n'
        '<offer id="3"><param name="Восстановленный"></param></offer>' + YML_TAIL,
    )
    assert [o.condition for o in offers] == [Condition.REFURBISHED, Condition.NEW, None]


def test_yml_availability_without_the_attribute(tmp_path: Path) -> None:
    offers = _offers(
        tmp_path,
        YML_HEAD + '<offer id="1"><presence>order</presence></offer>\n'
        '<offer id="2"><availability>out_of_stock</availability></offer>\n'
        '<offer id="3"><param name="Наявність">Є в наявності</param></offer>\n'
        '<offer id="4" available="true"><param name="Наличие">нет</param></offer>' + YML_TAIL,
    )
    assert [o.availability for o in offers] == [
        Availability.BACKORDER,
        Availability.OUT_OF_STOCK,
        Availability.IN_STOCK,
        Availability.IN_STOCK,  # the attribute wins over a param
    ]


def test_yml_delivery_from_params_and_sales_notes(tmp_path: Path) -> None:
    offers = _offers(
        tmp_path,
        YML_HEAD + '<offer id="1"><param name="Доставка/Оплата">Без передплати. Доставка 1-2 дні.</param></offer>\n'
        '<offer id="2"><sales_notes>Отправка в течение 24 часов</sales_notes></offer>\n'
        '<offer id="3"><sales_notes>предоплата</sales_notes></offer>' + YML_TAIL,
    )
    assert [(o.delivery_min_days, o.delivery_max_days) for o in offers] == [(1, 2), (1, 1), (None, None)]
    assert offers[2].delivery_text is None  # payment terms are not delivery terms
    assert offers[0].line_of("delivery") == 2


def test_legacy_price_ua_items(tmp_path: Path) -> None:
    offers = _offers(
        tmp_path,
        "<price><catalog/><items>\n"
        '<item id="1"><priceuah>153.4</priceuah><available></available></item>\n'
        '<item id="2"><priceuah>10</priceuah><available>false</available><guarantee type="manufacturer"/></item>\n'
        "</items></price>\n",
    )
    assert [(o.price, o.availability) for o in offers] == [
        (Decimal("153.4"), Availability.OUT_OF_STOCK),
        (Decimal(10), Availability.BACKORDER),
    ]
    assert offers[1].warranty_text == "manufacturer's warranty"
