"""Text normalisation shared by readers and rules, and what feed text means in the lexicon's words.

`normalise` is the one place where text is made comparable, in this order: HTML tags, entities and
CDATA markers stripped; Unicode NFKC; casefold; apostrophe variants (ʼ ' ’ ‘ ` ´) written `'`, dash
variants written `-`, `\\` written `/`, ё written е; Latin/Cyrillic look-alike letters folded towards
the script of the word's "strong" letters (letters without a twin; the majority decides only when
neither script has one); whitespace collapsed. Nothing matches a phrase on raw text.

The readers and rules ask this module what a value says: a stock status, a condition label, a
placeholder, a warranty statement, a period, a delivery time. The words themselves are data
(`feedaudit/data/lexicon.toml`, compiled by `feedaudit.lexicon`); matching is always on whole words.
Long free text (descriptions) is never normalised whole: cheap anchors find candidate places on the
raw text, and only the words around a candidate are normalised and read.
"""

from __future__ import annotations

import enum
import functools
import html
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from feedaudit import lexicon
from feedaudit.model import Availability, Condition

_TAG = re.compile(r"<[^>]{0,2000}>")
_CDATA = re.compile(r"<!\[CDATA\[|\]\]>")
_PUNCTUATION = str.maketrans(
    {
        "ʼ": "'",
        "’": "'",
        "‘": "'",
        "`": "'",
        "´": "'",
        "ʹ": "'",
        "′": "'",
        "‐": "-",
        "‑": "-",
        "‒": "-",
        "–": "-",
        "—": "-",
        "―": "-",
        "−": "-",
        "\\": "/",
        "ё": "е",
    }
)
_HAS_PUNCTUATION = re.compile("[" + "".join(re.escape(chr(c)) for c in _PUNCTUATION) + "]")
_LATIN, _CYRILLIC = lexicon.confusables()
_LATIN_TO_CYRILLIC = str.maketrans(_LATIN, _CYRILLIC)
_CYRILLIC_TO_LATIN = str.maketrans(_CYRILLIC, _LATIN)
_LOOKALIKE_LATIN = frozenset(_LATIN)
_LOOKALIKE_CYRILLIC = frozenset(_CYRILLIC)
_WORD = re.compile(r"\w+")
# A Latin letter touching a letter of another script: only text with such a seam is folded.
_SCRIPT_SEAM = re.compile(r"[a-z](?:(?=[^\W\d_a-z])|(?<=[^\W\d_a-z][a-z]))")


def _is_cyrillic(char: str) -> bool:
    return "\u0400" <= char <= "\u04ff"


def _fold_word(word: str) -> str:
    """Fold look-alike letters of a mixed-script word towards the script of its strong letters."""
    latin = [c for c in word if "a" <= c <= "z"]
    if not latin:
        return word
    cyrillic = [c for c in word if _is_cyrillic(c)]
    if not cyrillic:
        return word
    strong_cyrillic = sum(1 for c in cyrillic if c not in _LOOKALIKE_CYRILLIC)
    strong_latin = sum(1 for c in latin if c not in _LOOKALIKE_LATIN)
    # strong letters decide; with only look-alikes the majority does, ties going to Cyrillic
    # (the feeds' main script)
    strong = strong_cyrillic or strong_latin
    to_cyrillic = strong_cyrillic >= strong_latin if strong else len(cyrillic) >= len(latin)
    return word.translate(_LATIN_TO_CYRILLIC if to_cyrillic else _CYRILLIC_TO_LATIN)


def _fold_match(match: re.Match[str]) -> str:
    return _fold_word(match.group(0))


NORMALISE_CACHE_LIMIT = 200  # characters; longer texts (names, descriptions) are rarely repeated


def normalise(text: str) -> str:
    """Make text comparable: see the module docstring for the steps, in order.

    Short texts (status words, param names and values, labels) repeat on every offer and are cached;
    long ones are not, so the cache stays a few MB however big the feed is.
    """
    if len(text) <= NORMALISE_CACHE_LIMIT:
        return _normalise_cached(text)
    return _normalise(text)


def _normalise(text: str) -> str:
    if "<" in text or "&" in text:
        text = _CDATA.sub(" ", text)
        text = _TAG.sub(" ", text)
        text = html.unescape(text)
    text = unicodedata.normalize("NFKC", text).casefold()
    if _HAS_PUNCTUATION.search(text):
        text = text.translate(_PUNCTUATION)
    if _SCRIPT_SEAM.search(text):
        text = _WORD.sub(_fold_match, text)
    return " ".join(text.split())


