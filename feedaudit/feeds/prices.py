"""Reading a price as a person reads it: the one parser of price text in feeds, inventories and pages.

`read_price` takes the text of a price field (`'12 990 грн'`, `'$16,500'`, `'1.299,50 €'`, `'6 300 Р'`,
`'Ціну уточнюйте'`, `'від 100'`) and says what it is: an amount (with the currency written beside it),
a placeholder, a range or bound, not a price at all, or ambiguous. Digit grouping is checked: every
group after the first has three digits, so `15.08.2017` and `1.2.3` are not prices.

A single `,` or `.` followed by exactly three digits (`16,500`) is either a thousands separator or a
decimal mark. The text alone does not say which; the currency does when its amounts cannot have three
decimals (ISO 4217 minor units: 2 for UAH, RUB, EUR, USD, …, 0 for JPY), so `12,990 грн` is 12 990.
When the currency is unknown, or its amounts have three decimals (KWD), the reading stays ambiguous and
carries both amounts; the feed-level rule `ambiguous-price` then weighs the feed's other prices.

Currency spellings come from `data/currencies.toml`, the one table of them.
"""

from __future__ import annotations

import enum
import functools
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from importlib import resources

from feedaudit.text import price_placeholder


class PriceKind(enum.StrEnum):
    AMOUNT = "amount"  # one amount: `amount` holds it
    AMBIGUOUS = "ambiguous"  # two readings, `readings` = (grouped, decimal); `amount` None
    PLACEHOLDER = "placeholder"  # words standing for a price («договірна», "call for price")
    RANGE = "range"  # a range or a bound ("100-200", "від 100", "from $10"): not one price
    NOT_A_PRICE = "not-a-price"  # anything else (a date, letters in the digits, two numbers)
    EMPTY = "empty"


@dataclass(frozen=True, slots=True)
class PriceReading:
    """What a price text says. `decimal_mark` / `group_mark` are the marks the text certainly uses as
    such (evidence about how the feed writes its numbers); `grouping_assumed` says a lone
    `,ddd` / `.ddd` was read as thousands because the currency's amounts have no three decimals."""

    kind: PriceKind
    amount: Decimal | None = None
    currency: str | None = None
    readings: tuple[Decimal, ...] = ()
    decimal_mark: str | None = None
    group_mark: str | None = None
    ambiguous_mark: str | None = None  # the lone `,` or `.` of a `,ddd` text, read or not
    fraction_digits: int = 0  # digits after the decimal mark
    grouping_assumed: bool = False


@dataclass(frozen=True, slots=True)
class Currency:
    code: str
    minor: int
    markers: tuple[str, ...]


@functools.cache
def currencies() -> Mapping[str, Currency]:
    """Every known currency by ISO code, from `data/currencies.toml`."""
    raw = tomllib.loads(resources.files("feedaudit").joinpath("data/currencies.toml").read_text("utf-8"))
    return {
        code: Currency(code, int(entry["minor"]), tuple(m.casefold() for m in entry["markers"]))
        for code, entry in raw.items()
    }


@functools.cache
def _marker_codes() -> dict[str, str]:
    table: dict[str, str] = {}
    for currency in currencies().values():
        table[currency.code.casefold()] = currency.code
        for marker in currency.markers:
            table.setdefault(marker, currency.code)
    return table


@functools.lru_cache(maxsize=1024)  # a feed names few currencies, on every offer
def currency_code(text: str | None) -> str | None:
    """`'грн'` → `'UAH'`, `'RUR'` → `'RUB'`, `'₴'` → `'UAH'`; another 3-letter code passes upper-cased."""
    if text is None:
        return None
    word = " ".join(text.split()).casefold()
    if not word:
        return None
    known = _marker_codes().get(word)
    if known is not None:
        return known
    return word.upper() if re.fullmatch(r"[a-z]{3}", word) else None


def minor_digits(code: str | None) -> int | None:
    """How many decimals an amount in `code` has (2 for most), or None for an unknown currency."""
    if code is None:
        return None
    known = currencies().get(code.upper())
    if known is not None:
        return known.minor
    return 2 if re.fullmatch(r"[A-Za-z]{3}", code) else None


@functools.cache
def marker_pattern() -> str:
    """A regex alternation of every currency marker, longest first (for finding prices in page text)."""
    markers = sorted(_marker_codes(), key=len, reverse=True)
    return "|".join(re.escape(m) + (r"(?![^\W\d_])" if m[-1].isalpha() else "") for m in markers)


