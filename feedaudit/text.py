"""Text normalisation shared by readers and rules, and the status vocabulary readers map values with.

`normalise` is the one place where text is made comparable: HTML and CDATA stripped, Unicode NFKC,
Latin/Cyrillic look-alike letters folded towards the script of the word they sit in, casefold,
ё→е, apostrophe and dash variants unified, whitespace collapsed. Nothing should match a phrase on raw
text. Matching happens on whole words (see `phrase_in`).
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from decimal import Decimal

from feedaudit.model import Availability, Condition

_TAG = re.compile(r"<[^>]{0,2000}>")
_CDATA = re.compile(r"<!\[CDATA\[|\]\]>")
_SPACE = re.compile(r"\s+")
_APOSTROPHES = str.maketrans({"ʼ": "'", "’": "'", "‘": "'", "`": "'", "´": "'", "ʹ": "'", "＇": "'"})
_DASHES = str.maketrans({"–": "-", "—": "-", "‒": "-", "―": "-", "−": "-", "‐": "-", "‑": "-"})

# Latin letters that look like Cyrillic ones, and the reverse (lower case; text is casefolded first).
_LATIN_TO_CYRILLIC = str.maketrans("aceiopxyhkmtbj", "асеіорхуһкмтвј")
_CYRILLIC_TO_LATIN = str.maketrans("асеіорхуһкмтвјё", "aceiopxyhkmtbje")
_LOOKALIKE_LATIN = set("aceiopxyhkmtbj")
_LOOKALIKE_CYRILLIC = set("асеіорхуһкмтвјё")
_WORD = re.compile(r"\w+")


def _is_cyrillic(char: str) -> bool:
    return "\u0400" <= char <= "\u04ff"


def _fold_word(word: str) -> str:
    """Fold look-alike letters towards the script of the word's unambiguous ('strong') letters."""
    has_latin = any("a" <= c <= "z" for c in word)
    has_cyrillic = any(_is_cyrillic(c) for c in word)
    if not (has_latin and has_cyrillic):
        return word
    strong_cyrillic = sum(1 for c in word if _is_cyrillic(c) and c not in _LOOKALIKE_CYRILLIC)
    strong_latin = sum(1 for c in word if "a" <= c <= "z" and c not in _LOOKALIKE_LATIN)
    if strong_cyrillic >= strong_latin:
        return word.translate(_LATIN_TO_CYRILLIC)
    return word.translate(_CYRILLIC_TO_LATIN)


@functools.lru_cache(maxsize=65536)
def normalise(text: str) -> str:
    """Make text comparable: see the module docstring for the steps, in order."""
    if "<" in text or "&" in text:
        text = _CDATA.sub(" ", text)
        text = _TAG.sub(" ", text)
        text = html.unescape(text)
    text = unicodedata.normalize("NFKC", text).casefold()
    text = text.translate(_APOSTROPHES).translate(_DASHES)
    text = _WORD.sub(lambda m: _fold_word(m.group(0)), text)
    text = text.replace("ё", "е")
    return _SPACE.sub(" ", text).strip()


@functools.lru_cache(maxsize=4096)
def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    escaped = r"\s+".join(re.escape(part) for part in normalise(phrase).split())
    return re.compile(rf"(?<!\w){escaped}(?!\w)")


def phrase_in(phrase: str, normalised_text: str) -> bool:
    """Whether `phrase` occurs in already-normalised text as whole words."""
    return _phrase_pattern(phrase).search(normalised_text) is not None


def first_phrase(phrases: tuple[str, ...], normalised_text: str) -> str | None:
    for phrase in phrases:
        if phrase_in(phrase, normalised_text):
            return phrase
    return None


# Status vocabulary. Negatives are checked first: "в наявності" is inside "немає в наявності".
_OUT_OF_STOCK = (
    "out of stock",
    "out_of_stock",
    "outofstock",
    "sold out",
    "discontinued",
    "not available",
    "unavailable",
    "немає в наявності",
    "нема в наявності",
    "немає",
    "відсутній",
    "закінчився",
    "нет в наличии",
    "нет",
    "отсутствует",
    "закончился",
    "not_available",
)
_PREORDER = ("preorder", "pre-order", "передзамовлення", "предзаказ", "очікується", "ожидается", "waiting")
_BACKORDER = (
    "backorder",
    "available for order",
    "on order",
    "під замовлення",
    "под заказ",
    "на замовлення",
    "на заказ",
    "в дорозі",
    "в пути",
)
_IN_STOCK = (
    "in stock",
    "in_stock",
    "instock",
    "available",
    "limited availability",
    "в наявності",
    "є в наявності",
    "є",
    "в наличии",
    "есть в наличии",
    "есть",
    "на складі",
    "на складе",
    "склад",
    "готово до відправки",
    "готов к отправке",
    "true",
    "yes",
    "так",
    "да",
)


