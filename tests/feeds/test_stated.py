"""One reading of stated facts for every reader: the same param or period means the same in YML and Hotline."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from feedaudit.feeds import stated
from feedaudit.feeds.fields import Children, TextField, take
from feedaudit.model import Availability, Condition, Offer
from tests.feeds.conftest import read, yml

HOTLINE_HEAD = "<price>\n<date>2026-11-20 10:00</date>\n<firmName>Shop</firmName>\n<items>\n"
HOTLINE_TAIL = "\n</items>\n</price>\n"
FACTS = (
    *("condition", "condition_text", "availability", "availability_text", "warranty_months", "warranty_text"),
    *("delivery_min_days", "delivery_max_days", "delivery_text", "return_text"),
)


def _facts(offer: Offer) -> tuple[object, ...]:
    return tuple(getattr(offer, name) for name in FACTS)


def _yml_offer(param: str, write_feed: Callable[..., Path]) -> Offer:
    return read(write_feed(yml(f'<offer id="1"><price>10</price>{param}</offer>'), "feed.yml")).offers[0]


def _hotline_item(param: str, write_feed: Callable[..., Path]) -> Offer:
    item = f"<item><id>1</id><priceRUAH>10</priceRUAH>{param}</item>"
    return read(write_feed(HOTLINE_HEAD + item + HOTLINE_TAIL, "hotline.xml")).offers[0]


@pytest.mark.parametrize(
    ("param", "expected"),
    [
        ('<param name="Стан">Б/в</param>', {"condition": Condition.USED}),
        ('<param name="Восстановленный">Да</param>', {"condition": Condition.REFURBISHED}),
        ('<param name="Наявність">Під замовлення</param>', {"availability": Availability.BACKORDER}),
        ('<param name="Гарантія, міс">12</param>', {"warranty_months": Decimal(12)}),
        ('<param name="Гарантія" unit="міс.">6</param>', {"warranty_months": Decimal(6)}),
        ('<param name="Термін доставки">1-2 дні</param>', {"delivery_min_days": 1, "delivery_max_days": 2}),
        ('<param name="Обмін та повернення">14 днів</param>', {"return_text": "14 днів"}),
        (
            '<param name="Комплектація">годинник, коробка, гарантійний талон</param>',
            {"warranty_text": "гарантійний талон"},
        ),
        ('<param name="Комплектація">годинник, коробка</param>', {"warranty_text": None}),
    ],
)
def test_a_param_reads_the_same_in_every_reader(
    param: str, expected: dict[str, object], write_feed: Callable[..., Path]
) -> None:
    from_yml = _yml_offer(param, write_feed)
    from_hotline = _hotline_item(param, write_feed)
    assert _facts(from_yml) == _facts(from_hotline)
    for name, value in expected.items():
        assert getattr(from_yml, name) == value, name


def test_a_warranty_in_days_reads_the_same_in_yml_and_hotline(write_feed: Callable[..., Path]) -> None:
    element = '<warranty unit="days">14</warranty>'
    from_yml = _yml_offer(element, write_feed)
    from_hotline = _hotline_item(element, write_feed)
    assert from_yml.warranty_months == from_hotline.warranty_months == (14 * stated.ONE_DAY).normalize()
    # without a unit the number counts in months, in both
    assert _yml_offer("<warranty>12</warranty>", write_feed).warranty_months == Decimal(12)
    assert _hotline_item("<guarantee>12</guarantee>", write_feed).warranty_months == Decimal(12)


@pytest.mark.parametrize(
    ("name", "unit", "months"),
    [
        ("Гарантія, міс", None, stated.ONE_MONTH),
        ("Гарантия", "мес.", stated.ONE_MONTH),
        ("Warranty", "months", stated.ONE_MONTH),
        ("Гарантія", "днів", stated.ONE_DAY),
        (None, "days", stated.ONE_DAY),
        ("Гарантія", None, None),
        ("Гарантія", "шт", None),
    ],
)
def test_period_unit(name: str | None, unit: str | None, months: Decimal | None) -> None:
    assert stated.period_unit(name, unit) == months


def test_take_first_present_or_first_non_empty() -> None:
    item = etree.fromstring("<o>\n<a></a>\n<b>x</b>\n</o>")
    children: Children = {str(child.tag): child for child in item}
    lines: dict[str, int] = {}
    assert take(children, TextField("f", ("a", "b")), lines) == ""  # present, even empty, wins
    assert lines == {"f": 2}
    assert take(children, TextField("f", ("a", "b"), skip_empty=True), lines) == "x"
    assert lines == {"f": 3}
    assert take(children, TextField("f", ("c",)), lines) is None
    assert take(children, TextField("f", ("a", "c"), skip_empty=True), {}) is None  # like `"" or None`
