"""Yandex YML and its derivatives: Prom, Rozetka, Epicentr, MAUDAU, EVA, Allo-YML.

Records are `yml_catalog/shop/offers/offer` (Epicentr: `yml_catalog/offers/offer`, no `shop`). This
module is the only code that knows how these feeds spell price, stock, condition, warranty and
delivery. The one semantic split between the derivatives is `available="false"`: "on order" for
Yandex and Prom, "not in stock" for Rozetka and Epicentr; the flavour is told from the feed's own
marks unless the caller names the marketplace.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from lxml import etree

from feedaudit.feeds.source import Readable
from feedaudit.feeds.values import (
    iso_duration_months,
    parse_bool,
    parse_day_range,
    parse_decimal,
    parse_int,
    text_of,
)
from feedaudit.feeds.xmlstream import RecordStream, local
from feedaudit.model import Availability, Condition, Dialect, FeedInfo, FeedIssue, Offer, Param
from feedaudit.text import availability_from_text, condition_from_text, period_months

RECORD_TAGS = ("offer", "{*}offer")

OLD_PRICE_TAGS = ("oldprice", "price_old", "old_price")
QUANTITY_TAGS = ("quantity_in_stock", "stock_quantity", "count", "quantity", "stock")
CONDITION_TYPES = {
    "used": Condition.USED,
    "preowned": Condition.USED,
    "refurbished": Condition.REFURBISHED,
    "likenew": Condition.DISCOUNTED,
    "showcasesample": Condition.DISCOUNTED,
    "reduction": Condition.DISCOUNTED,
    "new": Condition.NEW,
}
CONDITION_PARAMS = ("стан", "стан товару", "состояние", "состояние товара", "condition", "state")
WARRANTY_PARAMS = (
    "гарантія",
    "гарантия",
    "гарантійний термін",
    "гарантийный срок",
    "гарантійний строк",
    "гарантійний строк, міс.",
    "гарантійний термін, міс",
    "гарантия, мес",
    "кол-во месяцев гарантии",
    "термін гарантії",
    "срок гарантии",
    "warranty",
    "guarantee",
    "гарантія, міс",
    "гарантия, мес.",
    "гарантійний період",
    "гарантийный период",
)
RETURN_PARAMS = (
    "обмін та повернення",
    "повернення",
    "обмін/повернення",
    "обмен и возврат",
    "возврат",
    "returns",
    "return policy",
    "повернення та обмін",
)
# Flavours whose available="false" means "not in stock" rather than "made to order".
FALSE_MEANS_OUT = {"rozetka", "epicentr"}


def read(stream: Readable, feed: FeedInfo, *, marketplace: str | None = None) -> Iterator[Offer | FeedIssue]:
    records = RecordStream(stream, feed.source, RECORD_TAGS)
    flavour: str | None = None
    for item in records:
        if isinstance(item, FeedIssue):
            yield item
            continue
        if flavour is None:
            flavour = marketplace or _flavour(item)
            feed.flavour = flavour
            _capture_shop(item, feed)
        yield _offer(item, feed, flavour)
        records.release(item)


def _flavour(offer: etree._Element) -> str:
    """Tell which marketplace a YML feed is written for, from the first offer and its shop."""
    container = offer.getparent()
    shop = container.getparent() if container is not None else None
    if shop is None or local(shop.tag) != "shop":
        return "epicentr"
    children = {local(child.tag) for child in offer}
    pictures = " ".join(child.text or "" for child in offer if local(child.tag) == "picture")
    categories = _child(shop, "categories")
    category_attrs = set(categories[0].attrib) if categories is not None and len(categories) else set()
    if "rz_id" in category_attrs or "price_promo" in children:
        return "rozetka"
    if "portal_id" in category_attrs:
        return "maudau"
    if (
        "images.prom.ua" in pictures
        or {"presence_sure", "selling_type"} & set(offer.attrib)
        or {"keywords", "portal_category_id"} & children
    ):
        return "prom"
    return "yml"


def _capture_shop(offer: etree._Element, feed: FeedInfo) -> None:
    container = offer.getparent()
    shop = container.getparent() if container is not None else None
    if shop is None:
        return
    feed.shop_name = text_of(_child_text(shop, "name")) or text_of(_child_text(shop, "company"))
    feed.shop_url = text_of(_child_text(shop, "url"))
    currencies = _child(shop, "currencies")
    if currencies is not None:
        for currency in currencies:
            code = text_of(currency.get("id"))
            if code:
                feed.currencies[code.upper()] = parse_decimal(currency.get("rate"))
    categories = _child(shop, "categories")
    if categories is not None:
        for category in categories:
            cat_id = text_of(category.get("id"))
            if cat_id:
                feed.categories[cat_id] = text_of(category.text) or ""
    delivery = _child(shop, "delivery-options")
    if delivery is not None:
        days = _delivery_days(delivery)
        if days is not None:
            feed.delivery_min_days, feed.delivery_max_days, feed.delivery_text = days
            feed.delivery_line = delivery.sourceline


def _offer(element: etree._Element, feed: FeedInfo, flavour: str) -> Offer:
    lines: dict[str, int] = {}
    fields: dict[str, etree._Element] = {}
    params: list[Param] = []
    for child in element:
        tag = local(child.tag)
        if not tag:
            continue
        if tag == "param":
            params.append(
                Param(
                    name=(child.get("name") or "").strip(),
                    value=(child.text or "").strip(),
                    unit=text_of(child.get("unit")),
                    line=child.sourceline,
                )
            )
        elif tag not in fields or (tag in ("name", "description") and child.get("lang") in ("ua", "uk")):
            fields[tag] = child

    def text(*names: str, field: str) -> str | None:
        for name in names:
            child = fields.get(name)
            if child is not None:
                if child.sourceline:
                    lines[field] = child.sourceline
                return (child.text or "").strip()
        return None

    offer_id = text_of(element.get("id"))
    price_text = text("price", field="price")
    old_price_text = text(*OLD_PRICE_TAGS, field="old_price")
    quantity_text = text(*QUANTITY_TAGS, field="quantity")
    availability, availability_text = _availability(element, flavour)
    if availability_text is not None:
        lines["availability"] = element.sourceline or 0
    condition, condition_text = _condition(fields, params, lines)
    warranty_months, warranty_text = _warranty(fields, params, lines)
    return_param = _param(params, RETURN_PARAMS)
    delivery_min, delivery_max, delivery_text = _offer_delivery(fields, lines)
    category_text = text("categoryId", field="category")
    category: str | None = feed.categories.get(category_text, category_text) if category_text else None
    if category is None:
        category = text("category", field="category")
    name = text("name", "name_ua", "name_ru", "model", field="name")
    if element.get("type") == "vendor.model" and fields.get("model") is not None:
        name = " ".join(
            part
            for part in (
                text("typePrefix", field="name"),
                text("vendor", field="vendor"),
                text("model", field="name"),
            )
            if part
        )
    if return_param is not None and return_param.line:
        lines["return"] = return_param.line
    return Offer(
        source=feed.source,
        line=element.sourceline or 0,
        dialect=Dialect.YML,
        offer_id=offer_id,
        url=text_of(text("url", field="url")),
        name=text_of(name),
        description=text_of(text("description", "description_ua", "description_ru", field="description")),
        category=category,
        price=parse_decimal(price_text),
        price_text=price_text,
        old_price=parse_decimal(old_price_text),
        old_price_text=old_price_text,
        currency=text_of(text("currencyId", field="currency")),
        availability=availability,
        availability_text=availability_text,
        quantity=_quantity(quantity_text, element),
        quantity_text=quantity_text,
        condition=condition,
        condition_text=condition_text,
        warranty_months=warranty_months,
        warranty_text=warranty_text,
        return_text=return_param.value if return_param is not None else None,
        delivery_min_days=delivery_min,
        delivery_max_days=delivery_max,
        delivery_text=delivery_text,
        vendor=text_of(text("vendor", field="vendor")),
        vendor_code=text_of(text("vendorCode", "article", "vendor_code", field="vendor_code")),
        barcode=text_of(text("barcode", field="barcode")),
        params=tuple(params),
        lines=lines,
    )


def _availability(element: etree._Element, flavour: str) -> tuple[Availability | None, str | None]:
    raw = element.get("available")
    if raw is None:
        return None, None
    value = raw.strip().casefold()
    if value == "":
        return Availability.OUT_OF_STOCK, raw  # Prom: an empty value reads "not in stock"
    if value == "false":
        return (Availability.OUT_OF_STOCK if flavour in FALSE_MEANS_OUT else Availability.BACKORDER), raw
    if value in ("true", "склад"):
        return Availability.IN_STOCK, raw
    return availability_from_text(raw), raw


def _quantity(text: str | None, element: etree._Element) -> int | None:
    if text is not None:
        return parse_int(text)
    outlets = _child(element, "outlets")
    if outlets is None:
        return None
    counts = [parse_int(outlet.get("instock")) for outlet in outlets]
    known = [c for c in counts if c is not None]
    return sum(known) if known else None


def _condition(
    fields: dict[str, etree._Element], params: list[Param], lines: dict[str, int]
) -> tuple[Condition | None, str | None]:
    element = fields.get("condition")
    if element is not None:
        kind = (element.get("type") or element.text or "").strip()
        lines["condition"] = element.sourceline or 0
        mapped = CONDITION_TYPES.get(kind.casefold())
        return (mapped if mapped is not None else condition_from_text(kind)), kind
    state = fields.get("state")
    if state is not None:
        value = (state.text or "").strip()
        lines["condition"] = state.sourceline or 0
        return condition_from_text(value), value
    param = _param(params, CONDITION_PARAMS)
    if param is not None:
        if param.line:
            lines["condition"] = param.line
        return condition_from_text(param.value), param.value
    return None, None


def _warranty(
    fields: dict[str, etree._Element], params: list[Param], lines: dict[str, int]
) -> tuple[Decimal | None, str | None]:
    days = fields.get("warranty-days")
    if days is not None:
        lines["warranty"] = days.sourceline or 0
        raw = (days.text or "").strip()
        months = iso_duration_months(raw)
        if months is None and parse_int(raw) is not None:
            months = Decimal(parse_int(raw) or 0) / 30
        return months, raw
    param = _param(params, WARRANTY_PARAMS)
    if param is not None:
        if param.line:
            lines["warranty"] = param.line
        name = param.name.casefold()
        unit = Decimal(1) if ("міс" in name or "мес" in name or "month" in name) else None
        if unit is None and param.unit and param.unit.casefold().startswith(("міс", "мес", "month")):
            unit = Decimal(1)
        return period_months(param.value, default_unit=unit), param.value
    for tag in ("warranty", "guarantee"):
        element = fields.get(tag)
        if element is not None:
            lines["warranty"] = element.sourceline or 0
            raw = (element.text or "").strip()
            return period_months(raw, default_unit=Decimal(1)), raw
    manufacturer = fields.get("manufacturer_warranty")
    if manufacturer is not None:
        lines["warranty"] = manufacturer.sourceline or 0
        raw = (manufacturer.text or "").strip()
        return None, f"manufacturer_warranty={raw}" if parse_bool(raw) is not None else raw
    return None, None


def _offer_delivery(
    fields: dict[str, etree._Element], lines: dict[str, int]
) -> tuple[int | None, int | None, str | None]:
    options = fields.get("delivery-options")
    if options is None:
        return None, None, None
    lines["delivery"] = options.sourceline or 0
    days = _delivery_days(options)
    if days is None:
        return None, None, etree.tostring(options, encoding="unicode", with_tail=False)[:200]
    return days


def _delivery_days(options: etree._Element) -> tuple[int | None, int | None, str] | None:
    """The fastest promise among `<option days="…">`: (min, max, text). Empty or ≥32 days = on order."""
    best: tuple[int | None, int | None, str] | None = None
    for option in options:
        if local(option.tag) != "option":
            continue
        raw = option.get("days")
        if raw is None:
            continue
        text = f"days={raw}"
        if not raw.strip():
            candidate: tuple[int | None, int | None, str] = (None, 60, text + " (on order)")
        else:
            parsed = parse_day_range(raw)
            candidate = (parsed[0], parsed[1], text) if parsed else (None, None, text)
        if best is None or (candidate[1] is not None and (best[1] is None or candidate[1] < best[1])):
            best = candidate
    return best


def _param(params: list[Param], names: tuple[str, ...]) -> Param | None:
    wanted = set(names)
    for param in params:
        if param.name.casefold().strip() in wanted:
            return param
    return None


def _child(element: etree._Element, name: str) -> etree._Element | None:
    for child in element:
        if local(child.tag) == name:
            return child
    return None


def _child_text(element: etree._Element, name: str) -> str | None:
    child = _child(element, name)
    return child.text if child is not None else None