@functools.cache
def symbol_pattern() -> str:
    """A regex alternation of the currency symbols (`$`, `€`, `₴`, …) that may precede a number."""
    symbols = sorted((m for m in _marker_codes() if not any(c.isalnum() for c in m)), key=len, reverse=True)
    return "|".join(re.escape(m) for m in symbols)


_SPACE_CHARS = "\u00a0\u202f\u2009\u2007\u2008\u200a\u205f\u3000"
_SPACE_TABLE = str.maketrans(dict.fromkeys(_SPACE_CHARS, " ") | {"’": "'", "‘": "'", "−": "-", "‒": "-"})
_PLAIN = re.compile(r"\d{1,18}(?:\.\d{1,2})?|\d{4,18}\.\d{1,9}|0\.\d{1,9}")
_CORE = re.compile(r"[+-]?\d(?:[\d.,' ]*\d)?(?:[.,]-{1,2})?")
_RANGE = re.compile(r"^\d[\d.,' ]*\s*(?:-|–|—|\.\.\.?|…|до|to)\s*\d[\d.,' ]*$", re.I)
_BOUND = re.compile(
    r"^(?:від|вiд|от|from|starting\s+(?:at|from)|ab|od|до|up\s+to|min\.?|max\.?|не\s+менее|не\s+менше)\s+|"
    r"\s*(?:і\s+більше|и\s+более|and\s+(?:up|more)|\+)$",
    re.I,
)


@functools.cache
def _affixes() -> tuple[re.Pattern[str], re.Pattern[str]]:
    markers = sorted(_marker_codes(), key=len, reverse=True)
    long_markers = [m for m in markers if len(m) > 1 or not m.isalpha()]
    alternation = "|".join(re.escape(m) for m in markers)
    prefix = "|".join(re.escape(m) for m in long_markers)
    return (  # a code not in the table counts only in capitals and apart from the number ("INR 999")
        re.compile(rf"^(?:(?P<cur>(?i:{prefix}))(?![^\W\d_])\s*|(?P<code>[A-Z]{{3}})\s+(?=\d))"),
        re.compile(rf"(?<![^\W\d_])(?:\s*(?P<cur>(?i:{alternation}))|\s+(?P<code>[A-Z]{{3}}))$"),
    )


def _strip_currency(text: str) -> tuple[str, str | None]:
    prefix, suffix = _affixes()
    currency = None
    match = prefix.match(text)
    if match and re.search(r"\d", text[match.end() :]):
        currency, text = currency_code(match.group("cur") or match.group("code")), text[match.end() :]
    match = suffix.search(text)
    if match and re.search(r"\d", text[: match.start()]):
        found = currency_code(match.group("cur") or match.group("code"))
        if currency is None or found == currency:
            currency, text = found, text[: match.start()]
    return text.strip(), currency


def read_price(text: str | None, currency: str | None = None) -> PriceReading:
    """Read one price field. `currency` is what the feed states apart from the text (YML `currencyId`)."""
    return _read_price(text, currency_code(currency) if currency else None)


@functools.lru_cache(maxsize=4096)  # pure; common prices repeat across offers
def _read_price(text: str | None, hint: str | None) -> PriceReading:
    if text is None or not text.strip():
        return PriceReading(PriceKind.EMPTY)
    stripped = text.strip()
    if _PLAIN.fullmatch(stripped):
        fraction = len(stripped.partition(".")[2])
        return PriceReading(
            PriceKind.AMOUNT, Decimal(stripped), decimal_mark="." if fraction else None, fraction_digits=fraction
        )
    cleaned = " ".join(stripped.translate(_SPACE_TABLE).split())
    core, currency = _strip_currency(cleaned)
    currency = currency or hint
    if not re.search(r"\d", core):
        kind = PriceKind.PLACEHOLDER if price_placeholder(stripped) is not None else PriceKind.NOT_A_PRICE
        return PriceReading(kind, currency=currency)
    if _BOUND.search(core) or _RANGE.match(re.sub(symbol_pattern(), "", core)):
        return PriceReading(PriceKind.RANGE, currency=currency)
    if not _CORE.fullmatch(core):
        kind = PriceKind.PLACEHOLDER if price_placeholder(stripped) is not None else PriceKind.NOT_A_PRICE
        return PriceReading(kind, currency=currency)
    number = read_number(core)
    if number.kind is PriceKind.AMBIGUOUS:
        minor = minor_digits(currency)
        if minor is not None and minor != 3:
            return PriceReading(
                PriceKind.AMOUNT,
                number.readings[0],
                currency,
                number.readings,
                ambiguous_mark=number.ambiguous_mark,
                grouping_assumed=True,
            )
    return PriceReading(
        number.kind,
        number.amount,
        currency,
        number.readings,
        number.decimal_mark,
        number.group_mark,
        number.ambiguous_mark,
        fraction_digits=number.fraction_digits,
    )