_normalise_cached = functools.lru_cache(maxsize=16384)(_normalise)


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


# -- stock status ---------------------------------------------------------------------------------

_STATUSES = (  # negatives first: "в наявності" is inside "немає в наявності"
    ("status.out-of-stock", Availability.OUT_OF_STOCK),
    ("status.preorder", Availability.PREORDER),
    ("status.backorder", Availability.BACKORDER),
    ("status.in-stock", Availability.IN_STOCK),
)


def _status(normalised: str) -> Availability | None:
    for name, status in _STATUSES:
        if lexicon.vocabulary(name).find(normalised) is not None:
            return status
    return None


@functools.lru_cache(maxsize=8192)
def availability_from_text(text: str | None) -> Availability | None:
    """Map a stated availability (`'В наявності'`, `'out of stock'`, `'Под заказ'`) to a status.

    Legitimate statuses come first (out of stock, pre-order, on order, in stock); a placeholder
    ("уточнюйте наявність", "check availability") is `ON_REQUEST`; text this vocabulary does not know
    is `UNKNOWN`; no text at all is `None`.
    """
    if text is None or not text.strip():
        return None
    normalised = normalise(text)
    placeholder = lexicon.vocabulary("availability-placeholder")
    if placeholder.find_whole(normalised) is not None:
        return Availability.ON_REQUEST
    status = _status(normalised)
    if status is not None:
        return status
    if placeholder.find(normalised) is not None:
        return Availability.ON_REQUEST
    return Availability.UNKNOWN


# -- placeholders ---------------------------------------------------------------------------------


@functools.lru_cache(maxsize=8192)
def price_placeholder(text: str | None) -> str | None:
    """The placeholder words in a price value (`'Ціну уточнюйте'` → `'уточнюйте'`), or None."""
    if text is None:
        return None
    normalised = normalise(text)
    return lexicon.vocabulary("price-placeholder").find(normalised) if normalised else None


@functools.lru_cache(maxsize=8192)
def availability_placeholder(text: str | None) -> str | None:
    """The placeholder words in an availability value, or None for a real status or no text.

    A legitimate status wins ("Під замовлення, уточнюйте термін" is on order), except one marked
    as a guess with a question mark ("Під замовлення?").
    """
    if text is None:
        return None
    normalised = normalise(text)
    if not normalised:
        return None
    placeholder = lexicon.vocabulary("availability-placeholder")
    guess = placeholder.find_whole(normalised)
    if guess is not None:
        return guess
    if _status(normalised) is not None:
        return None
    match = placeholder.find_words(normalised)
    return match.group(0) if match is not None else None


@functools.lru_cache(maxsize=4096)
def quantity_placeholder(text: str | None) -> str | None:
    """A word or bound standing in a quantity field ("багато", "много", ">100", "1000+"), or None."""
    if text is None:
        return None
    normalised = normalise(text)
    return lexicon.vocabulary("quantity-placeholder").find(normalised) if normalised else None


# -- condition ------------------------------------------------------------------------------------

_LABELS = (  # "як новий" is a discounted item, not a new one: new comes last
    ("condition-label.refurbished", Condition.REFURBISHED),
    ("condition-label.discounted", Condition.DISCOUNTED),
    ("condition-label.used", Condition.USED),
    ("condition-label.new", Condition.NEW),
)


@functools.lru_cache(maxsize=4096)
def condition_from_text(text: str | None) -> Condition | None:
    """Map a stated condition label (`'Б/в'`, `'refurbished'`, `'Новий'`) to a condition, or None."""
    if text is None or not text.strip():
        return None
    normalised = normalise(text)
    for name, condition in _LABELS:
        if lexicon.vocabulary(name).find(normalised) is not None:
            return condition
    return None


@dataclass(frozen=True, slots=True)
class ConditionMention:
    """A used / refurbished / discounted product mentioned in free text, and the words that say so."""

    condition: Condition
    words: str


_MENTION_KINDS = (
    ("used", Condition.USED),
    ("refurbished", Condition.REFURBISHED),
    ("discounted", Condition.DISCOUNTED),
)


