"""Reading a product page: what it says about price, availability, condition, warranty and delivery.

Sources, in order of trust: JSON-LD (`application/ld+json`), microdata (`itemscope`/`itemprop`),
OpenGraph product tags in `<head>`, then the visible text of the price and availability areas. Each
JSON-LD block is read on its own, so one broken block does not lose the others: a block that is not
valid JSON is read again after removing what pages commonly wrap JSON in (HTML comments, CDATA
markers, `//` comment lines, trailing commas, HTML entities) and is reported in `markup_errors`
either way. `@graph` is flattened; `http://schema.org/…`, `https://schema.org/…` and bare enum values
are the same; `AggregateOffer` gives a price range; with several products or offers, the one whose
URL or SKU matches the feed offer is chosen. Each value remembers which source it came from.

Visible text is read from the page's price and availability areas only: Prom's `data-qaid` hooks,
`itemprop` attributes, and elements whose class names say price / availability / stock. Their text
is kept in `Listing.area_text` for the placeholder rule whatever the structured data says.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import lxml.etree
import lxml.html

from feedaudit.feeds.values import parse_decimal
from feedaudit.listings.fetch import Page
from feedaudit.model import Availability, Condition, Listing
from feedaudit.text import availability_from_text, condition_from_text

JSON_LD = "json-ld"
MICRODATA = "microdata"
OPENGRAPH = "opengraph"
VISIBLE = "visible-text"

_PRODUCT_TYPES = {"product", "productgroup", "productmodel", "individualproduct", "vehicle", "car"}
_OFFER_TYPES = {"offer", "aggregateoffer"}

_AVAILABILITY = {
    "instock": Availability.IN_STOCK,
    "onlineonly": Availability.IN_STOCK,
    "instoreonly": Availability.IN_STOCK,
    "limitedavailability": Availability.IN_STOCK,
    "outofstock": Availability.OUT_OF_STOCK,
    "soldout": Availability.OUT_OF_STOCK,
    "discontinued": Availability.OUT_OF_STOCK,
    "reserved": Availability.OUT_OF_STOCK,
    "preorder": Availability.PREORDER,
    "presale": Availability.PREORDER,
    "backorder": Availability.BACKORDER,
    "madetoorder": Availability.BACKORDER,
}
_CONDITION = {
    "newcondition": Condition.NEW,
    "usedcondition": Condition.USED,
    "refurbishedcondition": Condition.REFURBISHED,
    "damagedcondition": Condition.DISCOUNTED,
}
_CURRENCIES = {
    "uah": "UAH",
    "грн": "UAH",
    "грн.": "UAH",
    "₴": "UAH",
    "rub": "RUB",
    "rur": "RUB",
    "руб": "RUB",
    "руб.": "RUB",
    "₽": "RUB",
    "usd": "USD",
    "$": "USD",
    "eur": "EUR",
    "€": "EUR",
    "pln": "PLN",
    "zł": "PLN",
    "gbp": "GBP",
    "£": "GBP",
}
_UNIT_WORDS = {"MON": "months", "ANN": "years", "DAY": "days", "WEE": "weeks", "HUR": "hours"}
_VISIBLE_PRICE = re.compile(
    r"(?P<pre>[$€£₴₽])?\s*(?P<num>\d[\d\s\u00a0\u202f\u2009.,']*\d|\d)\s*(?P<post>грн\.?|₴|uah|руб\.?|₽|usd|eur|\$|€|£|zł)?",
    re.I,
)
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-z0-9_\-]+)""", re.I)
_CHARSET_HEADER = re.compile(r"charset\s*=\s*[\"']?([a-z0-9_\-]+)", re.I)
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")
_LINE_COMMENT = re.compile(r"^\s*//.*$", re.M)
_BLOCK_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_AREA_LIMIT = 300

