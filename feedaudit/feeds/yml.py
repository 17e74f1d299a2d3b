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
from feedaudit.feeds.xmlstream import RecordStream, local
from feedaudit.model import Availability, Condition, Dialect, FeedInfo, FeedIssue, Offer, Param
from feedaudit.text import availability_from_text, condition_from_text, delivery_days, period_months

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
    stream: Readable, feed: FeedInfo, *, marketplace: str | None = None, limits: ReadLimits | None = None
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
        yield _offer(item, feed, flavour, records.column)
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
    feed.shop_name = text_of(_child_text(shop, "name")) or text_of(_child_text(shop, "company"))
    feed.shop_url = text_of(_child_text(shop, "url"))
    catalog = shop.getparent() if local(shop.tag) == "shop" else shop
    feed.feed_date = text_of(catalog.get("date")) if catalog is not None else None
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


def _offer(element: etree._Element, feed: FeedInfo, flavour: str, column: int | None = None) -> Offer:
    lines: dict[str, int] = {}
    fields: dict[str, etree._Element] = {}
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
        elif tag not in fields:
            fields[tag] = child
        elif tag in _TRANSLATED:  # the same text in another language: the Ukrainian one is the main one
            if child.get("lang") in ("ua", "uk"):
                translations.append(fields[tag])
                fields[tag] = child
            else:
                translations.append(child)

    # The fields below are looked up inline rather than through a helper: this runs for every offer.
    get = fields.get
    offer_id = text_of(element.get("id"))
    price_text = _field_text(get("price"), "price", lines)
    old_price_text = _first_text(fields, OLD_PRICE_TAGS, "old_price", lines)
    currency = _field_text(get("currencyId"), "currency", lines) or None
    quantity_text = _first_text(fields, QUANTITY_TAGS, "quantity", lines)
    roles = param_roles.roles(params)
    availability, availability_text = _availability(element, flavour)
    if availability_text is not None:
        lines["availability"] = element.sourceline or 0
    else:
        availability, availability_text = _stated_availability(fields, roles, lines)
    condition, condition_text = _condition(fields, roles, lines)
    warranty_months, warranty_text = _warranty(fields, roles, lines)
    return_param = roles.get("returns")
    delivery_min, delivery_max, delivery_text = _offer_delivery(fields, roles, lines)
    category_text = _field_text(get("categoryId"), "category", lines)
    category: str | None = feed.categories.get(category_text, category_text) if category_text else None
    if category is None:
        category = _field_text(get("category"), "category", lines)
    name = _first_text(fields, NAME_AND_MODEL_TAGS, "name", lines)
    if element.get("type") == "vendor.model" and get("model") is not None:
        name = " ".join(
            part
            for part in (
                _field_text(get("typePrefix"), "name", lines),
                _field_text(get("vendor"), "vendor", lines),
                _field_text(get("model"), "name", lines),
            )
            if part
        )
    if return_param is not None and return_param.line:
        lines["return"] = return_param.line
    return Offer(
        source=feed.source,
        line=element.sourceline or 0,
        column=column,
        dialect=Dialect.YML,
        offer_id=offer_id,
        url=_field_text(get("url"), "url", lines) or None,
        name=name or None,
        description=_first_text(fields, DESCRIPTION_TAGS, "description", lines) or None,
        category=category,
        price=parse_price(price_text, currency),
        price_text=price_text,
        old_price=parse_price(old_price_text, currency),
        old_price_text=old_price_text,
        currency=currency,
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
        vendor=_field_text(get("vendor"), "vendor", lines) or None,
        vendor_code=_first_text(fields, VENDOR_CODE_TAGS, "vendor_code", lines) or None,
        barcode=_field_text(get("barcode"), "barcode", lines) or None,
        params=tuple(params),
        lines=lines,
        other_names=_other_versions(fields, translations, NAME_TAGS, whole_name=name),
        other_descriptions=_other_versions(fields, translations, DESCRIPTION_TAGS),
    )


def _field_text(child: etree._Element | None, field: str, lines: dict[str, int]) -> str | None:
    """The stripped text of `child` (None when absent), noting its line under `field`."""
    if child is None:
        return None
    line = child.sourceline
    if line:
        lines[field] = line
    text = child.text
    return text.strip() if text else ""


