"""Hotline.ua XML (`price/items/item`), also accepted by Allo and ibud, and Prom's legacy price.ua form.

The only code that knows Hotline's spellings: `priceRUAH`/`priceRUSD` with the feed `rate`, `stock`
as text with an optional `days`, `condition` 0–3, `guarantee type unit`, and `delivery time` codes
(1 = 1–3 days, 2 = 4–9, 3 = 10–14, 4 = within a day).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from lxml import etree

from feedaudit.feeds import params as param_roles
from feedaudit.feeds.limits import ReadLimits
from feedaudit.feeds.prices import parse_price
from feedaudit.feeds.source import Readable
from feedaudit.feeds.values import parse_decimal, parse_int, text_of
from feedaudit.feeds.xmlstream import RecordStream, local
from feedaudit.model import Availability, Condition, Dialect, FeedInfo, FeedIssue, Offer, Param
from feedaudit.text import availability_from_text, condition_from_text, delivery_days, period_months

ROOT_TAGS = ("price", "{*}price")
RECORD_TAGS = ("item", "{*}item")
CONDITION_CODES = {
    "0": Condition.NEW,
    "1": Condition.REFURBISHED,
    "2": Condition.DISCOUNTED,
    "3": Condition.USED,
}
DELIVERY_TIME_CODES = {"1": (1, 3), "2": (4, 9), "3": (10, 14), "4": (0, 1)}
GUARANTEE_TYPES = {"manufacturer": "manufacturer's warranty", "shop": "shop's warranty"}
# Prom's legacy price.ua format: `<available>` true / «склад» = in stock, false = on order, empty = not in stock.
PRICE_UA_AVAILABLE = {"true": Availability.IN_STOCK, "склад": Availability.IN_STOCK, "false": Availability.BACKORDER}


def read(
    stream: Readable, feed: FeedInfo, *, marketplace: str | None = None, limits: ReadLimits | None = None
) -> Iterator[Offer | FeedIssue]:
    records = RecordStream(stream, feed.source, RECORD_TAGS, roots=ROOT_TAGS, limits=limits)
    first = True
    for item in records:
        if isinstance(item, FeedIssue):
            yield item
            continue
        if first:
            first = False
            feed.flavour = marketplace or "hotline"
            _capture_shop(item, feed)
        yield _offer(item, feed, records.column)
        records.release(item)


def _capture_shop(item: etree._Element, feed: FeedInfo) -> None:
    items = item.getparent()
    root = items.getparent() if items is not None else None
    if root is None:
        return
    for child in root:
        name = local(child.tag)
        if name == "firmName":
            feed.shop_name = text_of(child.text)
        elif name == "date":
            feed.feed_date = text_of(child.text)
        elif name == "rate":
            feed.currencies["USD"] = parse_decimal(child.text)
        elif name == "categories":
            for category in child:
                cat_id = text_of(_child_text(category, "id"))
                if cat_id:
                    feed.categories[cat_id] = text_of(_child_text(category, "name")) or ""
        elif name == "delivery":
            days = _delivery_days(child)
            if days is not None and (feed.delivery_max_days is None or days[1] < feed.delivery_max_days):
                feed.delivery_min_days, feed.delivery_max_days = days
                feed.delivery_text = _describe(child)
                feed.delivery_line = child.sourceline


def _offer(element: etree._Element, feed: FeedInfo, column: int | None = None) -> Offer:
    fields: dict[str, etree._Element] = {}
    params: list[Param] = []
    for child in element:
        name = local(child.tag)
        if name == "param":
            value, other_values = param_roles.values_of(child)
            params.append(Param((child.get("name") or "").strip(), value, None, child.sourceline, other_values))
        elif name and name not in fields:
            fields[name] = child
    lines: dict[str, int] = {}

    def text(*names: str, field: str) -> str | None:
        for name in names:
            child = fields.get(name)
            if child is not None:
                lines[field] = child.sourceline or 0
                return (child.text or "").strip()
        return None

    price_text = text("priceRUAH", "priceuah", "price", field="price")
    currency = "UAH" if price_text is not None else None
    if price_text is None:
        price_text = text("priceRUSD", field="price")
        currency = "USD" if price_text is not None else None
    old_price_text = text("oldprice", "price_old", "old_price", field="old_price")

    availability: Availability | None = None
    availability_text: str | None = None
    quantity_text = text("stock_quantity", "quantity", field="quantity")
    delivery_min = delivery_max = None
    delivery_text = None
    stock = fields.get("stock")
    if stock is not None:
        lines["availability"] = stock.sourceline or 0
        availability_text = (stock.text or "").strip()
        if parse_int(availability_text) is not None and quantity_text is None:
            quantity_text = availability_text  # a count misplaced into <stock>
            availability = (
                Availability.IN_STOCK if (parse_int(availability_text) or 0) > 0 else (Availability.OUT_OF_STOCK)
            )
        else:
            availability = availability_from_text(availability_text)
        stock_days = parse_int(stock.get("days"))
        if stock_days is not None:
            delivery_min = delivery_max = stock_days
            delivery_text = f"stock days={stock.get('days')}"
            lines["delivery"] = stock.sourceline or 0
    else:
        availability, availability_text = _price_ua_available(fields.get("available"), lines)

    roles = param_roles.roles(params)
    delivery = fields.get("delivery")
    if delivery is not None and delivery_text is None:
        days = _delivery_days(delivery)
        lines["delivery"] = delivery.sourceline or 0
        delivery_text = _describe(delivery)
        if days is not None:
            delivery_min, delivery_max = days
    if delivery_min is None and delivery_max is None:
        param = roles.get("delivery")
        if param is not None and param.value:
            stated = param_roles.first_reading(param, delivery_days)
            if stated is not None or delivery_text is None:
                delivery_text = param.value
                lines["delivery"] = param.line or lines.get("delivery", 0)
            if stated is not None:
                delivery_min, delivery_max = stated

    condition_element = fields.get("condition")
    condition: Condition | None = None
    condition_text: str | None = None
    if condition_element is not None:
        lines["condition"] = condition_element.sourceline or 0
        condition_text = (condition_element.text or "").strip()
        condition = CONDITION_CODES.get(condition_text) or condition_from_text(condition_text)

    warranty_months: Decimal | None = None
    warranty_text: str | None = None
    guarantee = fields.get("guarantee") if "guarantee" in fields else fields.get("warranty")
    if guarantee is not None:
        lines["warranty"] = guarantee.sourceline or 0
        warranty_text = (guarantee.text or "").strip()
        per_unit = Decimal(1) / Decimal(30) if (guarantee.get("unit") or "").casefold() == "days" else Decimal(1)
        warranty_months = period_months(warranty_text, default_unit=per_unit)
        kind = (guarantee.get("type") or "").strip()
        if kind:
            # `type` says whose warranty it is; without a number it is still a warranty of that kind
            warranty_text = f"{warranty_text} ({kind})" if warranty_text else GUARANTEE_TYPES.get(kind, kind)
    elif (param := roles.get("warranty")) is not None:
        if param.line:
            lines["warranty"] = param.line
        warranty_text = param.value
        warranty_months = param_roles.first_reading(param, period_months)
    return_param = roles.get("returns")
    if return_param is not None and return_param.line:
        lines["return"] = return_param.line

    category_id = text("categoryId", field="category")
    return Offer(
        source=feed.source,
        line=element.sourceline or 0,
        column=column,
        dialect=Dialect.HOTLINE,
        offer_id=text_of(text("id", field="offer_id")) or text_of(element.get("id")),
        url=text_of(text("url", field="url")),
        name=text_of(text("name", field="name")),
        description=text_of(text("description", field="description")),
        category=feed.categories.get(category_id, category_id) if category_id else None,
        price=parse_price(price_text, currency),
        price_text=price_text,
        old_price=parse_price(old_price_text, currency),
        old_price_text=old_price_text,
        currency=currency,
        availability=availability,
        availability_text=availability_text,
        quantity=parse_int(quantity_text),
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
        vendor_code=text_of(text("code", "vendorCode", field="vendor_code")),
        barcode=text_of(text("barcode", field="barcode")),
        params=tuple(params),
        lines=lines,
    )


def _price_ua_available(
    element: etree._Element | None, lines: dict[str, int]
) -> tuple[Availability | None, str | None]:
    if element is None:
        return None, None
    lines["availability"] = element.sourceline or 0
    raw = (element.text or "").strip()
    if not raw:
        return Availability.OUT_OF_STOCK, raw
    return PRICE_UA_AVAILABLE.get(raw.casefold()) or availability_from_text(raw), raw


def _delivery_days(element: etree._Element) -> tuple[int, int] | None:
    return DELIVERY_TIME_CODES.get((element.get("time") or "").strip())


def _describe(element: etree._Element) -> str:
    attrs = " ".join(f'{k}="{v}"' for k, v in element.attrib.items())
    return f"delivery {attrs}".strip()


def _child_text(element: etree._Element, name: str) -> str | None:
    for child in element:
        if local(child.tag) == name:
            return child.text
    return None
