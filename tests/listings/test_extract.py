"""Reading saved, real-looking product pages (fixtures/pages) into listings."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from feedaudit.listings.extract import Target, read_html
from feedaudit.model import Availability, Condition, Listing

PAGES = Path(__file__).resolve().parents[2] / "fixtures" / "pages"


def read(name: str, target: Target | None = None, content_type: str | None = "text/html") -> Listing:
    return read_html((PAGES / name).read_bytes(), f"https://shop.example/{name}", content_type, target)


def test_prom_page_reads_json_ld_and_the_data_qaid_areas() -> None:
    listing = read("prom.html")
    assert (listing.price, listing.currency) == (Decimal(1299), "UAH")
    assert listing.availability is Availability.IN_STOCK
    assert listing.condition is Condition.NEW
    assert listing.sources["price"] == "json-ld"
    assert listing.area_text == {"price": "1 299 ₴", "availability": "В наявності"}
    assert listing.markup_errors == ()


def test_rozetka_page_with_http_schema_org_values() -> None:
    listing = read("rozetka.html", Target.of(None, "410291234"))
    assert listing.price == Decimal(16999)
    assert listing.availability is Availability.IN_STOCK
    assert listing.availability_text == "http://schema.org/InStock"
    assert listing.condition is Condition.NEW
    # the visible area is the main price, not the old price or the card-payment price beside it
    assert listing.area_text["price"] == "16 999₴"


def test_shopify_page_picks_the_variant_the_feed_links_to() -> None:
    red = read(
        "shopify.html",
        Target.of("https://northwind-outfitters.example/products/merino-wool-beanie?variant=44012345678902"),
    )
    assert (red.price, red.sale_price, red.currency) == (Decimal(35), Decimal(29), "USD")
    assert red.availability is Availability.OUT_OF_STOCK
    grey = read("shopify.html", Target.of(None, "nw-beanie-gry"))
    assert (grey.price, grey.sale_price, grey.price_valid_until) == (Decimal(35), None, "2031-12-31")
    assert grey.availability is Availability.IN_STOCK


def test_broken_json_ld_block_does_not_lose_the_good_one() -> None:
    listing = read("broken-jsonld.html")
    assert listing.price == Decimal("6499.00")
    assert listing.availability is Availability.PREORDER
    assert listing.sources["price"] == "json-ld"
    assert len(listing.markup_errors) == 3
    assert listing.markup_errors[0] == "JSON-LD block 1 is empty"
    assert "block 2 is not valid JSON" in listing.markup_errors[1]
    assert listing.markup_errors[1].endswith("it was skipped")
    assert listing.markup_errors[2].endswith("it was read after repair")


def test_microdata_only_page_in_windows_1251() -> None:
    listing = read("microdata.html", content_type=None)
    assert (listing.price, listing.currency) == (Decimal("11500.00"), "UAH")
    assert listing.availability is Availability.IN_STOCK
    assert listing.condition is Condition.REFURBISHED
    assert listing.sources == {
        "price": "microdata",
        "currency": "microdata",
        "availability": "microdata",
        "condition": "microdata",
        "warranty": "visible-text",
    }
    assert listing.warranty_text == "Гарантия 6 месяцев"


def test_visible_text_only_page() -> None:
    listing = read("visible-only.html")
    assert (listing.price, listing.sale_price, listing.currency) == (Decimal(21999), Decimal(19499), "UAH")
    assert listing.availability is Availability.OUT_OF_STOCK
    assert listing.sources["price"] == listing.sources["availability"] == "visible-text"
    assert listing.delivery_text == "Доставка Новою Поштою 1–3 дні"


def test_placeholder_page_keeps_the_area_texts_and_has_no_price() -> None:
    listing = read("placeholder.html")
    assert listing.price is None
    assert "price" not in listing.sources
    assert listing.area_text == {"price": "Ціну уточнюйте", "availability": "Уточнюйте наявність"}


def test_related_products_do_not_hide_the_main_one() -> None:
    html = b"""<html><head><script type="application/ld+json">
    {"@type": "ItemList", "itemListElement": [{"@type": "Product", "name": "Other", "offers": {"price": "5"}}]}
    </script><script type="application/ld+json">
    {"@type": "Product", "url": "https://shop.example/p/1", "offers": {"price": "700", "priceCurrency": "UAH"}}
    </script></head><body></body></html>"""
    listing = read_html(html, "https://shop.example/p/1")
    assert listing.price == Decimal(700)


def test_opengraph_only_in_head_counts() -> None:
    html = b"""<html><head><meta property="product:price:amount" content="99"></head>
    <body><meta property="product:price:amount" content="99999"></body></html>"""
    assert read_html(html, "https://shop.example/p").price == Decimal(99)


def test_empty_and_garbage_bodies_give_an_empty_listing() -> None:
    assert read_html(b"", "https://shop.example/p").sources == {}
    assert read_html(b"\x00\xff\xfe garbage", "https://shop.example/p").price is None


def test_multiplier_words_are_not_read_as_a_price() -> None:
    html = '<div class="price">від 1,5 тис. грн</div>'.encode()
    assert read_html(html, "https://shop.example/p").price is None


def test_aggregate_offer_with_priceless_nested_offers_reads_the_range() -> None:
    # the shape of schema.org's AggregateOffer example: nested offers that only name where to buy
    page = b"""<html><head><script type="application/ld+json">
    {"@context": "https://schema.org", "@type": "Product", "name": "Nokia 3310",
     "offers": {"@type": "AggregateOffer", "lowPrice": "20.00", "highPrice": "100.00",
                "priceCurrency": "USD", "offerCount": "2",
                "offers": [{"@type": "Offer", "url": "https://a.example/nokia-3310"},
                           {"@type": "Offer", "url": "https://b.example/nokia-3310"}]}}
    </script></head><body></body></html>"""
    listing = read_html(page, "https://shop.example/nokia", "text/html", None)
    assert (listing.price, listing.high_price, listing.currency) == (Decimal("20.00"), Decimal("100.00"), "USD")
    assert listing.sources["price"] == "json-ld"
