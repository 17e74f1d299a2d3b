"""Turning the text of a feed field into a value: numbers, booleans, periods and day ranges.

These parsers are shared by every reader. They accept what real feeds send (comma decimals, thousands
separators, currency codes and symbols beside the number, ISO 8601 durations) and return `None` when
the text is not a value, so the raw text kept beside it can be judged by the rules.
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal, InvalidOperation

_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']+")
_PLAIN_NUMBER = re.compile(r"\d{1,18}(?:\.\d{1,9})?")
_NUMBER = re.compile(r"^[+-]?(\d+(?:[.,]\d+)*)$")
_CURRENCY_AFFIX = re.compile(
    r"^([A-Za-z]{3}|[₴$€£₽]|грн\.?|uah|руб\.?)\s*|\s*([A-Za-z]{3}|[₴$€£₽]|грн\.?|руб\.?)$", re.I
)
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


@functools.lru_cache(maxsize=1024)  # pure; counts, periods and common prices repeat across offers
def parse_decimal(text: str | None) -> Decimal | None:
    """`'1 299,50'` → 1299.50, `'15.00 USD'` → 15.00, `'1,299.50'` → 1299.50; not a number → None."""
    if text is None:
        return None
    if _PLAIN_NUMBER.fullmatch(text):  # the common case, "1299" or "1299.50": no clean-up needed
        return Decimal(text)
    candidate = _CURRENCY_AFFIX.sub("", text.strip()).strip()
    candidate = _SPACES.sub("", candidate)
    if not _NUMBER.match(candidate):
        return None
    if "," in candidate and "." in candidate:
        # the later separator is the decimal one: "1,299.50" or "1.299,50"
        if candidate.rfind(",") > candidate.rfind("."):
            candidate = candidate.replace(".", "").replace(",", ".")
        else:
            candidate = candidate.replace(",", "")
    elif candidate.count(",") == 1:
        candidate = candidate.replace(",", ".")
    elif candidate.count(",") > 1 or candidate.count(".") > 1:
        candidate = candidate.replace(",", "").replace(".", "")
    try:
        value = Decimal(candidate)
    except InvalidOperation:
        return None
    return value if value.is_finite() and value.adjusted() < MAX_WHOLE_DIGITS else None


def split_price_currency(text: str | None) -> tuple[Decimal | None, str | None]:
    """Google-style `'15.00 USD'` → (15.00, 'USD')."""
    if text is None:
        return None, None
    parts = text.strip().rsplit(None, 1)
    if len(parts) == 2 and re.fullmatch(r"[A-Za-z]{3}", parts[1]):
        return parse_decimal(parts[0]), parts[1].upper()
    return parse_decimal(text), None


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