@functools.cache
def _mention_pattern(short: bool) -> re.Pattern[str]:
    keys = ("strong", "short") if short else ("strong",)
    groups = []
    for kind, _condition in _MENTION_KINDS:
        alternatives = [p for key in keys for p in lexicon.alternatives(f"condition-text.{kind}", key)]
        groups.append(f"(?P<{kind}>" + "|".join(f"(?:{a})" for a in alternatives) + ")")
    return re.compile(r"(?<!\w)(?:" + "|".join(groups) + r")(?!\w)")


@functools.cache
def _negation() -> re.Pattern[str]:
    negators = "|".join(lexicon.entry("condition-text")["negators"])
    return re.compile(rf"(?<!\w)(?:{negators})(?:\s+(?:є|був\w*|был\w*|is|was|been))?\s*[-,:]?\s*$")


@functools.cache
def _trade_in() -> re.Pattern[str]:
    return lexicon.vocabulary("condition-text.other-goods").words or re.compile(r"(?!)")


_SENTENCE_END = re.compile(r"[.!?;\n]")


def _about_other_goods(normalised: str, start: int, end: int) -> bool:
    """Whether the sentence around a mention speaks of goods the shop takes in («приймаємо вживані в trade-in»)."""
    before = max((m.end() for m in _SENTENCE_END.finditer(normalised, 0, start)), default=0)
    after = _SENTENCE_END.search(normalised, end)
    return _trade_in().search(normalised, before, after.start() if after else len(normalised)) is not None


def condition_mention(normalised: str, *, short: bool = True) -> ConditionMention | None:
    """The first non-negated used / refurbished / discounted mention in normalised text.

    `short=True` reads names, categories and shop names (bare «бу», "used", «як новий» count);
    `short=False` reads descriptions, where only unambiguous forms count, and a mention in a sentence
    about goods the shop takes in (trade-in, buy-back) is not about this product.
    """
    for match in _mention_pattern(short).finditer(normalised):
        if _negation().search(normalised, max(0, match.start() - 30), match.start()):
            continue
        if not short and _about_other_goods(normalised, match.start(), match.end()):
            continue
        for kind, condition in _MENTION_KINDS:
            if match.group(kind) is not None:
                return ConditionMention(condition, match.group(0))
    return None


_TOKEN_EDGES = "()[]{}<>,.;:!?\"'«»„“”*"


@functools.cache
def _condition_stems() -> tuple[tuple[str, ...], frozenset[str]]:
    table = lexicon.entry("condition-text.stems")
    return tuple(str(s) for s in table["stems"]), frozenset(str(w) for w in table["words"])


@functools.lru_cache(maxsize=8192)
def _may_name_condition(token: str) -> bool:
    """Whether a casefolded word could belong to a condition phrase (ASCII words need no normalising)."""
    word = (token if token.isascii() else normalise(token)).strip(_TOKEN_EDGES)
    stems, words = _condition_stems()
    return word.startswith(stems) or word in words or "б/" in word


@functools.lru_cache(maxsize=1024)
def condition_in_short_text(text: str | None) -> ConditionMention | None:
    """`condition_mention` of a short raw text (a name, a category, a shop name).

    Words are first checked one by one against the lexicon's stems (each word's verdict is cached,
    and a shop repeats its words), so most names are never normalised whole.
    """
    if not text or not any(map(_may_name_condition, text.casefold().split())):
        return None
    return condition_mention(normalise(text), short=True)


_MAX_CANDIDATES = 12
_WINDOW = 60


def _windows(text: str, anchors: tuple[str, ...], limit: int) -> list[str]:
    """Normalised snippets of `text` around the anchors found in its first `limit` characters.

    Each snippet reaches `_WINDOW` characters either side of its anchor, widened to whitespace so no
    word is split; at most `_MAX_CANDIDATES` snippets are read.
    """
    hits: list[int] = []
    for anchor in anchors:
        position = text.find(anchor, 0, limit)
        while position >= 0 and len(hits) < _MAX_CANDIDATES:
            hits.append(position)
            position = text.find(anchor, position + len(anchor), limit)
    snippets: list[str] = []
    last_end = -1
    for position in sorted(hits):
        if position < last_end:
            continue  # already inside the previous snippet
        start = max(0, position - _WINDOW)
        end = min(len(text), position + _WINDOW)
        if start > 0:  # widen to whole words
            space = text.rfind(" ", 0, start)
            start = space + 1 if space >= 0 else 0
        if end < len(text):
            space = text.find(" ", end)
            end = space if space >= 0 else len(text)
        last_end = end
        snippets.append(normalise(text[start:end]))
    return snippets