_Data = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Target:
    """What the feed says the page is about, to pick the right product and offer on a busy page."""

    url: str | None = None
    ids: frozenset[str] = frozenset()  # offer id, vendor code, barcode, casefolded

    @classmethod
    def of(cls, url: str | None, *ids: str | None) -> Target:
        return cls(url, frozenset(i.strip().casefold() for i in ids if i and i.strip()))


@dataclass(slots=True)
class _Reading:
    """What one source says; fields left None when it does not say."""

    source: str
    price: Decimal | None = None
    price_text: str | None = None
    sale_price: Decimal | None = None
    high_price: Decimal | None = None
    valid_until: str | None = None
    currency: str | None = None
    availability: Availability | None = None
    availability_text: str | None = None
    condition: Condition | None = None
    condition_text: str | None = None
    warranty_text: str | None = None
    delivery_text: str | None = None


@dataclass(slots=True)
class _Page:
    readings: list[_Reading] = field(default_factory=list)
    area_text: dict[str, str] = field(default_factory=dict)
    markup_errors: list[str] = field(default_factory=list)


def extract_listing(page: Page, target: Target | None = None) -> Listing:
    """The `Listing` for a fetched page (or for why it could not be fetched)."""
    base = Listing(
        url=page.url,
        final_url=page.final_url,
        status=page.status,
        error=page.error,
        redirects=page.redirects,
    )
    if page.error is not None or page.status is None or not 200 <= page.status < 300:
        return base
    return read_html(page.body, page.final_url or page.url, page.content_type, target, base)


def read_html(
    body: bytes,
    url: str,
    content_type: str | None = None,
    target: Target | None = None,
    base: Listing | None = None,
) -> Listing:
    """Read a page's bytes into a `Listing` (`base` supplies url, status and the like)."""
    base = base or Listing(url=url, final_url=url, status=200)
    document = _parse(body, content_type)
    if document is None:
        return base
    found = _read_document(document, target or Target(url=url), url)
    return _combine(base, found)


# -- parsing ----------------------------------------------------------------------------------------


def _encoding(body: bytes, content_type: str | None) -> str:
    if content_type:
        match = _CHARSET_HEADER.search(content_type)
        if match:
            return match.group(1)
    match_bytes = _CHARSET.search(body[:4096])
    if match_bytes:
        return match_bytes.group(1).decode("ascii")
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return "windows-1251"
    return "utf-8"


def _parse(body: bytes, content_type: str | None) -> lxml.html.HtmlElement | None:
    if not body.strip():
        return None
    encoding = _encoding(body, content_type)
    try:
        text = body.decode(encoding, errors="replace")
    except LookupError:
        text = body.decode("utf-8", errors="replace")
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    parser = lxml.html.HTMLParser(no_network=True, remove_blank_text=False)
    try:
        return lxml.html.document_fromstring(text, parser=parser)
    except (lxml.etree.ParserError, ValueError):
        return None


def _read_document(document: lxml.html.HtmlElement, target: Target, page_url: str) -> _Page:
    found = _Page()
    nodes = list(_json_ld_products(document, found.markup_errors))
    reading = _from_products(nodes, target, page_url, JSON_LD)
    if reading is not None:
        found.readings.append(reading)
    reading = _from_products(list(_microdata_products(document)), target, page_url, MICRODATA)
    if reading is not None:
        found.readings.append(reading)
    reading = _from_opengraph(document)
    if reading is not None:
        found.readings.append(reading)
    found.readings.append(_from_visible(document, found.area_text))
    return found


