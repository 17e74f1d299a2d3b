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

from feedaudit.feeds import flavour as flavours
from feedaudit.feeds import params as param_roles
from feedaudit.feeds import stated
from feedaudit.feeds.fields import Children, TextField, element_text, plain_fields, take
from feedaudit.feeds.limits import ReadLimits
from feedaudit.feeds.prices import parse_price
from feedaudit.feeds.source import Readable
from feedaudit.feeds.values import (
    iso_duration_months,
    parse_bool,
    parse_day_range,
    parse_decimal,
    parse_int,
    text_of,
)
from feedaudit.feeds.wanted import EVERYTHING, Wanted
from feedaudit.feeds.xmlstream import RecordStream, local
from feedaudit.model import Availability, Condition, Dialect, FeedInfo, FeedIssue, Offer, Param
from feedaudit.text import delivery_days

ROOT_TAGS = ("yml_catalog", "{*}yml_catalog")
RECORD_TAGS = ("offer", "{*}offer")
NAME_TAGS = ("name", "name_ua", "name_ru")  # also `<name lang="ru">` beside `<name lang="ua">` (Epicentr)
DESCRIPTION_TAGS = ("description", "description_ua", "description_ru")
NAME_AND_MODEL_TAGS = (*NAME_TAGS, "model")
VENDOR_CODE_TAGS = ("vendorCode", "article", "vendor_code")
_TRANSLATED = frozenset(("name", "description"))
# What `manufacturer_warranty` true / false says, in words the warranty vocabulary reads.
MANUFACTURER_WARRANTY = "manufacturer's warranty"
NO_MANUFACTURER_WARRANTY = "no manufacturer's warranty"

OLD_PRICE_TAGS = ("oldprice", "price_old", "old_price")
QUANTITY_TAGS = ("quantity_in_stock", "stock_quantity", "count", "quantity", "stock")

# Where the offer's fields are: canonical field, then the child elements that spell it, first present wins.
# Text that goes to the offer as it stands:
PLAIN_FIELDS = (
    TextField("description", DESCRIPTION_TAGS),
    TextField("vendor", ("vendor",)),
    TextField("vendor_code", VENDOR_CODE_TAGS),
    TextField("barcode", ("barcode",)),
)
# Text this reader interprets:
URL = TextField("url", ("url",))
PRICE = TextField("price", ("price",))
OLD_PRICE = TextField("old_price", OLD_PRICE_TAGS)
CURRENCY = TextField("currency", ("currencyId",))
QUANTITY = TextField("quantity", QUANTITY_TAGS)
CATEGORY_ID = TextField("category", ("categoryId",))  # an id into the shop's category tree
CATEGORY = TextField("category", ("category",))  # a category named in place (some generators)
NAME = TextField("name", NAME_AND_MODEL_TAGS)
TYPE_PREFIX = TextField("name", ("typePrefix",))  # `type="vendor.model"`: typePrefix + vendor + model
VENDOR = TextField("vendor", ("vendor",))
MODEL = TextField("name", ("model",))
STOCK_STATUS = TextField("availability", ("presence", "availability"))  # besides the `available` attribute
STATE = TextField("condition", ("state",))  # besides `<condition type="…">` and condition params
WARRANTY_DAYS = TextField("warranty", ("warranty-days",))  # ISO 8601 or days (Yandex)
WARRANTY = TextField("warranty", ("warranty", "guarantee"))  # months unless `unit` says otherwise
MANUFACTURER_WARRANTY_FLAG = TextField("warranty", ("manufacturer_warranty",))  # true / false
CONDITION_TYPES = {
    "used": Condition.USED,
    "preowned": Condition.USED,
    "refurbished": Condition.REFURBISHED,
    "likenew": Condition.DISCOUNTED,
    "showcasesample": Condition.DISCOUNTED,
    "reduction": Condition.DISCOUNTED,
    "new": Condition.NEW,
}
# Param(...) without the Python-level __new__ a NamedTuple adds: the reader builds dozens per offer.
_new_param = tuple.__new__

# Flavours whose available="false" means "not in stock" rather than "made to order".
FALSE_MEANS_OUT = {"rozetka", "epicentr"}
# Prom's own `presence` values (its API and some exports), and the `availability` element some
# Epicentr generators write.
PRESENCE_VALUES = {
    "available": Availability.IN_STOCK,
    "not_available": Availability.OUT_OF_STOCK,
    "order": Availability.BACKORDER,
    "waiting": Availability.PREORDER,
    "service": Availability.IN_STOCK,
    "in_stock": Availability.IN_STOCK,
    "out_of_stock": Availability.OUT_OF_STOCK,
}


def read(
    stream: Readable,
    feed: FeedInfo,
    *,
    marketplace: str | None = None,
    limits: ReadLimits | None = None,
    wanted: Wanted = EVERYTHING,
) -> Iterator[Offer | FeedIssue]:
    records = RecordStream(stream, feed.source, RECORD_TAGS, roots=ROOT_TAGS, limits=limits)
    flavour: str | None = None
    for item in records:
        if isinstance(item, FeedIssue):
            yield item
            continue
        if flavour is None:
            if marketplace is not None:
                flavour = marketplace  # named by the run (or by the part of the feed read first)
            else:
                verdict = flavours.detect(item, _shop_of(item))
                flavour, feed.flavour_signals = verdict.flavour, list(verdict.signals)
            feed.flavour = flavour
            _capture_shop(item, feed)
        yield _offer(item, feed, flavour, records.column, wanted)
        records.release(item)