@functools.lru_cache(maxsize=1024)
def condition_in_description(description: str | None, limit: int = 4000) -> ConditionMention | None:
    """A used / refurbished / discounted product stated in (the first `limit` characters of) a description."""
    if not description:
        return None
    for snippet in _windows(description, lexicon.anchors("condition-text"), limit):
        mention = condition_mention(snippet, short=False)
        if mention is not None:
            return mention
    return None


# -- periods --------------------------------------------------------------------------------------

_MONTH_DAYS = Decimal(30)
# A stated amount with more whole digits than this is no period or delivery time anyone means: it is not
# read as one (and stays far inside decimal's default precision, so the arithmetic below cannot fail).
MAX_AMOUNT_DIGITS = 9


def _amount(digits: str) -> Decimal | None:
    """`'12'`, `'1,5'` as a Decimal; None when the whole part has more than MAX_AMOUNT_DIGITS digits."""
    whole, _, fraction = digits.replace(",", ".").partition(".")
    if len(whole.lstrip("0")) > MAX_AMOUNT_DIGITS:
        return None
    return Decimal(f"{whole}.{fraction[:MAX_AMOUNT_DIGITS]}" if fraction else whole)


@functools.cache
def _units() -> tuple[tuple[re.Pattern[str], Decimal], ...]:
    result = []
    for table in lexicon.entry("period").values():
        pattern = "|".join(f"(?:{p})" for p in table["patterns"])
        result.append((re.compile(rf"(?:{pattern})(?!\w)"), Decimal(str(table["days"]))))
    return tuple(result)


@functools.cache
def _number_words() -> tuple[re.Pattern[str], dict[str, str]]:
    table = lexicon.entry("number-words")
    digits = {str(word): str(value) for key in lexicon.LANGUAGES for word, value in table.get(key, {}).items()}
    words = "|".join(re.escape(word) for word in sorted(digits, key=len, reverse=True))
    # a word of at least two letters after it: «два роки», «three years», not «одна з» or «два м»
    return re.compile(rf"(?<![\w'])({words})(?=\s+\w\w)"), digits


def numbers_as_digits(normalised: str) -> str:
    """Normalised text with each number written as a word before another word in digits: «два роки» → «2 роки»."""
    pattern, digits = _number_words()
    return pattern.sub(lambda match: digits[match.group(1)], normalised)


_AMOUNT = re.compile(r"(?<![\w.,])(\d+(?:[.,]\d+)?)(?:\s*(?:-|до|to)\s*\d+(?:[.,]\d+)?)?\s*")


def _period_days(normalised: str) -> tuple[Decimal, bool] | None:
    """The first "number unit" in normalised text as days, or (number, False) for a bare number."""
    normalised = numbers_as_digits(normalised)
    bare: Decimal | None = None
    for match in _AMOUNT.finditer(normalised):
        amount = _amount(match.group(1))
        if amount is None:
            continue
        rest = normalised[match.end() :]
        for pattern, days in _units():
            if pattern.match(rest):
                return amount * days, True
        if bare is None and not rest.strip(" .,;:()"):
            bare = amount
    return (bare, False) if bare is not None else None


@functools.lru_cache(maxsize=4096)
def period_months(text: str | None, default_unit: Decimal | None = None) -> Decimal | None:
    """A stated period (`'12 місяців'`, `'1 год'`, `'2 years'`, `'14 днів'`, `'3 міс.'`) in months.

    A bare number uses `default_unit` (months per unit) when given, else is not understood.
    """
    if text is None:
        return None
    found = _period_days(normalise(text))
    if found is None:
        return None
    amount, has_unit = found
    if not has_unit:
        return None if default_unit is None else (amount * default_unit).normalize()
    return (amount / _MONTH_DAYS).quantize(Decimal("0.01")).normalize()


# -- warranty -------------------------------------------------------------------------------------


class WarrantyKind(enum.StrEnum):
    """What a warranty field says."""

    PERIOD = "period"  # a warranty of a stated length
    KIND = "kind"  # a warranty without its length: official, manufacturer's, shop's, lifetime
    NONE = "none"  # an explicit "no warranty": information, not silence
    RETURN_POLICY = "return-policy"  # a returns / exchange policy, not a warranty
    UNKNOWN = "unknown"  # text that says none of these


@dataclass(frozen=True, slots=True)
class WarrantyReading:
    kind: WarrantyKind
    months: Decimal | None = None
    words: str | None = None