def _combine(base: Listing, found: _Page) -> Listing:
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    priced = next((r for r in found.readings if r.price is not None or r.sale_price is not None), None)
    if priced is not None:
        values.update(
            price=priced.price if priced.price is not None else priced.sale_price,
            sale_price=priced.sale_price if priced.price is not None else None,
            price_text=priced.price_text,
            high_price=priced.high_price,
            price_valid_until=priced.valid_until,
        )
        sources["price"] = priced.source
        currency_from = priced if priced.currency else next((r for r in found.readings if r.currency), None)
        if currency_from is not None:
            values["currency"] = currency_from.currency
            sources["currency"] = currency_from.source
    for name, text_name in (("availability", "availability_text"), ("condition", "condition_text")):
        reading = next((r for r in found.readings if getattr(r, name) is not None), None)
        if reading is not None:
            values[name] = getattr(reading, name)
            values[text_name] = getattr(reading, text_name)
            sources[name] = reading.source
    for name in ("warranty_text", "delivery_text"):
        reading = next((r for r in found.readings if getattr(r, name)), None)
        if reading is not None:
            values[name] = getattr(reading, name)
            sources[name.removesuffix("_text")] = reading.source
    return Listing(
        url=base.url,
        final_url=base.final_url,
        status=base.status,
        error=base.error,
        redirects=base.redirects,
        sources=sources,
        area_text=dict(found.area_text),
        markup_errors=tuple(found.markup_errors),
        **values,
    )


# -- JSON-LD ----------------------------------------------------------------------------------------


def _json_ld_products(document: lxml.html.HtmlElement, errors: list[str]) -> Iterator[tuple[_Data, int]]:
    blocks = [
        script
        for script in document.iter("script")
        if (script.get("type") or "").split(";")[0].strip().lower() == "application/ld+json"
    ]
    for number, script in enumerate(blocks, start=1):
        data = _load_block(script.text or "", number, errors)
        if data is not None:
            yield from _product_nodes(data, 0)


def _load_block(text: str, number: int, errors: list[str]) -> Any:
    if not text.strip():
        errors.append(f"JSON-LD block {number} is empty")
        return None
    try:
        return json.loads(text, strict=False)
    except ValueError as exc:
        first_error = exc
    repaired = text.replace("<!--", "").replace("-->", "")
    repaired = re.sub(r"(//\s*)?<!\[CDATA\[|(//\s*)?\]\]>", "", repaired)
    repaired = _BLOCK_COMMENT.sub("", _LINE_COMMENT.sub("", repaired))
    repaired = _TRAILING_COMMA.sub(r"\1", repaired)
    if "&quot;" in repaired or "&#" in repaired:
        repaired = html.unescape(repaired)
    try:
        data = json.loads(repaired, strict=False)
    except ValueError:
        errors.append(f"JSON-LD block {number} is not valid JSON ({first_error}); it was skipped")
        return None
    errors.append(f"JSON-LD block {number} is not valid JSON ({first_error}); it was read after repair")
    return data


def _types(node: Mapping[str, Any]) -> set[str]:
    raw = node.get("@type", node.get("type"))
    values = raw if isinstance(raw, list) else [raw]
    return {_enum_name(str(v)) for v in values if isinstance(v, str)}


def _product_nodes(data: Any, depth: int) -> Iterator[tuple[_Data, int]]:
    """Product nodes (and lone offers, wrapped as products) with their nesting depth."""
    if isinstance(data, list):
        for item in data:
            yield from _product_nodes(item, depth)
        return
    if not isinstance(data, dict):
        return
    if "@graph" in data:
        yield from _product_nodes(data["@graph"], depth)
    types = _types(data)
    if types & _PRODUCT_TYPES:
        yield data, depth
        variants = data.get("hasVariant")
        if variants is not None:
            yield from _product_nodes(variants, depth + 1)
        return
    if types & _OFFER_TYPES:
        offered = data.get("itemOffered")
        product = dict(offered) if isinstance(offered, dict) else {}
        product["offers"] = data
        yield product, depth
        return
    for key, value in data.items():
        if key != "@graph" and isinstance(value, dict | list):
            yield from _product_nodes(value, depth + 1)


# -- microdata --------------------------------------------------------------------------------------


