"""The Google Merchant (RSS and Atom) and Meta catalog reader: field mapping and source lines."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from feedaudit.model import Availability, Condition, Dialect
from tests.feeds.conftest import read

RSS_HEAD = (
    '<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0"><channel><title>Shop</title>'
    "<link>https://shop.example.com</link>\n"
)
RSS_TAIL = "\n</channel></rss>\n"


def test_google_rss_fixture_fields_and_lines(feeds_dir: Path) -> None:
    got = read(feeds_dir / "google.xml")
    assert not got.issues
    feed = got.feed
    assert (feed.dialect, feed.flavour, feed.offers) == (Dialect.GOOGLE, "google", 4)
    assert (feed.shop.name, feed.shop.url) == ("Kyiv Bikes", "https://kyiv-bikes.example.ua")

    bike = got.offer("BK-100")
    assert (bike.line, bike.dialect) == (7, Dialect.GOOGLE)
    # the g:price inside g:shipping (0 UAH, free delivery) is not the product's price
    assert (bike.price, bike.price_text, bike.currency) == (Decimal("12999.00"), "12999.00 UAH", "UAH")
    assert (bike.availability, bike.availability_text) == (Availability.IN_STOCK, "in stock")  # legacy spelling
    assert (bike.condition, bike.condition_text) == (Condition.NEW, "new")
    assert bike.vendor == "Cross"
    # handling 0-1 plus transit 1-3
    assert (bike.delivery_min_days, bike.delivery_max_days) == (1, 4)
    assert bike.url == "https://kyiv-bikes.example.ua/bk-100"
    lines = dict(bike.lines)
    assert {k: lines[k] for k in ("offer_id", "name", "description", "url", "price", "availability")} == {
        "offer_id": 8,
        "name": 9,
        "description": 10,
        "url": 11,
        "price": 12,
        "availability": 13,
    }
    assert (lines["condition"], lines["vendor"], lines["delivery"]) == (14, 15, 16)

    used = got.offer("BK-101")
    assert (used.price, used.availability_text, used.condition, used.condition_text) == (
        Decimal("0.00"),
        "in_stock",
        None,
        None,
    )

    helmet = got.offer("BK-102")
    # g:sale_price is what the buyer pays; g:price becomes the old price
    assert (helmet.price, helmet.lines["price"]) == (Decimal("1999.00"), 40)
    assert (helmet.old_price, helmet.old_price_text, helmet.lines["old_price"]) == (
        Decimal("1899.00"),
        "1899.00 UAH",
        39,
    )
    assert (helmet.availability, helmet.quantity, helmet.lines["quantity"]) == (Availability.OUT_OF_STOCK, 40, 42)

    lock = got.offers[3]
    assert (lock.offer_id, lock.line, lock.name) == (None, 45, "Bike lock Kryptonite")


def test_google_atom_fixture_uses_g_id_not_entry_id(feeds_dir: Path) -> None:
    got = read(feeds_dir / "google-atom.xml")
    assert not got.issues
    assert (got.feed.dialect, got.feed.offers, got.feed.shop.name) == (Dialect.GOOGLE, 2, "Lviv Books")
    assert got.feed.shop.url == "https://lviv-books.example.ua"
    first, second = got.offers
    assert (first.offer_id, first.line, first.lines["offer_id"]) == ("BOOK-1", 6, 8)
    assert (first.url, first.lines["url"]) == ("https://lviv-books.example.ua/book-1", 10)
    assert (first.description, first.lines["description"]) == ("Тарас Шевченко, тверда палітурка.", 11)  # summary
    assert (first.price, first.currency, first.lines["price"]) == (Decimal(650), "UAH", 13)
    assert (second.offer_id, second.line, second.condition, second.lines["condition"]) == (
        "BOOK-1",
        17,
        Condition.NEW,
        26,
    )


def test_meta_fixture_fields_and_lines(feeds_dir: Path) -> None:
    got = read(feeds_dir / "meta.xml")
    assert not got.issues
    assert (got.feed.dialect, got.feed.flavour, got.feed.offers) == (Dialect.META, "meta", 3)
    train = got.offer("KID-1")
    assert (train.line, train.dialect) == (7, Dialect.META)
    assert (train.quantity, train.quantity_text, train.lines["quantity"]) == (15, "15", 17)  # Meta's own tag
    assert (train.condition, train.lines["condition"]) == (Condition.NEW, 13)
    assert (train.price, train.lines["price"]) == (Decimal(899), 15)
    stroller = got.offer("KID-2")
    assert (stroller.availability, stroller.availability_text, stroller.lines["availability"]) == (
        Availability.BACKORDER,
        "available for order",
        25,
    )
    assert (stroller.price, stroller.condition) == (Decimal(9999), None)
    bear = got.offers[2]
    assert (bear.offer_id, bear.line, bear.lines["offer_id"]) == (None, 29, 30)  # empty g:id


def test_availability_and_condition_spellings(write_feed: Callable[..., Path]) -> None:
    items = "\n".join(
        f"<item><g:id>{n}</g:id><g:price>10 UAH</g:price><g:availability>{value}</g:availability>"
        f"<g:condition>{condition}</g:condition></item>"
        for n, (value, condition) in enumerate(
            [
                ("in_stock", "new"),
                ("out of stock", "used"),
                ("preorder", "refurbished"),
                ("backorder", "new"),
                ("discontinued", "new"),
            ]
        )
    )
    got = read(write_feed(RSS_HEAD + items + RSS_TAIL))
    assert [(o.availability, o.condition) for o in got.offers] == [
        (Availability.IN_STOCK, Condition.NEW),
        (Availability.OUT_OF_STOCK, Condition.USED),
        (Availability.PREORDER, Condition.REFURBISHED),
        (Availability.BACKORDER, Condition.NEW),
        (Availability.OUT_OF_STOCK, Condition.NEW),
    ]
    assert [o.lines["availability"] for o in got.offers] == [2, 3, 4, 5, 6]


def test_product_detail_warranty_and_identifiers(write_feed: Callable[..., Path]) -> None:
    item = (
        "<item>\n<g:id>W1</g:id>\n<g:price>1 299,00 UAH</g:price>\n"
        "<g:mpn>MPN-1</g:mpn>\n<g:gtin>4820000000001</g:gtin>\n"
        "<g:product_detail><g:section_name>Гарантія</g:section_name><g:attribute_name>Термін</g:attribute_name>"
        "<g:attribute_value>24 місяці</g:attribute_value></g:product_detail>\n"
        "<g:min_handling_time>1</g:min_handling_time><g:max_handling_time>2</g:max_handling_time>\n</item>"
    )
    offer = read(write_feed(RSS_HEAD + item + RSS_TAIL)).offers[0]
    assert offer.price == Decimal("1299.00")
    assert (offer.vendor_code, offer.barcode, offer.lines["vendor_code"], offer.lines["barcode"]) == (
        "MPN-1",
        "4820000000001",
        5,
        6,
    )
    assert (offer.warranty_months, offer.warranty_text, offer.lines["warranty"]) == (Decimal(24), "24 місяці", 7)
    assert (offer.delivery_min_days, offer.delivery_max_days, offer.lines["delivery"]) == (1, 2, 8)


# Google's documented Atom 1.0 shape identifies an entry by its <id> alone (no g:id).
GOOGLE_ATOM_ID_ONLY = """<?xml version="1.0"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:g="http://base.google.com/ns/1.0">
<title>Example - Online Store</title>
<link rel="self" href="http://www.example.com"/>
<updated>2026-11-20T12:00:00Z</updated>
<entry>
<id>TV_123456</id>
<title>LG 22LB4510 - 22" LED TV - 1080p (FullHD)</title>
<link href="http://www.example.com/electronics/tv/22LB4510.html"/>
<summary>Attractively styled and boasting stunning picture quality.</summary>
<g:price>159.00 USD</g:price>
<g:condition>new</g:condition>
<g:availability>in stock</g:availability>
</entry>
</feed>
"""

# Google's documented RSS 1.0 shape: rdf:RDF root, items beside the channel.
GOOGLE_RSS1 = """<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
 xmlns:g="http://base.google.com/ns/1.0">
