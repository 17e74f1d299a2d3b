"""LS: live listings: what the product page shows against what the feed (and the inventory) says.

Page-only rules (scope LISTING) judge a page on its own: it cannot be fetched, it is gone, it shows a
placeholder, it has no machine-readable price, its structured data is broken. They run for
`feedaudit listing URL…` and for every page fetched by `feedaudit check --listings`. Comparison
rules (scope OFFER_LISTING) set the page beside its feed offer. Every finding carries the page URL;
comparisons carry what the feed (or inventory) says as `expected` and what the page says as `actual`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from urllib.parse import urlsplit

from pydantic import Field

from feedaudit import lexicon
from feedaudit.feeds.prices import currency_code
from feedaudit.model import Availability, Condition, InventoryItem, Listing, Offer, Problem, Severity
from feedaudit.rules.base import NoOptions, RuleContext, listing_rule, offer_listing_rule
from feedaudit.section import Section
from feedaudit.text import first_phrase, normalise

_GONE = {404, 410}
_STOCK_CLASS = {
    Availability.IN_STOCK: "in stock",
    Availability.OUT_OF_STOCK: "out of stock",
    Availability.PREORDER: "for order",
    Availability.BACKORDER: "for order",
    Availability.ON_REQUEST: "for order",
}


class PriceTolerance(Section):
    """How far a page price may be from the other price before it counts as different."""

    tolerance: Decimal = Field(default=Decimal("0.01"), ge=0, description="Absolute difference allowed.")
    tolerance_percent: Decimal = Field(
        default=Decimal(0), ge=0, le=100, description="Difference allowed, as a percentage of the page price."
    )


# -- page on its own ------------------------------------------------------------------------------


def _fetched(listing: Listing) -> bool:
    return listing.error is None and listing.status is not None and 200 <= listing.status < 300


@listing_rule(
    "LS001",
    "page-unreachable",
    summary="The product page cannot be fetched",
    severity=Severity.ERROR,
)
def page_unreachable(listing: Listing, ctx: RuleContext[NoOptions]) -> Iterator[Problem]:
    """
    ## What it does
    Reports a product page that could not be fetched: the connection failed or timed out, the server
    answered with an error status (5xx after retries, 403, 429 …), the redirects looped or were too
    many, the page was larger than the size cap, the address is a private one, or the shop's
    robots.txt does not let crawlers fetch it. (404 and 410 are reported by `page-gone`.)

    ## Why is this bad?
    Marketplaces and Google Merchant Center fetch the landing page of every offer; an offer whose
    page they cannot load is disapproved ("landing page unavailable", "not crawlable due to
    robots.txt") and buyers who click it see an error.

    ## Example
    ```text
    https://shop.example.ua/p/42 -> 503 Service Unavailable (3 attempts)
    ```

    Use instead:
    ```text
    https://shop.example.ua/p/42 -> 200 OK, the product page
    ```
    """
    if listing.error is not None:
        yield Problem(f"page could not be fetched: {listing.error}", field="url", url=listing.url, actual=listing.error)
    elif listing.status is not None and not 200 <= listing.status < 300 and listing.status not in _GONE:
        yield Problem(
            f"page answered HTTP {listing.status}", field="url", url=listing.url, actual=f"HTTP {listing.status}"
        )


@listing_rule(
    "LS002",
    "page-gone",
    summary="The product page is gone (404 / 410) or redirects to the home page",
    severity=Severity.ERROR,
)
def page_gone(listing: Listing, ctx: RuleContext[NoOptions]) -> Iterator[Problem]:
    """
    ## What it does
    Reports a product page that answers 404 Not Found or 410 Gone, or whose redirects end on the
    shop's home page instead of a product.

    ## Why is this bad?
    The offer still advertises a product the shop no longer shows. Buyers land on an error or on the
    home page, and marketplaces disapprove the offer for a broken landing page.

    ## Example
    ```text
    https://shop.example.ua/p/42 -> 301 -> https://shop.example.ua/
    ```

    Use instead:
    ```text
    remove the offer from the feed, or fix its <url> to the product's current page
    ```
    """
    if listing.status in _GONE:
        yield Problem(f"page is gone (HTTP {listing.status})", field="url", url=listing.url, actual=str(listing.status))
    elif _fetched(listing) and listing.redirects and _is_home(listing.final_url):
        yield Problem(
            f"page redirects to the home page {listing.final_url}",
            field="url",
            url=listing.url,
            actual=listing.final_url,
        )


def _is_home(url: str | None) -> bool:
    """Whether `url` is a site's home page (`/`, or a language root such as `/ua/`)."""
    if not url:
        return False
    parts = urlsplit(url)
    return not parts.query and parts.path.strip("/") in {"", "ua", "ru", "uk", "en"}


@listing_rule(
    "LS003",
    "page-placeholder-text",
    summary="The product page shows a placeholder instead of a price or availability",
    severity=Severity.ERROR,
)
def page_placeholder_text(listing: Listing, ctx: RuleContext[NoOptions]) -> Iterator[Problem]:
    """
    ## What it does
    Reports a product page whose price or availability area says "уточнюйте ціну", "ціна договірна",
    "цена по запросу", "check availability" and the like, or whose price is 0. Only the price and
    availability areas are read (structured data values and the visible price / stock labels), never
    descriptions, so "уточнюйте розмір у менеджера" in a description is not a finding.

    ## Why is this bad?
    A buyer cannot order at a price the page will not state. Prom, Rozetka and Google treat "price on
    request" and "check availability" as missing price and stock and hide or disapprove the offer.

    ## Example
    ```html
    <div data-qaid="product_price">Ціну уточнюйте</div>
    ```

    Use instead:
    ```html
    <div data-qaid="product_price" data-qaprice="1299">1 299 ₴</div>
    ```
    """
    if not _fetched(listing):
        return
    for area, phrases, raw in (
        ("price", lexicon.phrases("page-placeholder.price"), listing.price_text),
        ("availability", lexicon.phrases("page-placeholder.availability"), listing.availability_text),
    ):
        for text in dict.fromkeys(t for t in (listing.area_text.get(area), raw) if t):
            phrase = first_phrase(phrases, normalise(text))
            if phrase is not None:
                yield Problem(
                    f"page shows a placeholder in its {area} area: {text!r}",
                    field=area,
                    value=text,
                    url=listing.url,
                    actual=text,
                )
                break
    if listing.price is not None and listing.price == 0 and listing.sale_price is None:
        yield Problem("page price is 0", field="price", value=listing.price_text or "0", url=listing.url, actual="0")


@listing_rule(
    "LS004",
    "missing-structured-price",
    summary="The product page has no machine-readable price",
    severity=Severity.WARNING,
)
def missing_structured_price(listing: Listing, ctx: RuleContext[NoOptions]) -> Iterator[Problem]:
    """
    ## What it does
    Reports a fetched product page with no price in its structured data: no schema.org `Offer` price
    in JSON-LD or microdata and no OpenGraph `product:price:amount`. It says whether a price could be
    read from the visible text at least.

    ## Why is this bad?
    Google Merchant Center, Meta and price comparison sites read the price from structured data to
    check the feed and to update prices automatically; without it they fall back to guessing, and
    Google disapproves offers whose price it cannot verify.

    ## Example
    ```html
    <span class="price">1 299 грн</span>
    ```

    Use instead:
    ```html
    <script type="application/ld+json">
    {"@context": "https://schema.org", "@type": "Product", "name": "Чайник",
     "offers": {"@type": "Offer", "price": "1299", "priceCurrency": "UAH"}}
    </script>
    ```
    """
    if not _fetched(listing):
        return
    source = listing.sources.get("price")
    if source is None:
        yield Problem("page has no price, in structured data or in text", field="url", url=listing.url)
    elif source == "visible-text":
        yield Problem(
            f"page has no machine-readable price (only the visible text {listing.price_text!r})",
            field="url",
            url=listing.url,
            actual=listing.price_text,
        )


@listing_rule(
    "LS005",
    "malformed-structured-data",
    summary="A JSON-LD block on the product page is empty or not valid JSON",
    severity=Severity.WARNING,
)
def malformed_structured_data(listing: Listing, ctx: RuleContext[NoOptions]) -> Iterator[Problem]:
    """
    ## What it does
    Reports each `<script type="application/ld+json">` block on the page that is empty or is not
    valid JSON (a trailing comma, a `//` comment, an unclosed brace). feedaudit still reads what it
    can, block by block, and says whether the block could be read after repair.

    ## Why is this bad?
    Strict readers (Google, and extruct-based tools that price comparison sites use) drop an invalid
    block, and some drop every JSON-LD block on the page because of one bad one, so the page loses
    its price and availability markup.

    ## Example
    ```html
    <script type="application/ld+json">{"@type": "Product", "offers": {"price": "1299",},}</script>
    ```

    Use instead:
    ```html
    <script type="application/ld+json">{"@type": "Product", "offers": {"price": "1299"}}</script>
    ```
    """
    if not _fetched(listing):
        return
    for error in listing.markup_errors:
        yield Problem(error, field="url", url=listing.url, actual=error)


# -- page against the feed ------------------------------------------------------------------------


def _expired(valid_until: str | None, today: date) -> bool:
    if not valid_until:
        return False
    try:
        return date.fromisoformat(valid_until.strip()[:10]) < today
    except ValueError:
        return False


def _page_price(listing: Listing, today: date) -> tuple[Decimal | None, str]:
    """The price a buyer pays on the page today, and how it was read."""
    if listing.sale_price is not None:
        if _expired(listing.price_valid_until, today):
            return listing.price, f"regular price; the sale ended {listing.price_valid_until}"
        return listing.sale_price, f"sale price; regular {_money(listing.price)}"
    if listing.high_price is not None and listing.price is not None:
        return listing.price, f"range {_money(listing.price)}-{_money(listing.high_price)}"
    return listing.price, ""


def _money(value: Decimal | None) -> str:
    if value is None:
        return "?"
    return format(value.normalize(), "f") if value == value.to_integral_value() else format(value, "f")


def _currency(code: str | None) -> str | None:
    if not code:
        return None
    return currency_code(code) or code.strip().upper()


def _price_problem(
    stated: Decimal,
    stated_currency: str | None,
    listing: Listing,
    options: PriceTolerance,
    whose: str,
) -> Problem | None:
    page, how = _page_price(listing, date.today())
    if page is None:
        return None
    source = listing.sources.get("price", "page")
    detail = f" ({source}{', ' + how if how else ''})"
    page_currency = _currency(listing.currency)
    ours = _currency(stated_currency)
    if page_currency and ours and page_currency != ours:
        return Problem(
            f"page price is in {page_currency}, the {whose} price in {ours}{detail}",
            field="price",
            url=listing.url,
            expected=f"{_money(stated)} {ours}",
            actual=f"{_money(page)} {page_currency}",
        )
    if listing.high_price is not None and listing.sale_price is None and page <= stated <= listing.high_price:
        return None
    allowed = max(options.tolerance, abs(page) * options.tolerance_percent / 100)
    if abs(page - stated) <= allowed:
        return None
    return Problem(
        f"page price {_money(page)} differs from the {whose} price {_money(stated)}{detail}",
        field="price",
        url=listing.url,
        expected=_money(stated),
        actual=_money(page),
    )


@offer_listing_rule(
    "LS006",
    "page-price-mismatch",
    summary="The product page shows another price than the feed",
    severity=Severity.ERROR,
    options=PriceTolerance,
    reads=("price", "currency"),
)
def page_price_mismatch(offer: Offer, listing: Listing, ctx: RuleContext[PriceTolerance]) -> Iterator[Problem]:
    """
    ## What it does
    Compares the offer's price with the price its page charges today, beyond a tolerance. A sale is
    understood: when the page offers a sale price (OpenGraph `product:sale_price`, a current price
    beside a struck-through one), the sale price is what the buyer pays, until the page's
    `priceValidUntil` has passed. A price range (`AggregateOffer`) matches any price inside it.
    Prices in different currencies are reported as such, not converted.

    ## Why is this bad?
    A price on the page that differs from the feed is the commonest reason Google Merchant Center
    disapproves offers ("mismatched value (page crawl) [price]"), and Prom and Rozetka penalise
    shops whose buyers are charged more than the listing said.

    ## Example
    ```text
    feed: <price>1199</price>     page: "price": "1299"
    ```

    Use instead:
    ```text
    feed: <price>1299</price>     page: "price": "1299"
    ```

    ## Options
    - `tolerance` (default `0.01`): absolute difference allowed.
    - `tolerance-percent` (default `0`): difference allowed as a percentage of the page price.
    """
    if not _fetched(listing) or offer.price is None:
        return
    problem = _price_problem(offer.price, offer.currency, listing, ctx.options, "feed")
    if problem is not None:
        yield problem


def _stock_class(availability: Availability | None) -> str | None:
    return None if availability is None else _STOCK_CLASS.get(availability)


@offer_listing_rule(
    "LS007",
    "page-availability-mismatch",
    summary="The product page shows other availability than the feed",
    severity=Severity.ERROR,
    reads=("availability",),
)
def page_availability_mismatch(offer: Offer, listing: Listing, ctx: RuleContext[NoOptions]) -> Iterator[Problem]:
    """
    ## What it does
    Compares the offer's availability with the page's, as three states: in stock; out of stock;
    for order (pre-order, back-order, "під замовлення"). schema.org values (`InStock`,
    `http://schema.org/OutOfStock`, `PreOrder` …), OpenGraph values (`in stock`) and visible labels
    («В наявності», «Немає в наявності») are all understood. Nothing is reported when either side
    states no availability.

    ## Why is this bad?
    An offer listed as in stock whose page says sold out sends buyers to a dead end; Google
    disapproves it ("mismatched value (page crawl) [availability]") and marketplaces count the
    cancelled orders against the shop.

    ## Example
    ```text
    feed: <offer available="true">     page: "availability": "https://schema.org/OutOfStock"
    ```

    Use instead:
    ```text
    feed: <offer available="false">    page: "availability": "https://schema.org/OutOfStock"
    ```
    """
    if not _fetched(listing):
        return
    feed_state, page_state = _stock_class(offer.availability), _stock_class(listing.availability)
    if feed_state is None or page_state is None or feed_state == page_state:
        return
    yield Problem(
        f"page says {page_state}, the feed {feed_state} ({listing.sources.get('availability', 'page')}:"
        f" {listing.availability_text!r})",
        field="availability",
        url=listing.url,
        expected=feed_state,
        actual=page_state,
    )


@offer_listing_rule(
    "LS008",
    "page-condition-mismatch",
    summary="The product page states another condition than the feed",
    severity=Severity.WARNING,
    reads=("condition",),
)
def page_condition_mismatch(offer: Offer, listing: Listing, ctx: RuleContext[NoOptions]) -> Iterator[Problem]:
    """
    ## What it does
    Compares the offer's condition (new, used, refurbished, discounted) with the condition the page
    marks up (`itemCondition`, OpenGraph `product:condition`). An offer without a condition label is
    read as new, as marketplaces read it. Nothing is reported when the page states no condition.

    ## Why is this bad?
    Selling a used or refurbished item as new is a consumer-protection fault; Google disapproves
    offers whose page condition differs from the feed, and Prom and Rozetka require used and
    refurbished goods to be labelled so.

    ## Example
    ```text
    feed: (no condition)     page: "itemCondition": "https://schema.org/RefurbishedCondition"
    ```

    Use instead:
    ```text
    feed: <condition type="refurbished"/>     page: "itemCondition": "https://schema.org/RefurbishedCondition"
    ```
    """
    if not _fetched(listing) or listing.condition is None:
        return
    stated = offer.condition or Condition.NEW
    if stated == listing.condition:
        return
    unlabelled = " (no label, read as new)" if offer.condition is None else ""
    yield Problem(
        f"page says {listing.condition.value}, the feed {stated.value}{unlabelled}",
        field="condition",
        url=listing.url,
        expected=stated.value,
        actual=listing.condition.value,
    )


def _inventory_state(item: InventoryItem) -> Availability | None:
    if item.availability is not None and item.availability is not Availability.UNKNOWN:
        return item.availability
    if item.quantity is not None:
        return Availability.IN_STOCK if item.quantity > 0 else Availability.OUT_OF_STOCK
    return None


@offer_listing_rule(
    "LS009",
    "page-inventory-mismatch",
    summary="The product page shows another price or availability than the inventory",
    severity=Severity.ERROR,
    options=PriceTolerance,
    reads=("offer_id", "currency"),
)
def page_inventory_mismatch(offer: Offer, listing: Listing, ctx: RuleContext[PriceTolerance]) -> Iterator[Problem]:
    """
    ## What it does
    When an inventory is given (`--inventory`), compares the page of each offer with the shop's own
    inventory row for it: the price (with the same sale and tolerance handling as
    `page-price-mismatch`) and the availability (the inventory's status, or its quantity: above 0 is
    in stock). Offers not found in the inventory are left to the inventory rules.

    ## Why is this bad?
    The feed may agree with the page while both disagree with the warehouse: the site shows a price
    or stock level the shop cannot honour, and orders are cancelled or sold at a loss.

    ## Example
    ```text
    inventory: KT-1, 1299 UAH, qty 0     page: 1299 UAH, InStock
    ```

    Use instead:
    ```text
    inventory: KT-1, 1299 UAH, qty 0     page: 1299 UAH, OutOfStock
    ```

    ## Options
    - `tolerance` (default `0.01`): absolute difference allowed.
    - `tolerance-percent` (default `0`): difference allowed as a percentage of the page price.
    """
    lookup = ctx.inventory
    if lookup is None or not _fetched(listing):
        return
    item = lookup.match(offer)
    if not isinstance(item, InventoryItem):
        return
    if item.price is not None:
        problem = _price_problem(item.price, item.currency or offer.currency, listing, ctx.options, "inventory")
        if problem is not None:
            yield problem
    stock, page_state = _stock_class(_inventory_state(item)), _stock_class(listing.availability)
    if stock is not None and page_state is not None and stock != page_state:
        yield Problem(
            f"page says {page_state}, the inventory {stock}"
            + (f" (quantity {item.quantity})" if item.quantity is not None else ""),
            field="availability",
            url=listing.url,
            expected=stock,
            actual=page_state,
        )
