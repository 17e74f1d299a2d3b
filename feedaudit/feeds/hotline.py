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
from feedaudit.feeds import stated
from feedaudit.feeds.fields import Children, TextField, element_text, plain_fields, take
from feedaudit.feeds.limits import ReadLimits
from feedaudit.feeds.prices import parse_price
from feedaudit.feeds.source import Readable
from feedaudit.feeds.values import parse_decimal, parse_int, text_of
from feedaudit.feeds.wanted import EVERYTHING, Wanted
from feedaudit.feeds.xmlstream import RecordStream, local
from feedaudit.model import Availability, Condition, Dialect, FeedInfo, FeedIssue, Offer, Param

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

# Where the item's fields are: canonical field, then the child elements that spell it, first present wins.
# Text that goes to the offer as it stands:
PLAIN_FIELDS = (
    TextField("description", ("description",)),
    TextField("vendor", ("vendor",)),
    TextField("vendor_code", ("code", "vendorCode")),
    TextField("barcode", ("barcode",)),
)
# Text this reader interprets:
OFFER_ID = TextField("offer_id", ("id",))  # else the item's `id` attribute
URL = TextField("url", ("url",))
NAME = TextField("name", ("name",))
CATEGORY_ID = TextField("category", ("categoryId",))
PRICE_UAH = TextField("price", ("priceRUAH", "priceuah", "price"))
PRICE_USD = TextField("price", ("priceRUSD",))  # converted by the feed's `rate`
OLD_PRICE = TextField("old_price", ("oldprice", "price_old", "old_price"))
QUANTITY = TextField("quantity", ("stock_quantity", "quantity"))
CONDITION = TextField("condition", ("condition",))  # a code 0-3, or words
WARRANTY = TextField("warranty", ("guarantee", "warranty"))  # `type` and `unit` attributes
PRICE_UA_AVAILABILITY = TextField("availability", ("available",))  # price.ua, where there is no `stock`
# Prom's legacy price.ua format: `<available>` true / «склад» = in stock, false = on order, empty = not in stock.
PRICE_UA_AVAILABLE = {"true": Availability.IN_STOCK, "склад": Availability.IN_STOCK, "false": Availability.BACKORDER}