<channel rdf:about="http://www.example.com">
<title>Example store</title>
<link>http://www.example.com</link>
<description>Products</description>
<items><rdf:Seq><rdf:li resource="http://www.example.com/item1.html"/></rdf:Seq></items>
</channel>
<item rdf:about="http://www.example.com/item1.html">
<title>Red wool sweater</title>
<link>http://www.example.com/item1.html</link>
<description>Comfortable and soft.</description>
<g:id>SW-1</g:id>
<g:price>25.00 USD</g:price>
<g:condition>new</g:condition>
<g:availability>in stock</g:availability>
</item>
</rdf:RDF>
"""


def test_atom_entry_without_g_id_is_identified_by_its_id(write_feed: Callable[..., Path]) -> None:
    got = read(write_feed(GOOGLE_ATOM_ID_ONLY))
    assert not got.issues
    (tv,) = got.offers
    assert (tv.offer_id, tv.lines["offer_id"], tv.price, tv.currency) == ("TV_123456", 7, Decimal("159.00"), "USD")


def test_rss_1_0_rdf_feed_is_read_as_google(write_feed: Callable[..., Path]) -> None:
    got = read(write_feed(GOOGLE_RSS1))
    assert not got.issues
    assert (got.feed.dialect, got.feed.shop.name, got.feed.shop.url) == (
        Dialect.GOOGLE,
        "Example store",
        "http://www.example.com",
    )
    (sweater,) = got.offers
    assert (sweater.offer_id, sweater.line, sweater.price, sweater.name) == (
        "SW-1",
        10,
        Decimal("25.00"),
        "Red wool sweater",
    )