def _microdata_products(document: lxml.html.HtmlElement) -> Iterator[tuple[_Data, int]]:
    for element in document.iter():
        if not isinstance(element.tag, str) or element.get("itemscope") is None or element.get("itemprop"):
            continue
        yield from _product_nodes(_microdata_item(element), 0)


def _microdata_item(element: lxml.html.HtmlElement) -> _Data:
    item: _Data = {"@type": [_enum_name(t) for t in (element.get("itemtype") or "").split()]}
    for child in element:
        _collect_properties(child, item)
    return item


def _collect_properties(element: lxml.html.HtmlElement, item: _Data) -> None:
    if not isinstance(element.tag, str):
        return
    names = (element.get("itemprop") or "").split()
    nested = element.get("itemscope") is not None
    if names:
        value: Any = _microdata_item(element) if nested else _microdata_value(element)
        for name in names:
            item.setdefault(name, []).append(value)
    if nested:
        return
    for child in element:
        _collect_properties(child, item)


def _microdata_value(element: lxml.html.HtmlElement) -> str:
    tag = str(element.tag).lower()
    if element.get("content") is not None:
        return element.get("content") or ""
    attribute = {"link": "href", "a": "href", "area": "href", "img": "src", "data": "value", "meter": "value"}
    if tag in attribute:
        return element.get(attribute[tag]) or ""
    if tag == "time" and element.get("datetime"):
        return element.get("datetime") or ""
    return _squash(element.text_content())


# -- reading products and offers (shared by JSON-LD and microdata) ----------------------------------


def _from_products(nodes: list[tuple[_Data, int]], target: Target, page_url: str, source: str) -> _Reading | None:
    if not nodes:
        return None
    product = _choose_product(nodes, target, page_url)
    offers = _offer_list(product.get("offers"))
    offer = _choose_offer(offers, target)
    reading = _Reading(source)
    if offer is not None:
        _read_offer(offer, reading)
    if reading.condition is None:
        reading.condition_text = _scalar(product.get("itemCondition"))
        reading.condition = _condition(reading.condition_text)
    if reading.warranty_text is None:
        reading.warranty_text = _warranty(product.get("warranty"))
    return reading


def _offer_list(raw: Any) -> list[_Data]:
    items = raw if isinstance(raw, list) else [raw]
    result: list[_Data] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        nested = item.get("offers")
        if "aggregateoffer" in _types(item) and nested is not None:
            # schema.org's own example nests offers that only link to sellers: the range is the price
            inner = [offer for offer in _offer_list(nested) if _has_price(offer)]
            result.extend(inner or [item])
        else:
            result.append(item)
    return result


def _has_price(offer: _Data) -> bool:
    return any(offer.get(key) is not None for key in ("price", "lowPrice", "priceSpecification"))


def _identifiers(node: Mapping[str, Any]) -> set[str]:
    keys = ("sku", "mpn", "productID", "gtin", "gtin8", "gtin12", "gtin13", "gtin14", "identifier")
    return {value.strip().casefold() for key in keys if (value := _scalar(node.get(key)))}