def _shop_of(offer: etree._Element) -> etree._Element | None:
    """The `shop` element holding an offer (offers sit in `shop/offers`, or straight in `shop`)."""
    container = offer.getparent()
    for candidate in (container, container.getparent() if container is not None else None):
        if candidate is not None and local(candidate.tag) == "shop":
            return candidate
    return None


def _capture_shop(offer: etree._Element, feed: FeedInfo) -> None:
    shop = _shop_of(offer)
    if shop is None:
        return
    feed.shop.name = text_of(_child_text(shop, "name")) or text_of(_child_text(shop, "company"))
    feed.shop.url = text_of(_child_text(shop, "url"))
    catalog = shop.getparent() if local(shop.tag) == "shop" else shop
    feed.shop.feed_date = text_of(catalog.get("date")) if catalog is not None else None
    currencies = _child(shop, "currencies")
    if currencies is not None:
        for currency in currencies:
            code = text_of(currency.get("id"))
            if code:
                feed.shop.currencies[code.upper()] = parse_decimal(currency.get("rate"))
    categories = _child(shop, "categories")
    if categories is not None:
        for category in categories:
            cat_id = text_of(category.get("id"))
            if cat_id:
                feed.shop.categories[cat_id] = text_of(category.text) or ""
    delivery = _child(shop, "delivery-options")
    if delivery is not None:
        days = _delivery_days(delivery)
        if days is not None:
            feed.shop.delivery_min_days, feed.shop.delivery_max_days, feed.shop.delivery_text = days
            feed.shop.delivery_line = delivery.sourceline


def _offer(
    element: etree._Element, feed: FeedInfo, flavour: str, column: int | None = None, wanted: Wanted = EVERYTHING
) -> Offer:
    children: Children = {}
    with_params = wanted.params
    translations: list[etree._Element] = []
    params: list[Param] = []
    # The hot loop of the reader: every child of every offer passes here, so it inlines `local` and
    # reads each lxml property once.
    for child in element:
        tag = child.tag
        if tag.__class__ is not str:
            continue
        if tag[0] == "{":
            tag = tag.rpartition("}")[2]
        if tag == "param":
            if not with_params:
                continue
            unit = child.get("unit")
            if len(child):  # `<value lang="…">` children
                value, other_values = param_roles.values_of(child)
            else:
                value, other_values = (child.text or "").strip(), ()
            params.append(
                _new_param(
                    Param,
                    (
                        (child.get("name") or "").strip(),
                        value,
                        unit.strip() or None if unit is not None else None,
                        child.sourceline,
                        other_values,
                    ),
                )
            )
        elif tag not in children:
            children[tag] = child
        elif tag in _TRANSLATED:  # the same text in another language: the Ukrainian one is the main one
            if child.get("lang") in ("ua", "uk"):
                translations.append(children[tag])
                children[tag] = child
            else:
                translations.append(child)

    lines: dict[str, int] = {}
    price_text = take(children, PRICE, lines)
    old_price_text = take(children, OLD_PRICE, lines)
    currency = take(children, CURRENCY, lines) or None
    quantity_text = take(children, QUANTITY, lines)
    roles = param_roles.roles(params)
    availability, availability_text = _availability(element, flavour)
    if availability_text is not None:
        lines["availability"] = element.sourceline or 0
    else:
        availability, availability_text = _stated_availability(children, roles, lines)
    condition, condition_text = _condition(children, roles, lines)
    warranty, warranty_text = _warranty(children, roles, lines)
    return_text = stated.returns(roles, lines)
    delivery_min, delivery_max, delivery_text = _offer_delivery(children, roles, lines)
    category_text = take(children, CATEGORY_ID, lines)
    category: str | None = feed.shop.categories.get(category_text, category_text) if category_text else None
    if category is None:
        category = take(children, CATEGORY, lines)
    name = take(children, NAME, lines)
    if element.get("type") == "vendor.model" and "model" in children:
        parts = (take(children, TYPE_PREFIX, lines), take(children, VENDOR, lines), take(children, MODEL, lines))
        name = " ".join(part for part in parts if part)
    return Offer(
        source=feed.source,
        line=element.sourceline or 0,
        column=column,
        dialect=Dialect.YML,
        offer_id=text_of(element.get("id")),
        url=take(children, URL, lines) or None,
        name=name or None,
        category=category,
        price=parse_price(price_text, currency) if wanted.prices else None,
        price_text=price_text,
        old_price=parse_price(old_price_text, currency) if wanted.prices else None,
        old_price_text=old_price_text,
        currency=currency,
        availability=availability,
        availability_text=availability_text,
        quantity=_quantity(quantity_text, element),
        quantity_text=quantity_text,
        condition=condition,
        condition_text=condition_text,
        warranty_months=warranty,
        warranty_text=warranty_text,
        return_text=return_text,
        delivery_min_days=delivery_min,
        delivery_max_days=delivery_max,
        delivery_text=delivery_text,
        params=tuple(params),
        lines=lines,
        other_names=_other_versions(children, translations, NAME_TAGS, whole_name=name) if wanted.other_names else (),
        other_descriptions=_other_versions(children, translations, DESCRIPTION_TAGS)
        if wanted.other_descriptions
        else (),
        **plain_fields(children, PLAIN_FIELDS, lines),
    )