def availability_from_text(text: str | None) -> Availability | None:
    """Map a stated availability (`'В наявності'`, `'out of stock'`, `'Под заказ'`) to a status.

    Returns `Availability.UNKNOWN` for text that states something this vocabulary does not know, and
    `None` for no text at all.
    """
    if text is None or not text.strip():
        return None
    normalised = normalise(text)
    for phrases, status in (
        (_OUT_OF_STOCK, Availability.OUT_OF_STOCK),
        (_PREORDER, Availability.PREORDER),
        (_BACKORDER, Availability.BACKORDER),
        (_IN_STOCK, Availability.IN_STOCK),
    ):
        if normalised in phrases or first_phrase(phrases, normalised) is not None:
            return status
    return Availability.UNKNOWN


_CONDITION_WORDS: tuple[tuple[tuple[str, ...], Condition], ...] = (
    (
        (
            "refurbished",
            "restored",
            "відновлений",
            "відновлена",
            "восстановленный",
            "восстановленная",
            "реставрований",
            "refurb",
        ),
        Condition.REFURBISHED,
    ),
    (
        (
            "discount",
            "discounted",
            "reduction",
            "showcasesample",
            "showcase sample",
            "likenew",
            "like new",
            "open box",
            "уцінка",
            "уцінений",
            "уценка",
            "уцененный",
            "уценённый",
            "вітринний зразок",
            "витринный образец",
        ),
        Condition.DISCOUNTED,
    ),
    (
        (
            "used",
            "preowned",
            "pre-owned",
            "б/в",
            "б/у",
            "бв",
            "бу",
            "вживаний",
            "вживана",
            "вживаний товар",
            "бывший в употреблении",
            "був у використанні",
            "used_perfect",
            "used_well",
            "used_satisfy",
        ),
        Condition.USED,
    ),
    (("new", "новий", "нова", "нове", "новый", "новое", "новая"), Condition.NEW),
)


def condition_from_text(text: str | None) -> Condition | None:
    """Map a stated condition label (`'Б/в'`, `'refurbished'`, `'Новий'`) to a condition, or None."""
    if text is None or not text.strip():
        return None
    normalised = normalise(text)
    for words, condition in _CONDITION_WORDS:
        if normalised in words:
            return condition
    for words, condition in _CONDITION_WORDS:
        if first_phrase(words, normalised) is not None:
            return condition
    return None


_PERIOD = re.compile(r"(\d+(?:[.,]\d+)?)\s*([^\d\s.,;()]+)?")
_PERIOD_UNITS: tuple[tuple[tuple[str, ...], Decimal], ...] = (
    (
        ("рік", "роки", "років", "року", "год", "года", "лет", "г", "р", "year", "years", "yr", "yrs", "y"),
        Decimal(12),
    ),
    (
        (
            "місяць",
            "місяці",
            "місяців",
            "міс",
            "місяця",
            "месяц",
            "месяца",
            "месяцев",
            "мес",
            "мiс",
            "month",
            "months",
            "mo",
            "mon",
            "m",
        ),
        Decimal(1),
    ),
    (("тиждень", "тижні", "тижнів", "неделя", "недели", "недель", "week", "weeks", "w"), Decimal(7) / 30),
    (("день", "дні", "днів", "дня", "дней", "дн", "day", "days", "d"), Decimal(1) / 30),
)


def period_months(text: str | None, default_unit: Decimal | None = None) -> Decimal | None:
    """A stated period (`'12 місяців'`, `'1 год'`, `'2 years'`, `'14 днів'`) in months, or None.

    A bare number uses `default_unit` (months per unit) when given, else is not understood.
    """
    if text is None:
        return None
    match = _PERIOD.search(normalise(text))
    if match is None:
        return None
    amount = Decimal(match.group(1).replace(",", "."))
    unit_word = (match.group(2) or "").rstrip(".")
    if not unit_word:
        return None if default_unit is None else (amount * default_unit).normalize()
    for words, months in _PERIOD_UNITS:
        if unit_word in words:
            return (amount * months).quantize(Decimal("0.01")).normalize()
    return None
