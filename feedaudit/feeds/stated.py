"""What a stated warranty, condition, availability, delivery time or returns policy means.

Readers find where a dialect states these facts (an element, an attribute, a code, a param the shop
named); this module, shared by all of them, says what the stated text means. A dialect's own codes
(`condition="3"`, `in_stock`, `refurbished`) come first from the table the reader passes; anything
else is read in words by the vocabulary of `feedaudit.text`, so «Б/в», «Під замовлення» or
«12 місяців» mean the same in every dialect. A param is found by its name (`feedaudit.feeds.params`)
and read here the same way whichever reader found it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import TypeVar

from feedaudit import lexicon
from feedaudit.feeds import params as param_roles
from feedaudit.model import Availability, Condition, Param
from feedaudit.text import availability_from_text, condition_from_text, delivery_days, normalise, period_months

ONE_MONTH = Decimal(1)
ONE_DAY = Decimal(1) / Decimal(30)
_MONTH_WORDS = ("міс", "мес", "month")
_DAY_WORDS = ("day", "дн", "ден", "дні")
_Meaning = TypeVar("_Meaning")


def availability(raw: str, codes: Mapping[str, Availability] | None = None) -> Availability | None:
    """The availability a stated value means: a dialect code from `codes` (compared casefolded), else words."""
    return _coded(raw, codes, availability_from_text)


def condition(raw: str, codes: Mapping[str, Condition] | None = None) -> Condition | None:
    """The condition a stated value means: a dialect code from `codes` (compared casefolded), else words."""
    return _coded(raw, codes, condition_from_text)


def _coded(raw: str, codes: Mapping[str, _Meaning] | None, words: Callable[[str], _Meaning | None]) -> _Meaning | None:
    if codes:
        coded = codes.get(raw.casefold())
        if coded is not None:
            return coded
    return words(raw)


def period_unit(name: str | None, unit: str | None = None) -> Decimal | None:
    """The unit, in months, that a field's name or `unit` attribute gives a bare number.

    «Гарантія, міс» or `unit="міс."` → 1; `unit="days"` or «днів» → 1/30; nothing telling → None.
    """
    for label in (name, unit):
        if label:
            folded = label.casefold()
            for word in _MONTH_WORDS:  # a loop, not any(): this runs for the warranty param of every offer
                if word in folded:
                    return ONE_MONTH
    if unit and unit.strip().casefold().startswith(_DAY_WORDS):
        return ONE_DAY
    return None


def warranty_months(raw: str, *, unit: Decimal | None = None) -> Decimal | None:
    """A stated warranty period in months («12 місяців», «1 рік», `P1Y`); a bare number counts in `unit`."""
    return period_months(raw, default_unit=unit)


def param_warranty(param: Param) -> Decimal | None:
    """The warranty a param states, in months; its name or unit may give a bare number its unit («…, міс»)."""
    unit = period_unit(param.name, param.unit)
    return param_roles.first_reading(param, lambda value: period_months(value, default_unit=unit))


def warranty_card(roles: param_roles.Roles, lines: dict[str, int]) -> str | None:
    """A warranty card among the contents of the box a param lists («…, гарантійний талон»): its words.

    The product then has a warranty, stated without its period; readers take this only when the offer
    states no warranty otherwise.
    """
    param = roles.get("contents")
    if param is None:
        return None
    found = param_roles.first_reading(param, lambda value: lexicon.vocabulary("warranty.card").find(normalise(value)))
    if found is not None and param.line:
        lines["warranty"] = param.line
    return found


def param_condition(roles: param_roles.Roles, lines: dict[str, int]) -> tuple[Condition | None, str] | None:
    """The condition the offer's params state: a «Стан» param, or a yes / no param named after a condition."""
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
    return None


def param_availability(roles: param_roles.Roles, lines: dict[str, int]) -> tuple[Availability | None, str] | None:
    """The availability a «Наявність» param states."""
    param = roles.get("availability")
    if param is None:
        return None
    if param.line:
        lines["availability"] = param.line
    return availability_from_text(param.value), param.value


def param_delivery(roles: param_roles.Roles) -> tuple[Param, tuple[int, int] | None] | None:
    """The delivery param of the offer (a «Термін доставки» with a value) and the days it states, if any."""
    param = roles.get("delivery")
    if param is None or not param.value:
        return None
    return param, param_roles.first_reading(param, delivery_days)


def returns(roles: param_roles.Roles, lines: dict[str, int]) -> str | None:
    """The returns policy a param states apart from the warranty («Обмін та повернення»)."""
    param = roles.get("returns")
    if param is None:
        return None
    if param.line:
        lines["return"] = param.line
    return param.value