def parse_price(text: str | None, currency: str | None = None) -> Decimal | None:
    """The amount of a price field, or None when it is not one unambiguous amount."""
    return read_price(text, currency).amount


def read_number(core: str) -> PriceReading:
    """A number with optional sign, grouping and decimal mark (no currency, no words).

    `'1 299,50'` → 1299.50; `'1,299.50'` → 1299.50; `'1.299.000'` → 1299000; `'16,500'` → ambiguous
    (16500 or 16.5); `'15.08.2017'`, `'1.2.3'`, `'12 34'` → not a price.
    """
    text = core.strip()
    sign = ""
    if text[:1] in "+-":
        sign, text = ("-" if text[0] == "-" else ""), text[1:].lstrip()
    text = re.sub(r"[.,]-{1,2}$", "", text)  # "1 299,-": whole units
    if not re.fullmatch(r"\d(?:[\d.,' ]*\d)?", text):
        return PriceReading(PriceKind.NOT_A_PRICE)
    groups = re.split(r"[.,' ]", text)
    marks = re.findall(r"[.,' ]", text)
    if not marks:
        return _amount(sign + text)
    dots_commas = [m for m in marks if m in ".,"]
    kinds = set(dots_commas)
    decimal: str | None = None
    if len(kinds) == 2:
        decimal = marks[-1]  # "1,299.50", "1.299,50": the last mark is the decimal one, used once
        if decimal not in ".," or dots_commas.count(decimal) != 1:
            return PriceReading(PriceKind.NOT_A_PRICE)
    elif len(kinds) == 1 and dots_commas.count(marks[-1]) == 1 and marks[-1] in ".,":
        mark = marks[-1]
        whole, fraction = groups[:-1], groups[-1]
        if len(whole) == 1 and len(fraction) == 3 and not whole[0].startswith("0") and len(whole[0]) <= 3:
            grouped, as_decimal = Decimal(sign + whole[0] + fraction), Decimal(f"{sign}{whole[0]}.{fraction}")
            return PriceReading(PriceKind.AMBIGUOUS, readings=(grouped, as_decimal), ambiguous_mark=mark)
        if len(whole) > 1 and len(fraction) == 3:
            # "1 299,500": spaces group, so the comma is decimal; "1'299.500" likewise
            decimal = mark
        elif len(fraction) == 3 and len(whole) == 1:
            decimal = mark  # "0.500", "1299.000": grouping cannot start with 0 or hold four digits
        else:
            decimal = mark
    if decimal is not None:
        whole, fraction = groups[:-1], groups[-1]
        group_marks = set(marks[:-1])
        if len(group_marks) > 1 or not _grouped(whole):
            return PriceReading(PriceKind.NOT_A_PRICE)
        group = next(iter(group_marks)) if group_marks else None
        value = _amount(f"{sign}{''.join(whole)}.{fraction}")
        return PriceReading(
            value.kind, value.amount, decimal_mark=decimal, group_mark=group, fraction_digits=len(fraction)
        )
    if len(set(marks)) > 1 or not _grouped(groups):
        return PriceReading(PriceKind.NOT_A_PRICE)
    value = _amount(sign + "".join(groups))
    return PriceReading(value.kind, value.amount, group_mark=marks[0])


def _grouped(groups: list[str]) -> bool:
    """Digit groups of a grouped number: the first of one to three digits, every other of three."""
    if len(groups) == 1:
        return bool(groups[0])
    return 1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])


def _amount(text: str) -> PriceReading:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return PriceReading(PriceKind.NOT_A_PRICE)
    if not value.is_finite() or len(text.lstrip("-").split(".")[0]) > 18:
        return PriceReading(PriceKind.NOT_A_PRICE)
    return PriceReading(PriceKind.AMOUNT, value)


def parse_schema_price(text: str | None) -> Decimal | None:
    """A schema.org `price` (`'1299.50'`, `'16,500'`): the dot is the decimal mark and a comma only
    groups, as schema.org prescribes; words and currency markers are allowed around the number."""
    if text is None:
        return None
    reading = read_price(text)
    if reading.kind is PriceKind.AMOUNT and not reading.grouping_assumed:
        return reading.amount
    if reading.readings:
        return reading.readings[0] if reading.ambiguous_mark == "," else reading.readings[1]
    return None
