"""Telling the marketplace a YML feed is written for from several signals, and naming the ones that decided."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.feeds.conftest import read

HEAD = '<yml_catalog date="2026-11-20 10:00"><shop><name>Shop</name>{extra}<categories>{category}</categories>'
OFFERS = "<offers>{offers}</offers></shop></yml_catalog>"


def feed(offer: str, *, category: str = '<category id="1">C</category>', extra: str = "") -> str:
    return HEAD.format(extra=extra, category=category) + OFFERS.format(offers=offer)


@pytest.mark.parametrize(
    ("text", "flavour", "signals"),
    [
        # Rozetka without rz_id: its own quantity and old-price spellings together
        (
            feed(
                '<offer id="1" available="false"><price>10</price><price_old>12</price_old>'
                "<stock_quantity>0</stock_quantity></offer>"
            ),
            "rozetka",
            ["<stock_quantity>", "<price_old>"],
        ),
        (
            feed('<offer id="1"><price>10</price></offer>', category='<category id="1" rz_id="80">C</category>'),
            "rozetka",
            ["category@rz_id"],
        ),
        (
            feed(
                '<offer id="1"><price>10</price><stock_quantity>1</stock_quantity></offer>',
                extra="<platform>Rozetka.ua YML CLI Builder</platform>",
            ),
            "rozetka",
            ["shop platform 'Rozetka.ua YML CLI Builder'", "<stock_quantity>"],
        ),
        (
            feed('<offer id="1" selling_type="r"><price>10</price></offer>'),
            "prom",
            ["offer@selling_type"],
        ),
        (
            feed('<offer id="1"><price>10</price><picture>https://images.prom.ua/1.jpg</picture></offer>'),
            "prom",
            ["pictures on images.prom.ua"],
        ),
        (
            feed('<offer id="1"><price>10</price></offer>', category='<category id="1" portal_id="5">C</category>'),
            "maudau",
            ["category@portal_id"],
        ),
        # one shared spelling alone decides nothing
        (feed('<offer id="1"><price>10</price><stock_quantity>1</stock_quantity></offer>'), "yml", []),
        (feed('<offer id="1"><price>10</price><price_old>12</price_old></offer>'), "yml", []),
        (feed('<offer id="1"><price>10</price></offer>'), "yml", []),
    ],
)
def test_flavour_and_the_signals_that_decided(
    write_feed: Callable[..., Path], text: str, flavour: str, signals: list[str]
) -> None:
    got = read(write_feed(text))
    assert (got.feed.flavour, got.feed.flavour_signals) == (flavour, signals)


def test_offers_straight_in_shop_keep_the_shop_header(write_feed: Callable[..., Path]) -> None:
    text = (
        '<yml_catalog date="2026-11-20 10:00"><shop><name>Cartic</name><url>https://cartic.example.ua</url>'
        '<categories><category id="1">Phones</category></categories>'
        '<offer id="1" available="false"><price>7499</price><price_old>7355</price_old>'
        "<stock_quantity>0</stock_quantity><categoryId>1</categoryId></offer></shop></yml_catalog>"
    )
    got = read(write_feed(text))
    assert (got.feed.flavour, got.feed.shop.name, got.feed.shop.url) == (
        "rozetka",
        "Cartic",
        "https://cartic.example.ua",
    )
    assert got.offers[0].category == "Phones"


def test_a_named_marketplace_is_taken_without_signals(write_feed: Callable[..., Path]) -> None:
    got = read(write_feed(feed('<offer id="1"><price>10</price></offer>')), marketplace="rozetka")
    assert (got.feed.flavour, got.feed.flavour_signals) == ("rozetka", [])


@pytest.mark.corpus
def test_corpus_rozetka_feed_without_rz_id(corpus_dir: Path) -> None:
    got = read(corpus_dir / "sunlist-testxml" / "dev" / "price-rozetka.xml")
    assert (got.feed.flavour, got.feed.shop.name) == ("rozetka", "Cartic")
