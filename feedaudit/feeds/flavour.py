"""Which marketplace a YML feed is written for, told from several signals, and which signals decided.

Prom, Rozetka, Epicentr and MAUDAU all write Yandex YML, and the flavour changes what a value means
(`available="false"` is "on order" for Prom, "not in stock" for Rozetka) and which profile's
severities apply. No single tag settles it: real Rozetka feeds leave out `rz_id`, real Prom feeds
leave out `portal_category_id`. So each flavour collects points from the shop header and the first
offer: a tag only that marketplace defines is worth 3 (decides alone), a spelling it shares with one
other is worth 1. The flavour with the most points wins when it has at least 2 and leads the next by
at least 1; otherwise the feed is plain `yml`. The signals that decided are kept for the report.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from lxml import etree

from feedaudit.feeds.xmlstream import local

DECISIVE = 3
SHARED = 1
ENOUGH = 2


@dataclass(frozen=True, slots=True)
class Signal:
    flavour: str
    weight: int
    says: str  # what was seen, in the words the report shows


@dataclass(frozen=True, slots=True)
class Verdict:
    flavour: str
    signals: tuple[str, ...]  # what decided, strongest first ("" when nothing did)


def detect(offer: etree._Element, shop: etree._Element | None) -> Verdict:
    """The flavour of a YML feed from its first offer and its `shop` element (None when there is none)."""
    signals = list(_signals(offer, shop))
    points: dict[str, int] = {}
    for signal in signals:
        points[signal.flavour] = points.get(signal.flavour, 0) + signal.weight
    ranked = sorted(points.items(), key=lambda item: (-item[1], item[0]))
    if not ranked or ranked[0][1] < ENOUGH or (len(ranked) > 1 and ranked[1][1] >= ranked[0][1]):
        return Verdict("yml", ())
    winner = ranked[0][0]
    decided = sorted((s for s in signals if s.flavour == winner), key=lambda s: -s.weight)
    return Verdict(winner, tuple(s.says for s in decided))


def _signals(offer: etree._Element, shop: etree._Element | None) -> Iterable[Signal]:
    children = {local(child.tag): child for child in reversed(offer)}
    attributes = set(offer.attrib)
    if shop is None:
        yield Signal("epicentr", ENOUGH, "offers outside a <shop> element")
    else:
        categories = next((c for c in shop if local(c.tag) == "categories"), None)
        first_category = categories[0] if categories is not None and len(categories) else None
        category_attributes = set(first_category.attrib) if first_category is not None else set()
        if "rz_id" in category_attributes:
            yield Signal("rozetka", DECISIVE, "category@rz_id")
        if "portal_id" in category_attributes:
            yield Signal("maudau", DECISIVE, "category@portal_id")
        platform = next((c.text or "" for c in shop if local(c.tag) == "platform"), "")
        if "rozetka" in platform.casefold():
            yield Signal("rozetka", ENOUGH, f"shop platform {platform.strip()!r}")
    if "price_promo" in children:
        yield Signal("rozetka", DECISIVE, "<price_promo>")
    if "stock_quantity" in children:
        yield Signal("rozetka", SHARED, "<stock_quantity>")
    if "price_old" in children:
        yield Signal("rozetka", SHARED, "<price_old>")
        yield Signal("epicentr", SHARED, "<price_old>")
    for tag in ("presence_sure", "selling_type"):
        if tag in attributes:
            yield Signal("prom", DECISIVE, f"offer@{tag}")
    for tag in ("keywords", "portal_category_id"):
        if tag in children:
            yield Signal("prom", DECISIVE, f"<{tag}>")
    if "quantity_in_stock" in children:
        yield Signal("prom", SHARED, "<quantity_in_stock>")
    pictures = (child.text or "" for child in offer if local(child.tag) == "picture")
    if any("images.prom.ua" in picture for picture in pictures):
        yield Signal("prom", DECISIVE, "pictures on images.prom.ua")
    if any(child.get("paramcode") is not None for child in offer if local(child.tag) == "param"):
        yield Signal("epicentr", DECISIVE, "param@paramcode")
    if any(child.get("lang") is not None for child in offer if local(child.tag) in ("name", "description")):
        yield Signal("epicentr", ENOUGH, "<name lang=…>")