def read(
    stream: Readable,
    feed: FeedInfo,
    *,
    marketplace: str | None = None,
    limits: ReadLimits | None = None,
    wanted: Wanted = EVERYTHING,
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
        yield _offer(item, feed, records.column, wanted)
        records.release(item)


def _capture_shop(item: etree._Element, feed: FeedInfo) -> None:
    items = item.getparent()
    root = items.getparent() if items is not None else None
    if root is None:
        return
    for child in root:
        name = local(child.tag)
        if name == "firmName":
            feed.shop.name = text_of(child.text)
        elif name == "date":
            feed.shop.feed_date = text_of(child.text)
        elif name == "rate":
            feed.shop.currencies["USD"] = parse_decimal(child.text)
        elif name == "categories":
            for category in child:
                cat_id = text_of(_child_text(category, "id"))
                if cat_id:
                    feed.shop.categories[cat_id] = text_of(_child_text(category, "name")) or ""
        elif name == "delivery":
            days = _delivery_days(child)
            if days is not None and (feed.shop.delivery_max_days is None or days[1] < feed.shop.delivery_max_days):
                feed.shop.delivery_min_days, feed.shop.delivery_max_days = days
                feed.shop.delivery_text = _describe(child)
                feed.shop.delivery_line = child.sourceline


def _offer(element: etree._Element, feed: FeedInfo, column: int | None = None, wanted: Wanted = EVERYTHING) -> Offer:
    children: Children = {}
    params: list[Param] = []
    for child in element:
        name = local(child.tag)
        if name == "param":
            if not wanted.params:
                continue
            value, other_values = param_roles.values_of(child)
            unit = (child.get("unit") or "").strip() or None
            params.append(Param((child.get("name") or "").strip(), value, unit, child.sourceline, other_values))
        elif name and name not in children:
            children[name] = child
    lines: dict[str, int] = {}

    price_text = take(children, PRICE_UAH, lines)
    currency = "UAH" if price_text is not None else None
    if price_text is None:
        price_text = take(children, PRICE_USD, lines)
        currency = "USD" if price_text is not None else None
    old_price_text = take(children, OLD_PRICE, lines)

    availability: Availability | None = None
    availability_text: str | None = None
    quantity_text = take(children, QUANTITY, lines)
    delivery_min = delivery_max = None
    delivery_text = None
    stock = children.get("stock")
    if stock is not None:
        availability_text = element_text(stock, "availability", lines) or ""
        if parse_int(availability_text) is not None and quantity_text is None:
            quantity_text = availability_text  # a count misplaced into <stock>
            availability = (
                Availability.IN_STOCK if (parse_int(availability_text) or 0) > 0 else (Availability.OUT_OF_STOCK)
            )
        else:
            availability = stated.availability(availability_text)
        stock_days = parse_int(stock.get("days"))
        if stock_days is not None:
            delivery_min = delivery_max = stock_days
            delivery_text = f"stock days={stock.get('days')}"
            lines["delivery"] = stock.sourceline or 0

    roles = param_roles.roles(params)
    if stock is None:
        availability, availability_text = _price_ua_available(children, lines)
        if availability_text is None:
            availability, availability_text = stated.param_availability(roles, lines) or (None, None)
    delivery = children.get("delivery")
    if delivery is not None and delivery_text is None:
        days = _delivery_days(delivery)
        lines["delivery"] = delivery.sourceline or 0
        delivery_text = _describe(delivery)
        if days is not None:
            delivery_min, delivery_max = days
    if delivery_min is None and delivery_max is None:
        found = stated.param_delivery(roles)
        if found is not None:
            param, stated_days = found
            if stated_days is not None or delivery_text is None:
                delivery_text = param.value
                lines["delivery"] = param.line or lines.get("delivery", 0)
            if stated_days is not None:
                delivery_min, delivery_max = stated_days

    condition: Condition | None = None
    condition_text = take(children, CONDITION, lines)
    if condition_text is not None:
        condition = stated.condition(condition_text, CONDITION_CODES)
    else:
        condition, condition_text = stated.param_condition(roles, lines) or (None, None)

    warranty_months, warranty_text = _warranty(children, roles, lines)
    return_text = stated.returns(roles, lines)
    category_id = take(children, CATEGORY_ID, lines)
    return Offer(
        source=feed.source,
        line=element.sourceline or 0,
        column=column,
        dialect=Dialect.HOTLINE,
        offer_id=text_of(take(children, OFFER_ID, lines)) or text_of(element.get("id")),
        url=text_of(take(children, URL, lines)),
        name=text_of(take(children, NAME, lines)),
        category=feed.shop.categories.get(category_id, category_id) if category_id else None,
        price=parse_price(price_text, currency) if wanted.prices else None,
        price_text=price_text,
        old_price=parse_price(old_price_text, currency) if wanted.prices else None,
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
        return_text=return_text,
        delivery_min_days=delivery_min,
        delivery_max_days=delivery_max,
        delivery_text=delivery_text,
        params=tuple(params),
        lines=lines,
        **plain_fields(children, PLAIN_FIELDS, lines),
    )


def _warranty(children: Children, roles: param_roles.Roles, lines: dict[str, int]) -> tuple[Decimal | None, str | None]:
    """`<guarantee type="manufacturer" unit="days">14</guarantee>` (or `warranty`), else a warranty param."""
    guarantee = next((children[tag] for tag in WARRANTY.tags if tag in children), None)
    if guarantee is not None:
        raw = element_text(guarantee, WARRANTY.field, lines) or ""
        unit = stated.period_unit(None, guarantee.get("unit")) or stated.ONE_MONTH
        months = stated.warranty_months(raw, unit=unit)
        kind = (guarantee.get("type") or "").strip()
        if kind:
            # `type` says whose warranty it is; without a number it is still a warranty of that kind
            raw = f"{raw} ({kind})" if raw else GUARANTEE_TYPES.get(kind, kind)
        return months, raw
    param = roles.get("warranty")
    if param is None:
        return None, stated.warranty_card(roles, lines)
    if param.line:
        lines["warranty"] = param.line
    return stated.param_warranty(param), param.value


def _price_ua_available(children: Children, lines: dict[str, int]) -> tuple[Availability | None, str | None]:
    raw = take(children, PRICE_UA_AVAILABILITY, lines)
    if raw is None:
        return None, None
    if not raw:
        return Availability.OUT_OF_STOCK, raw
    return stated.availability(raw, PRICE_UA_AVAILABLE), raw


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
