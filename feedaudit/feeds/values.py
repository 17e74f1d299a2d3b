"""Turning the text of a feed field into a value: numbers, booleans, periods and day ranges.

These parsers are shared by every reader. They accept what real feeds send (comma decimals, thousands
separators, currency codes and symbols beside the number, ISO 8601 durations) and return `None` when
the text is not a value, so the raw text kept beside it can be judged by the rules. Numbers are read
by the one price parser (`feedaudit.feeds.prices`), which also reads prices.
"""

from __future__ import annotations

import re
from decimal import Decimal

from feedaudit.feeds.prices import PriceKind, read_price

# Numbers are bounded: a value of 10^18 or more is no price, count, period or day anyone means, and
# keeping under decimal's 28-digit precision keeps every later quantize from failing.
MAX_WHOLE_DIGITS = 18
_ISO_DURATION = re.compile(r"^P(?:(\d{1,9})Y)?(?:(\d{1,9})M)?(?:(\d{1,9})W)?(?:(\d{1,9})D)?$", re.I)
_DAY_RANGE = re.compile(r"^\s*(-?\d{1,9})\s*(?:[-–—]|\.\.)\s*(-?\d{1,9})\s*$")


def text_of(value: str | None) -> str | None:
    """Strip a field's text; an empty or all-space field becomes `None`."""
    if value is None:
        return None
    stripped = value.strip()
    return stripped or None


def parse_decimal(text: str | None) -> Decimal | None:
    """A plain number such as a currency rate or a count: `'1 299,50'` → 1299.50, `'15.00 USD'` → 15.00,
    `'41.250'` → 41.25 (a lone mark before three digits is decimal here; prices are read by
    `feedaudit.feeds.prices`, which knows better); badly grouped digits (`'15.08.2017'`) → None."""
    reading = read_price(text)
    if reading.kind is PriceKind.AMOUNT and not reading.grouping_assumed:
        return reading.amount
    if reading.kind is PriceKind.AMBIGUOUS or reading.grouping_assumed:
        return reading.readings[1]
    return None


def split_price_currency(text: str | None) -> tuple[Decimal | None, str | None]:
    """Google-style `'15.00 USD'` → (15.00, 'USD'); `'16,500.00 UAH'` → (16500.00, 'UAH')."""
    reading = read_price(text)
    return reading.amount, reading.currency


def parse_int(text: str | None) -> int | None:
    """A whole quantity: `'12'`, `'12.0'`, `'1 200'`; anything else → None."""
    value = parse_decimal(text)
    if value is None or value != value.to_integral_value():
        return None
    return int(value)


def parse_bool(text: str | None) -> bool | None:
    if text is None:
        return None
    lowered = text.strip().casefold()
    if lowered in {"true", "1", "yes", "так", "да"}:
        return True
    if lowered in {"false", "0", "no", "ні", "нет"}:
        return False
    return None


def iso_duration_months(text: str | None) -> Decimal | None:
    """ISO 8601 duration (`P1Y6M`, `P30D`) as months; weeks and days count as 1/30 month per day."""
    if text is None:
        return None
    match = _ISO_DURATION.match(text.strip())
    if not match or not any(match.groups()):
        return None
    years, months, weeks, days = (int(g) if g else 0 for g in match.groups())
    total = Decimal(years * 12 + months) + Decimal(weeks * 7 + days) / Decimal(30)
    return total.quantize(Decimal("0.01")).normalize()


def parse_day_range(text: str | None) -> tuple[int, int] | None:
    """`'2-4'` → (2, 4), `'3'` → (3, 3); anything else → None (negative values are kept for the rules)."""
    if text is None:
        return None
    stripped = text.strip()
    match = _DAY_RANGE.match(stripped)
    if match:
        return int(match.group(1)), int(match.group(2))
    if re.fullmatch(r"-?\d{1,9}", stripped):
        return int(stripped), int(stripped)
    return None