def _same_url(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    return a.split("#")[0].rstrip("/") == b.split("#")[0].rstrip("/")


def _choose_product(nodes: list[tuple[_Data, int]], target: Target, page_url: str) -> _Data:
    def score(entry: tuple[int, tuple[_Data, int]]) -> tuple[int, int, int, int]:
        order, (node, depth) = entry
        urls = [_scalar(node.get("url")), _scalar(node.get("@id"))]
        offer_urls = [_scalar(o.get("url")) for o in _offer_list(node.get("offers"))]
        matched = any(_same_url(u, target.url) for u in urls + offer_urls)
        matched = matched or bool(_identifiers(node) & target.ids)
        matched = matched or any(_identifiers(o) & target.ids for o in _offer_list(node.get("offers")))
        own_page = any(_same_url(u, page_url) for u in urls)
        has_offers = bool(_offer_list(node.get("offers")))
        return (-int(matched), -int(own_page), depth - 10 * int(has_offers), order)

    return min(enumerate(nodes), key=score)[1][0]


def _choose_offer(offers: list[_Data], target: Target) -> _Data | None:
    for offer in offers:
        if _same_url(_scalar(offer.get("url")), target.url) or _identifiers(offer) & target.ids:
            return offer
    return offers[0] if offers else None


def _read_offer(offer: _Data, reading: _Reading) -> None:
    aggregate = "aggregateoffer" in _types(offer)
    price_key = "lowPrice" if aggregate and offer.get("price") is None else "price"
    price_text = _scalar(offer.get(price_key))
    specification = _price_specification(offer.get("priceSpecification"))
    if price_text is None and specification.get("price") is not None:
        price_text = specification["price"]
    reading.price_text = price_text
    current = _decimal(offer.get(price_key)) if offer.get(price_key) is not None else _decimal(price_text)
    strikethrough = _decimal(specification.get("strikethrough"))
    if strikethrough is not None and current is not None and strikethrough > current:
        reading.price, reading.sale_price = strikethrough, current
    else:
        reading.price = current
    if aggregate:
        reading.high_price = _decimal(offer.get("highPrice"))
    reading.valid_until = _scalar(offer.get("priceValidUntil")) or specification.get("valid_until")
    reading.currency = _currency(_scalar(offer.get("priceCurrency")) or specification.get("currency"))
    reading.availability_text = _scalar(offer.get("availability"))
    reading.availability = _availability(reading.availability_text)
    reading.condition_text = _scalar(offer.get("itemCondition"))
    reading.condition = _condition(reading.condition_text)
    reading.warranty_text = _warranty(offer.get("warranty"))
    reading.delivery_text = _delivery(offer.get("shippingDetails"))


def _price_specification(raw: Any) -> dict[str, str | None]:
    """`priceSpecification`: the current price and a struck-through (list) price, when given."""
    result: dict[str, str | None] = {}
    for spec in raw if isinstance(raw, list) else [raw]:
        if not isinstance(spec, dict):
            continue
        kind = _enum_name(_scalar(spec.get("priceType")) or "")
        price = _scalar(spec.get("price"))
        if kind in {"strikethroughprice", "listprice", "msrp"}:
            result["strikethrough"] = price
        elif "price" not in result:
            result["price"] = price
            result["currency"] = _scalar(spec.get("priceCurrency"))
            result["valid_until"] = _scalar(spec.get("validThrough"))
    return result


# -- OpenGraph --------------------------------------------------------------------------------------


def _from_opengraph(document: lxml.html.HtmlElement) -> _Reading | None:
    head = document.find("head")
    if head is None:
        return None
    tags: dict[str, str] = {}
    for meta in head.iter("meta"):
        name = (meta.get("property") or meta.get("name") or "").strip().lower()
        content = meta.get("content")
        if name.startswith(("product:", "og:")) and content is not None and name not in tags:
            tags[name] = content.strip()
    if not any(name.startswith("product:") or "price" in name for name in tags):
        return None
    reading = _Reading(OPENGRAPH)
    reading.price_text = tags.get("product:price:amount") or tags.get("og:price:amount")
    reading.price = _decimal(reading.price_text)
    reading.sale_price = _decimal(tags.get("product:sale_price:amount"))
    reading.currency = _currency(tags.get("product:price:currency") or tags.get("og:price:currency"))
    reading.valid_until = tags.get("product:sale_price_dates:end") if reading.sale_price is not None else None
    reading.availability_text = tags.get("product:availability") or tags.get("og:availability")
    reading.availability = _availability(reading.availability_text)
    reading.condition_text = tags.get("product:condition")
    reading.condition = _condition(reading.condition_text)
    return reading


# -- visible text -----------------------------------------------------------------------------------

_PRICE_CLASS = re.compile(r"price", re.I)
_OLD_CLASS = re.compile(r"old|compare|was|strike|crossed|small", re.I)
_STRUCK = {"s", "del", "strike"}
_AVAILABILITY_CLASS = re.compile(r"availability|in-stock|stock-status|product-stock|presence|status-label", re.I)
_WARRANTY_CLASS = re.compile(r"warranty|guarantee|garant", re.I)
_DELIVERY_CLASS = re.compile(r"delivery|shipping-time|dispatch", re.I)
_SKIP_ANCESTORS = {"script", "style", "noscript", "template", "head"}


def _from_visible(document: lxml.html.HtmlElement, area_text: dict[str, str]) -> _Reading:
    reading = _Reading(VISIBLE)
    price_el = _first(document, '//*[@data-qaid="product_price"]')
    if price_el is None:
        price_el = _first(document, "//*[@itemprop='price']")
    old_el = _first(document, '//*[@data-qaid="old_price"]')
    if price_el is None:
        price_el = _first_by_class(document, _PRICE_CLASS, avoid=_OLD_CLASS, innermost=True)
        old_el = old_el if old_el is not None else _first_by_class(document, _PRICE_CLASS, require=_OLD_CLASS)
    if price_el is not None:
        text = _squash(price_el.text_content())
        if text:
            area_text["price"] = text[:_AREA_LIMIT]
        amount, currency = _visible_price(price_el.get("data-qaprice") or text)
        old_amount, _ = (
            _visible_price(old_el.get("data-qaprice") or _squash(old_el.text_content()))
            if (old_el is not None)
            else (None, None)
        )
        reading.price_text = text or None
        if amount is not None and old_amount is not None and old_amount > amount:
            reading.price, reading.sale_price = old_amount, amount
        else:
            reading.price = amount
        reading.currency = currency or _currency(price_el.get("data-qacurrency"))
    presence = _first(document, '//*[@data-qaid="product_presence"]')
    if presence is None:
        presence = _first_by_class(document, _AVAILABILITY_CLASS)
    if presence is None:
        presence = _first(document, "//*[@itemprop='availability' and normalize-space(string(.)) != '']")
    if presence is not None:
        text = _squash(presence.text_content())
        if text:
            area_text["availability"] = text[:_AREA_LIMIT]
            status = availability_from_text(text)
            if status is not None and status is not Availability.UNKNOWN:
                reading.availability, reading.availability_text = status, text
    for pattern, name in ((_WARRANTY_CLASS, "warranty_text"), (_DELIVERY_CLASS, "delivery_text")):
        element = _first_by_class(document, pattern)
        if element is not None:
            text = _squash(element.text_content())
            if text:
                setattr(reading, name, text[:_AREA_LIMIT])
    return reading


def _first(document: lxml.html.HtmlElement, xpath: str) -> lxml.html.HtmlElement | None:
    found = document.xpath(xpath)
    for element in found if isinstance(found, list) else []:
        if isinstance(element, lxml.html.HtmlElement) and not _hidden(element):
            return element
    return None


def _first_by_class(
    document: lxml.html.HtmlElement,
    pattern: re.Pattern[str],
    *,
    avoid: re.Pattern[str] | None = None,
    require: re.Pattern[str] | None = None,
    innermost: bool = False,
) -> lxml.html.HtmlElement | None:
    """The first element whose class or id matches `pattern` (and `require`, but not `avoid`).

    An element inside `<s>`, `<del>` or `<strike>` counts as an old price. With `innermost`, an
    element that holds another match is passed over for that one (a price box holding the old and
    the current price gives the current price).
    """
    body = document.find("body")
    root = body if body is not None else document

    def matches(element: lxml.html.HtmlElement) -> bool:
        if not isinstance(element.tag, str) or element.tag in _SKIP_ANCESTORS:
            return False
        classes = f"{element.get('class') or ''} {element.get('id') or ''}"
        if not pattern.search(classes):
            return False
        struck = any(a.tag in _STRUCK for a in element.iterancestors()) or element.tag in _STRUCK
        old = struck or (avoid is not None and avoid.search(classes) is not None)
        if avoid is not None and old:
            return False
        if require is not None and not (struck or require.search(classes)):
            return False
        return not _hidden(element) and len(element.text_content()) <= 4 * _AREA_LIMIT

    for element in root.iter():
        if not matches(element):
            continue
        if innermost and any(matches(inner) for inner in element.iterdescendants()):
            continue
        return element
    return None


def _hidden(element: lxml.html.HtmlElement) -> bool:
    return (
        any((a.tag if isinstance(a.tag, str) else "") in _SKIP_ANCESTORS for a in element.iterancestors())
        or element.tag in _SKIP_ANCESTORS
    )


def _visible_price(text: str | None) -> tuple[Decimal | None, str | None]:
    """A price and currency from visible text (`'1 299 грн'`, `'₴999.00'`); None when it has no number."""
    if not text:
        return None, None
    match = _VISIBLE_PRICE.search(text)
    if match is None:
        return None, None
    tail = text[match.end() : match.end() + 8].strip().casefold()
    if tail.startswith(("тис", "тыс", "k ")):
        return None, None  # "1,5 тис. грн": a multiplier, not a price to compare
    amount = parse_decimal(match.group("num"))
    return amount, _currency(match.group("pre") or match.group("post"))


# -- values -----------------------------------------------------------------------------------------


def _scalar(value: Any) -> str | None:
    """The first plain value of a JSON-LD / microdata property, as text."""
    if isinstance(value, list):
        for item in value:
            found = _scalar(item)
            if found is not None:
                return found
        return None
    if isinstance(value, dict):
        for key in ("@id", "@value", "value", "name"):
            if key in value:
                return _scalar(value[key])
        return None
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    return text or None


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, list):
        value = next((v for v in value if v is not None), None)
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        try:
            result = Decimal(str(value))
        except InvalidOperation:
            return None
        return result if result.is_finite() else None
    return parse_decimal(_scalar(value))