def _other_versions(
    children: Children,
    translations: list[etree._Element],
    tags: tuple[str, ...],
    *,
    whole_name: str | None = None,
) -> tuple[str, ...]:
    """The texts of `tags` beside the one the offer shows (the first present, or `whole_name` built from parts)."""
    texts: list[str] = []
    for tag in tags:
        child = children.get(tag)
        if child is not None:
            text = child.text
            if text and (text := text.strip()):
                texts.append(text)
    if translations:
        main = tags[0]
        for child in translations:
            if local(child.tag) == main:
                text = child.text
                if text and (text := text.strip()):
                    texts.append(text)
    if not texts:
        return ()
    if whole_name is None or texts[0] == whole_name.strip():
        del texts[0]
    if len(texts) <= 1:
        return tuple(texts)
    return tuple(dict.fromkeys(texts))


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
    return stated.availability(raw), raw


def _stated_availability(
    children: Children, roles: param_roles.Roles, lines: dict[str, int]
) -> tuple[Availability | None, str | None]:
    """Availability stated elsewhere than `available`: `presence`, `availability`, a param «Наявність»."""
    raw = take(children, STOCK_STATUS, lines)
    if raw is not None:
        return stated.availability(raw, PRESENCE_VALUES), raw
    return stated.param_availability(roles, lines) or (None, None)


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
    children: Children, roles: param_roles.Roles, lines: dict[str, int]
) -> tuple[Condition | None, str | None]:
    element = children.get("condition")
    if element is not None:  # `<condition type="likenew">`, or the type as its text
        kind = (element.get("type") or element.text or "").strip()
        lines["condition"] = element.sourceline or 0
        return stated.condition(kind, CONDITION_TYPES), kind
    value = take(children, STATE, lines)
    if value is not None:
        return stated.condition(value), value
    return stated.param_condition(roles, lines) or (None, None)


def _warranty(children: Children, roles: param_roles.Roles, lines: dict[str, int]) -> tuple[Decimal | None, str | None]:
    days = take(children, WARRANTY_DAYS, lines)
    if days is not None:  # an ISO 8601 duration, or a number of days
        months = iso_duration_months(days)
        if months is None and parse_int(days) is not None:
            months = Decimal(parse_int(days) or 0) / 30
        return months, days
    param = roles.get("warranty")
    if param is not None:
        if param.line:
            lines["warranty"] = param.line
        return stated.param_warranty(param), param.value
    element = next((children[tag] for tag in WARRANTY.tags if tag in children), None)
    if element is not None:
        raw = element_text(element, WARRANTY.field, lines) or ""
        unit = stated.period_unit(None, element.get("unit")) or stated.ONE_MONTH
        return stated.warranty_months(raw, unit=unit), raw
    manufacturer = take(children, MANUFACTURER_WARRANTY_FLAG, lines)
    if manufacturer is not None:
        given = parse_bool(manufacturer)
        if given is None:
            return None, manufacturer
        return None, MANUFACTURER_WARRANTY if given else NO_MANUFACTURER_WARRANTY
    return None, stated.warranty_card(roles, lines)


def _offer_delivery(
    children: Children, roles: param_roles.Roles, lines: dict[str, int]
) -> tuple[int | None, int | None, str | None]:
    options = children.get("delivery-options")
    if options is None:
        return _stated_delivery(children, roles, lines)
    lines["delivery"] = options.sourceline or 0
    days = _delivery_days(options)
    if days is None:
        return None, None, etree.tostring(options, encoding="unicode", with_tail=False)[:200]
    return days


def _stated_delivery(
    children: Children, roles: param_roles.Roles, lines: dict[str, int]
) -> tuple[int | None, int | None, str | None]:
    """Delivery terms in words: a param «Доставка» / «Термін доставки», or `sales_notes` naming a time."""
    found = stated.param_delivery(roles)
    if found is not None:
        param, days = found
        if param.line:
            lines["delivery"] = param.line
        return (days[0], days[1], param.value) if days else (None, None, param.value)
    notes = children.get("sales_notes")
    if notes is not None:
        days = delivery_days(notes.text)
        if days is not None:
            lines["delivery"] = notes.sourceline or 0
            return days[0], days[1], (notes.text or "").strip()
    return None, None, None


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


def _child(element: etree._Element, name: str) -> etree._Element | None:
    for child in element:
        if local(child.tag) == name:
            return child
    return None


def _child_text(element: etree._Element, name: str) -> str | None:
    child = _child(element, name)
    return child.text if child is not None else None
