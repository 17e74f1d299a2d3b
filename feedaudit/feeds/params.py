"""Which free-named `<param>` carries a canonical fact: warranty, returns, condition, stock or delivery.

YML and Hotline feeds (and their marketplace variants) put these facts into params named by the
shop. The names below are the spellings seen in real feeds, compared after normalisation: exact
names first, then a name containing a telling stem («Гарантія на цей товар», «Гарантийный (срок)»,
«Доставка/Оплата»). Readers use this module; rules never see a param name.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from lxml import etree

from feedaudit.feeds.xmlstream import local
from feedaudit.model import Condition, Param
from feedaudit.text import condition_from_text, normalise

WARRANTY_NAMES = (
    "гарантія",
    "гарантия",
    "гарантійний термін",
    "гарантийный срок",
    "гарантійний строк",
    "гарантійний строк, міс.",
    "гарантійний термін, міс",
    "гарантия, мес",
    "гарантия, мес.",
    "гарантія, міс",
    "кол-во месяцев гарантии",
    "термін гарантії",
    "срок гарантии",
    "гарантійний період",
    "гарантийный период",
    "warranty",
    "guarantee",
)
WARRANTY_STEMS = ("гарант", "warrant", "guarant")
RETURN_NAMES = (
    "обмін та повернення",
    "повернення",
    "обмін/повернення",
    "повернення та обмін",
    "обмен и возврат",
    "возврат",
    "returns",
    "return policy",
)
RETURN_STEMS = ("обмін", "повернен", "обмен", "возврат", "return", "refund")
CONDITION_NAMES = ("стан", "стан товару", "состояние", "состояние товара", "condition", "state")
# Params named after a condition, holding yes / no: «Восстановленный» = «Да».
CONDITION_FLAG_NAMES = ("восстановленный", "відновлений", "refurbished", "уцінка", "уценка", "б/у", "б/в", "used")
AVAILABILITY_NAMES = ("наявність", "наличие", "статус наявності", "статус наличия", "availability", "stock status")
DELIVERY_NAMES = (
    "доставка",
    "термін доставки",
    "срок доставки",
    "доставка/оплата",
    "доставка-оплата",
    "доставка та оплата",
    "доставка и оплата",
    "термін відправки",
    "срок отправки",
    "відправка",
    "отправка",
    "delivery",
    "delivery time",
    "shipping",
    "lead time",
)
DELIVERY_STEMS = ("доставк", "відправ", "отправ", "delivery", "shipping", "dispatch")
# What comes in the box: read for a warranty card among the contents.
CONTENTS_NAMES = (
    *("комплектація", "комплектация", "комплект поставки", "комплектність", "комплектность"),
    *("package contents", "in the box", "what's in the box"),
)
CONTENTS_STEMS = ("комплект", "package content", "in the box")
_YES = ("так", "да", "yes", "true", "1", "є", "есть")
_NO = ("ні", "нет", "no", "false", "0", "немає")

_EXACT = (
    ("warranty", WARRANTY_NAMES),
    ("returns", RETURN_NAMES),
    ("condition", CONDITION_NAMES),
    ("condition-flag", CONDITION_FLAG_NAMES),
    ("availability", AVAILABILITY_NAMES),
    ("delivery", DELIVERY_NAMES),
    ("contents", CONTENTS_NAMES),
)


UKRAINIAN = ("ua", "uk")
_Reading = TypeVar("_Reading")


def values_of(element: etree._Element) -> tuple[str, tuple[str, ...]]:
    """The value of a param element and its other-language versions.

    `<param name="…">text</param>` is its text. A param written as `<value lang="ru">…</value><value
    lang="uk">…</value>` (Allo exports, for one) has no text of its own: its value is the Ukrainian
    `<value>`, else the first one with text, and the other `<value>`s are its other-language versions.
    """
    own = (element.text or "").strip()
    texts: list[str] = []
    ukrainian: str | None = None
    for child in element:
        if local(child.tag) != "value":
            continue
        text = (child.text or "").strip()
        if not text:
            continue
        texts.append(text)
        lang = (child.get("lang") or "").strip().casefold()
        if ukrainian is None and lang.partition("-")[0] in UKRAINIAN:
            ukrainian = text
    main = own or ukrainian or (texts[0] if texts else "")
    return main, tuple(text for text in dict.fromkeys(texts) if text != main)


def first_reading(param: Param, read: Callable[[str], _Reading | None]) -> _Reading | None:
    """What `read` makes of the param's value, else of the first other-language version it understands."""
    for value in param.values:
        reading = read(value)
        if reading is not None:
            return reading
    return None


@functools.lru_cache(maxsize=8192)
def role(name: str) -> str | None:
    """What a param of this name carries: `warranty`, `returns`, `condition`, `condition-flag`,
    `availability`, `delivery` or `contents` (what comes in the box) for an exact name, the same with
    `~` for a name matched by its stem.
    """
    normalised = normalise(name)
    for kind, names in _EXACT:
        if normalised in names:
            return kind
    if any(stem in normalised for stem in RETURN_STEMS):
        return "returns~"  # «Гарантія повернення коштів» names a returns policy
    if any(stem in normalised for stem in WARRANTY_STEMS):
        return "warranty~"
    if any(stem in normalised for stem in DELIVERY_STEMS):
        return "delivery~"
    if any(stem in normalised for stem in CONTENTS_STEMS):
        return "contents~"
    return None


@dataclass(frozen=True, slots=True)
class Roles:
    """The params of one offer that carry canonical facts (exact names win over stems)."""

    found: dict[str, Param]

    def get(self, kind: str) -> Param | None:
        return self.found.get(kind) or self.found.get(kind + "~")


def roles(params: Sequence[Param]) -> Roles:
    found: dict[str, Param] = {}
    for param in params:
        kind = role(param.name)
        if kind is not None and kind not in found:
            found[kind] = param
    return Roles(found)


def condition_flag(param: Param | None) -> Condition | None:
    """The condition a yes / no param named after a condition states: yes is that condition, no is new."""
    if param is None:
        return None
    value = normalise(param.value)
    if value in _YES:
        return condition_from_text(param.name)
    if value in _NO:
        return Condition.NEW
    return None