def _first_text(
    fields: dict[str, etree._Element], names: tuple[str, ...], field: str, lines: dict[str, int]
) -> str | None:
    """The stripped text of the first of `names` present, noting its line under `field`."""
    for name in names:
        child = fields.get(name)
        if child is not None:
            return _field_text(child, field, lines)
    return None


def _other_versions(
    fields: dict[str, etree._Element],
    translations: list[etree._Element],
    tags: tuple[str, ...],
    *,
    whole_name: str | None = None,
) -> tuple[str, ...]:
    """The texts of `tags` beside the one the offer shows (the first present, or `whole_name` built from parts)."""
    texts: list[str] = []
    for tag in tags:
        child = fields.get(tag)
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
    return availability_from_text(raw), raw


def _stated_availability(
    fields: dict[str, etree._Element], roles: param_roles.Roles, lines: dict[str, int]
) -> tuple[Availability | None, str | None]:
    """Availability stated elsewhere than `available`: `presence`, `availability`, a param «Наявність»."""
    for tag in ("presence", "availability"):
        element = fields.get(tag)
        if element is not None:
            raw = (element.text or "").strip()
            lines["availability"] = element.sourceline or 0
            return PRESENCE_VALUES.get(raw.casefold()) or availability_from_text(raw), raw
    param = roles.get("availability")
    if param is not None:
        if param.line:
            lines["availability"] = param.line
        return availability_from_text(param.value), param.value
    return None, None


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
    fields: dict[str, etree._Element], roles: param_roles.Roles, lines: dict[str, int]
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
    param = roles.get("condition")
    if param is not None:
        if param.line:
            lines["condition"] = param.line
        return condition_from_text(param.value), param.value
    flag = roles.get("condition-flag")
    flagged = param_roles.condition_flag(flag)
    if flag is not None and flagged is not None:
        if flag.line:
            lines["condition"] = flag.line
        return flagged, f"{flag.name}: {flag.value}"
    return None, None


def _warranty(
    fields: dict[str, etree._Element], roles: param_roles.Roles, lines: dict[str, int]
) -> tuple[Decimal | None, str | None]:
    days = fields.get("warranty-days")
    if days is not None:
        lines["warranty"] = days.sourceline or 0
        raw = (days.text or "").strip()
        months = iso_duration_months(raw)
        if months is None and parse_int(raw) is not None:
            months = Decimal(parse_int(raw) or 0) / 30
        return months, raw
    param = roles.get("warranty")
    if param is not None:
        if param.line:
            lines["warranty"] = param.line
        name = param.name.casefold()
        unit = Decimal(1) if ("міс" in name or "мес" in name or "month" in name) else None
        if unit is None and param.unit and param.unit.casefold().startswith(("міс", "мес", "month")):
            unit = Decimal(1)
        return param_roles.first_reading(param, lambda value: period_months(value, default_unit=unit)), param.value
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
        stated = parse_bool(raw)
        if stated is None:
            return None, raw
        return None, MANUFACTURER_WARRANTY if stated else NO_MANUFACTURER_WARRANTY
    return None, None


def _offer_delivery(
    fields: dict[str, etree._Element], roles: param_roles.Roles, lines: dict[str, int]
) -> tuple[int | None, int | None, str | None]:
    options = fields.get("delivery-options")
    if options is None:
        return _stated_delivery(fields, roles, lines)
    lines["delivery"] = options.sourceline or 0
    days = _delivery_days(options)
    if days is None:
        return None, None, etree.tostring(options, encoding="unicode", with_tail=False)[:200]
    return days


def _stated_delivery(
    fields: dict[str, etree._Element], roles: param_roles.Roles, lines: dict[str, int]
) -> tuple[int | None, int | None, str | None]:
    """Delivery terms in words: a param «Доставка» / «Термін доставки», or `sales_notes` naming a time."""
    param = roles.get("delivery")
    if param is not None and param.value:
        if param.line:
            lines["delivery"] = param.line
        days = param_roles.first_reading(param, delivery_days)
        return (days[0], days[1], param.value) if days else (None, None, param.value)
    notes = fields.get("sales_notes")
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
