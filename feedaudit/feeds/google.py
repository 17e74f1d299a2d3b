"""Google Merchant Center RSS 2.0 / Atom feeds with the `g:` namespace, and Meta catalog feeds.

Google's documented shapes are RSS 2.0, RSS 1.0 (`rdf:RDF`, items beside the channel) and Atom 1.0 / 0.3.
The only code that knows Google and Meta spellings: `g:price` as "15.00 USD" (only the direct child of
the item: the `g:price` inside `g:shipping` is a shipping cost), `g:sale_price`, the legacy
`in stock` spellings, `g:condition`, handling and transit times inside `g:shipping`, `g:product_detail`
warranty sections, and Atom's `<id>` (the entry id) versus `g:id` (the product id; an entry without
`g:id` is identified by its `<id>` when that is a product code, not an IRI such as `tag:…`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree

from feedaudit.feeds import stated
from feedaudit.feeds.fields import Children, TextField, plain_fields, take
from feedaudit.feeds.limits import ReadLimits
from feedaudit.feeds.source import Readable
from feedaudit.feeds.values import parse_int, split_price_currency, text_of
from feedaudit.feeds.xmlstream import RecordStream, local
from feedaudit.model import Availability, Condition, Dialect, FeedInfo, FeedIssue, Offer, Param
from feedaudit.text import normalise

GOOGLE_NS = "http://base.google.com/ns/1.0"
ROOT_TAGS = ("rss", "feed", "{*}feed", "{*}RDF")
RECORD_TAGS = ("item", "{*}item", "entry", "{*}entry")
AVAILABILITY_VALUES = {
    "in_stock": Availability.IN_STOCK,
    "in stock": Availability.IN_STOCK,
    "limited availability": Availability.IN_STOCK,
    "out_of_stock": Availability.OUT_OF_STOCK,
    "out of stock": Availability.OUT_OF_STOCK,
    "discontinued": Availability.OUT_OF_STOCK,
    "preorder": Availability.PREORDER,
    "backorder": Availability.BACKORDER,
    "available for order": Availability.BACKORDER,
    "on display to order": Availability.BACKORDER,
}
CONDITION_VALUES = {"new": Condition.NEW, "used": Condition.USED, "refurbished": Condition.REFURBISHED}

# Where the item's fields are: canonical field, then the elements that spell it (`g:` first, then the
# same name without a namespace); an empty element gives way to the next spelling.
# Text that goes to the offer as it stands:
PLAIN_FIELDS = (
    TextField("description", ("description", "summary"), skip_empty=True),
    TextField("vendor", ("brand",)),
    TextField("vendor_code", ("mpn",)),
    TextField("barcode", ("gtin",)),
)
# Text this reader interprets:
OFFER_ID = TextField("offer_id", ("id",))  # in Atom, `g:id`; a plain `<id>` only when it is no entry IRI
NAME = TextField("name", ("title",))
CATEGORY = TextField("category", ("product_type", "google_product_category"), skip_empty=True)
PRICE = TextField("price", ("price",))  # "15.00 USD"; the one inside `g:shipping` is a shipping cost
SALE_PRICE = TextField("sale_price", ("sale_price",))
AVAILABILITY = TextField("availability", ("availability",))
QUANTITY = TextField("quantity", ("quantity_to_sell_on_facebook", "quantity", "inventory"), skip_empty=True)
CONDITION = TextField("condition", ("condition",))
# An Atom entry id written as an IRI (`tag:shop,2026:1`, `urn:uuid:…`, a URL) names the entry, not the product.
_ENTRY_IRI = re.compile(r"(?i)(?:tag|urn|https?|uuid):")
WARRANTY_WORDS = ("warranty", "guarantee", "гарантія", "гарантия")


def read(
    stream: Readable,
    feed: FeedInfo,
    *,
    dialect: Dialect = Dialect.GOOGLE,
    marketplace: str | None = None,
    limits: ReadLimits | None = None,
) -> Iterator[Offer | FeedIssue]:
    records = RecordStream(stream, feed.source, RECORD_TAGS, roots=ROOT_TAGS, limits=limits)
    first = True
    for item in records:
        if isinstance(item, FeedIssue):
            yield item
            continue
        if first:
            first = False
            feed.flavour = marketplace or dialect.value
            _capture_shop(item, feed)
        yield _offer(item, feed, dialect, records.column)
        records.release(item)


def _capture_shop(item: etree._Element, feed: FeedInfo) -> None:
    channel = item.getparent()
    if channel is None:
        return
    if local(channel.tag) == "RDF":  # RSS 1.0: items are siblings of the channel, not its children
        channel = next((child for child in channel if local(child.tag) == "channel"), None)
        if channel is None:
            return
    for child in channel:
        name = local(child.tag)
        if name == "title" and feed.shop.name is None:
            feed.shop.name = text_of(child.text)
        elif name == "link" and feed.shop.url is None:
            feed.shop.url = text_of(child.text) or text_of(child.get("href"))
        elif name in {"lastBuildDate", "pubDate", "updated"} and feed.shop.feed_date is None:
            feed.shop.feed_date = text_of(child.text)


def _offer(element: etree._Element, feed: FeedInfo, dialect: Dialect, column: int | None = None) -> Offer:
    google: Children = {}
    plain: Children = {}
    shipping: list[etree._Element] = []
    details: list[etree._Element] = []
    for child in element:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        name = local(tag)
        is_google = tag.startswith("{" + GOOGLE_NS + "}")
        if is_google and name == "shipping":
            shipping.append(child)
        elif is_google and name == "product_detail":
            details.append(child)
        elif is_google:
            google.setdefault(name, child)
        else:
            plain.setdefault(name, child)
    children = {**plain, **google}  # `g:price` over a plain `price`
    lines: dict[str, int] = {}

    offer_id = take(children if local(element.tag) != "entry" else google, OFFER_ID, lines)
    if offer_id is None and local(element.tag) == "entry":
        entry_id = plain.get("id")
        if entry_id is not None and not _ENTRY_IRI.match((entry_id.text or "").strip()):
            offer_id = take(plain, OFFER_ID, lines)  # no g:id, and <id> is a product code, not an entry IRI
    link = children.get("link")
    url = None
    if link is not None:
        lines["url"] = link.sourceline or 0
        url = text_of(link.text) or text_of(link.get("href"))

    price_text = take(children, PRICE, lines)
    sale_text = take(children, SALE_PRICE, lines)
    price, currency = split_price_currency(price_text)
    old_price_text: str | None = None
    old_price = None
    if sale_text:
        sale, sale_currency = split_price_currency(sale_text)
        old_price_text, old_price = price_text, price
        price_text, price, currency = sale_text, sale, sale_currency or currency
        lines["old_price"] = lines.get("price", 0)
        lines["price"] = lines.get("sale_price", 0)

    availability_text = take(children, AVAILABILITY, lines)
    availability = None if availability_text is None else stated.availability(availability_text, AVAILABILITY_VALUES)
    quantity_text = take(children, QUANTITY, lines)
    condition_text = take(children, CONDITION, lines)
    # Google takes its three values only: «вживаний» is no condition there (CN002 reports it)
    condition = CONDITION_VALUES.get(condition_text.casefold()) if condition_text else None

    warranty_text, warranty_line = _warranty(details)
    if warranty_line:
        lines["warranty"] = warranty_line

    delivery_min, delivery_max, delivery_text = _delivery(google, shipping, lines)
    params = tuple(
        Param(name, (child.text or "").strip(), None, child.sourceline)
        for name, child in google.items()
        if len(child) == 0 and name not in {"id", "title", "description", "link", "price", "sale_price"}
    )

    return Offer(
        source=feed.source,
        line=element.sourceline or 0,
        column=column,
        dialect=dialect,
        offer_id=text_of(offer_id),
        url=url,
        name=text_of(take(children, NAME, lines)),
        category=text_of(take(children, CATEGORY, lines)),
        price=price,
        price_text=price_text,
        old_price=old_price,
        old_price_text=old_price_text,
        currency=currency,
        availability=availability,
        availability_text=availability_text,
        quantity=parse_int(quantity_text),
        quantity_text=quantity_text,
        condition=condition,
        condition_text=condition_text,
        warranty_months=stated.warranty_months(warranty_text) if warranty_text is not None else None,
        warranty_text=warranty_text,
        delivery_min_days=delivery_min,
        delivery_max_days=delivery_max,
        delivery_text=delivery_text,
        params=params,
        lines=lines,
        **plain_fields(children, PLAIN_FIELDS, lines),
    )


def _warranty(details: list[etree._Element]) -> tuple[str | None, int | None]:
    for detail in details:
        values = {local(child.tag): (child.text or "").strip() for child in detail}
        label = normalise(" ".join((values.get("section_name", ""), values.get("attribute_name", ""))))
        if any(word in label for word in WARRANTY_WORDS):
            return values.get("attribute_value") or None, detail.sourceline
    return None, None


def _delivery(
    google: dict[str, etree._Element], shipping: list[etree._Element], lines: dict[str, int]
) -> tuple[int | None, int | None, str | None]:
    """Handling plus transit time, fastest shipping option first; shipping values override top-level ones."""
    top_min = parse_int(_text(google.get("min_handling_time")))
    top_max = parse_int(_text(google.get("max_handling_time")))
    best: tuple[int | None, int | None, str | None] = (None, None, None)
    for option in shipping:
        values = {local(child.tag): (child.text or "").strip() for child in option}
        transit_min = parse_int(values.get("min_transit_time"))
        transit_max = parse_int(values.get("max_transit_time"))
        handling_min = parse_int(values.get("min_handling_time"))
        handling_max = parse_int(values.get("max_handling_time"))
        handling_min = handling_min if handling_min is not None else top_min
        handling_max = handling_max if handling_max is not None else top_max
        if transit_min is None and transit_max is None and handling_min is None and handling_max is None:
            continue
        low = (handling_min or 0) + (transit_min or 0) if (handling_min, transit_min) != (None, None) else None
        high = (handling_max or 0) + (transit_max if transit_max is not None else transit_min or 0)
        text = "shipping " + " ".join(f"{k}={v}" for k, v in values.items() if k.endswith("_time"))
        if best[1] is None or high < best[1]:
            best = (low, high, text)
            lines["delivery"] = option.sourceline or 0
    if best[2] is None:
        label = google.get("transit_time_label")
        if top_min is not None or top_max is not None:
            element = google.get("min_handling_time")
            if element is None:
                element = google.get("max_handling_time")
            if element is not None:
                lines["delivery"] = element.sourceline or 0
            return top_min, top_max, f"handling {top_min}-{top_max}"
        if label is not None:
            lines["delivery"] = label.sourceline or 0
            return None, None, _text(label)
    return best


def _text(element: etree._Element | None) -> str | None:
    return None if element is None else text_of(element.text)
