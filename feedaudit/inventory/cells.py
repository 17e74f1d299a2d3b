"""Turning one inventory cell into a value: text, a price in ten-thousandths, a whole quantity, a status.

Spreadsheets, JSON and databases hand over typed cells (ints, floats, Decimals, booleans); CSV hands over
text. Everything goes through text here so one set of rules applies: `1 299,50` and `1299.5` are the same
price, `12.0` is a quantity of 12, a barcode typed as a number loses nothing. The common shapes take a
fast path, the rest go through the feed readers' parsers.
"""

from __future__ import annotations

import datetime
import re
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from feedaudit.feeds.prices import parse_price
from feedaudit.feeds.values import MAX_WHOLE_DIGITS, parse_bool, parse_decimal
from feedaudit.model import Availability
from feedaudit.text import availability_from_text

SCALE = 10_000  # prices are kept in ten-thousandths of a currency unit
MISSING = -(2**63)  # "no value" in the compact integer columns
_PLAIN_PRICE = re.compile(r"(\d{1,14})(?:[.,](\d{1,2}|\d{4}))?")  # three decimals: the price parser decides
_QUARTER = Decimal("0.0001")
_MAX_UNITS = 2**62


def cell_text(value: Any) -> str:
    """A typed cell as text: None → `''`, 1001.0 → `'1001'`, True → `'true'`."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return str(value)


def price_units(text: str) -> int | None:
    """A price as ten-thousandths (`'1299.5'` → 12995000); None when the text is not a number.

    Negative prices come back negative; the caller decides what they mean.
    """
    match = _PLAIN_PRICE.fullmatch(text)
    if match is not None:
        whole, fraction = match.groups()
        units = int(whole) * SCALE
        if fraction:
            units += int(fraction.ljust(4, "0"))
        return units
    value = parse_price(text)
    if value is None:
        return None
    units = int((value * SCALE).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
    if abs(units) >= _MAX_UNITS:
        return None
    return units


def units_to_decimal(units: int) -> Decimal:
    """12995000 → Decimal('1299.5'); 12990000 → Decimal('1299')."""
    whole, rest = divmod(units, SCALE)
    if rest == 0:
        return Decimal(whole)
    return (Decimal(units) / SCALE).quantize(_QUARTER).normalize()


def whole_number(text: str) -> int | None:
    """A quantity: `'12'`, `'12.0'`, `'-3'`, `'1 200'`; None when the text is not a whole number."""
    if text.isdecimal() and len(text) <= MAX_WHOLE_DIGITS:
        return int(text)
    value = parse_decimal(text)
    if value is None or value != value.to_integral_value():
        return None
    return int(value)


def status_of(text: str) -> Availability | None:
    """What an availability cell says: words (`'Немає'`, `'in stock'`), booleans, or a count."""
    stripped = text.strip()
    if not stripped:
        return None
    flag = parse_bool(stripped)
    if flag is not None:
        return Availability.IN_STOCK if flag else Availability.OUT_OF_STOCK
    count = whole_number(stripped)
    if count is not None:
        return Availability.IN_STOCK if count > 0 else Availability.OUT_OF_STOCK
    status = availability_from_text(stripped)
    # A placeholder ("дзвоніть", "уточнюйте") in the shop's own stock list states no stock level.
    return Availability.UNKNOWN if status is Availability.ON_REQUEST else status