def _enum_name(text: str) -> str:
    """`'http://schema.org/InStock'`, `'https://schema.org/InStock'`, `'schema:InStock'` → `'instock'`."""
    return re.split(r"[/:#]", text.strip())[-1].casefold()


def _availability(text: str | None) -> Availability | None:
    if not text:
        return None
    known = _AVAILABILITY.get(_enum_name(text).replace("_", "").replace(" ", ""))
    return known if known is not None else availability_from_text(text)


def _condition(text: str | None) -> Condition | None:
    if not text:
        return None
    known = _CONDITION.get(_enum_name(text))
    return known if known is not None else condition_from_text(text)


def _currency(text: str | None) -> str | None:
    if not text:
        return None
    cleaned = text.strip()
    return _CURRENCIES.get(cleaned.casefold(), cleaned.upper() if re.fullmatch(r"[A-Za-z]{3}", cleaned) else None)


def _quantity(value: Any) -> str | None:
    if not isinstance(value, dict):
        return _scalar(value)
    low, high = _scalar(value.get("minValue")), _scalar(value.get("maxValue"))
    amount = _scalar(value.get("value"))
    unit = _UNIT_WORDS.get((_scalar(value.get("unitCode")) or "").upper(), _scalar(value.get("unitText")) or "")
    span = amount or (f"{low}-{high}" if low and high and low != high else low or high)
    return f"{span} {unit}".strip() if span else None


def _warranty(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        return _quantity(value.get("durationOfWarranty")) or _scalar(value.get("name"))
    return _scalar(value)


def _delivery(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if not isinstance(value, dict):
        return None
    time = value.get("deliveryTime")
    if not isinstance(time, dict):
        return None
    parts = []
    for key, label in (("handlingTime", "handling"), ("transitTime", "transit")):
        text = _quantity(time.get(key))
        if text:
            parts.append(f"{label} {text}")
    return ", ".join(parts) or None


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()