@functools.lru_cache(maxsize=4096)
def read_warranty(text: str | None, months: Decimal | None = None) -> WarrantyReading | None:
    """Read a warranty value; `months` is the period a reader already parsed from it, if any.

    A returns policy is recognised first («14 днів на повернення» is not a 14-day warranty, «Обміну
    та поверненню не підлягає» is no warranty at all), unless the text also states a warranty.
    """
    normalised = normalise(text) if text else ""
    if not normalised:
        return None if months is None else _by_months(months, None)
    policy = lexicon.vocabulary("warranty.return-policy").find(normalised)
    if policy is not None and lexicon.vocabulary("warranty.in-text").find(numbers_as_digits(normalised)) is None:
        return WarrantyReading(WarrantyKind.RETURN_POLICY, None, policy)
    if months is None:
        months = period_months(normalised)
    if months is not None:
        return _by_months(months, normalised)
    none = lexicon.vocabulary("warranty.none").find(normalised)
    if none is not None:
        return WarrantyReading(WarrantyKind.NONE, None, none)
    kind = lexicon.vocabulary("warranty.kind").find(normalised)
    if kind is not None:
        return WarrantyReading(WarrantyKind.KIND, None, kind)
    return WarrantyReading(WarrantyKind.UNKNOWN, None, normalised)


def _by_months(months: Decimal, words: str | None) -> WarrantyReading:
    return WarrantyReading(WarrantyKind.PERIOD if months > 0 else WarrantyKind.NONE, months, words)


@functools.lru_cache(maxsize=1024)
def warranty_in_text(text: str | None, limit: int | None = None) -> str | None:
    """A warranty statement in free text (a name or description): the words, or None.

    «Гарантія 12 місяців», «Гарантія - два роки», «гарантує 24 міс.», «без гарантії», "manufacturer's
    warranty" count; «гарантуємо якість» or «гарантія повернення коштів» do not.
    """
    if not text:
        return None
    vocabulary = lexicon.vocabulary("warranty.in-text")
    if len(text) <= 2 * _WINDOW:
        return vocabulary.find(numbers_as_digits(normalise(text)))
    for snippet in _windows(text, lexicon.anchors("warranty"), len(text) if limit is None else limit):
        found = vocabulary.find(numbers_as_digits(snippet))
        if found is not None:
            return found
    return None


# -- delivery time --------------------------------------------------------------------------------

_RANGE = re.compile(
    r"(?<![\w.,])(?:(?:від|от|from)\s+)?(\d+)(?:\s*(?:-|до|to|по)\s*(\d+))?\s*"
    r"(?:(?:робоч|рабоч|business|working|календарн|calendar)\w*\s+)?"
)


@functools.cache
def _delivery_units() -> tuple[tuple[re.Pattern[str], Decimal], ...]:
    hours = "|".join(f"(?:{p})" for p in lexicon.entry("delivery.hour")["patterns"])
    result = [(re.compile(rf"(?:{hours})(?!\w)"), Decimal(1) / 24)]
    for name in ("period.day", "period.week"):
        table = lexicon.entry(name)
        pattern = "|".join(f"(?:{p})" for p in table["patterns"])
        result.append((re.compile(rf"(?:{pattern})(?!\w)"), Decimal(str(table["days"]))))
    return tuple(result)


@functools.lru_cache(maxsize=4096)
def delivery_days(text: str | None) -> tuple[int, int] | None:
    """The delivery or dispatch time a delivery-scoped text states, as (min, max) days, or None.

    «Доставка 1-2 дні» → (1, 2); «від 2 до 5 робочих днів» → (2, 5); «протягом 24 год» → (1, 1);
    «відправка сьогодні» → (0, 0); «отправим завтра» → (1, 1). In a delivery field «год» is hours.
    """
    if not text:
        return None
    normalised = normalise(text)
    for match in _RANGE.finditer(normalised):
        rest = normalised[match.end() :]
        for pattern, days in _delivery_units():
            if pattern.match(rest):
                low = _amount(match.group(1))
                high = _amount(match.group(2) or match.group(1))
                if low is None or high is None:
                    break
                return _whole_days(low * days), _whole_days(high * days)
    if lexicon.vocabulary("delivery.same-day").find(normalised) is not None:
        return 0, 0
    if lexicon.vocabulary("delivery.next-day").find(normalised) is not None:
        return 1, 1
    return None


def _whole_days(days: Decimal) -> int:
    whole = int(days)
    return whole + 1 if days > whole else whole
