"""PR: price sanity: every offer has a price, one unambiguous number, not negative, below the old price."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from feedaudit.feeds.prices import PriceKind, PriceReading, read_price
from feedaudit.model import Offer, OfferRef, Problem, Severity
from feedaudit.rules.base import PRICES, REF, NoOptions, RuleContext, offer_rule
from feedaudit.text import price_placeholder


@offer_rule(
    "PR001",
    "old-price-not-higher",
    summary="The old (crossed-out) price is not higher than the price",
    severity=Severity.ERROR,
    reads=PRICES,
)
def old_price_not_higher(offer: Offer, ctx: RuleContext[NoOptions]) -> Iterator[Problem]:
    """
    ## What it does
    Reports an offer whose old price (YML `oldprice`, Rozetka and Epicentr `price_old`, Hotline
    `oldprice`; in Google and Meta feeds `g:price` when a `g:sale_price` is given) is equal to or
    lower than the price the buyer pays.

    ## Why is this bad?
    A "discount" that raises the price misleads the buyer; marketplaces require the old price to
    be higher (Yandex, Rozetka and Hotline say so in their feed rules; Google requires
    `sale_price` below `price`) and drop the discount or the offer.

    ## Example
    ```xml
    <offer id="HP-502"><price>1599</price><price_old>1399</price_old></offer>
    ```

    Use instead:
    ```xml
    <offer id="HP-502"><price>1399</price><price_old>1599</price_old></offer>
    ```
    """
    if offer.old_price is not None and offer.price is not None and offer.old_price <= offer.price:
        yield Problem(
            f"old price {offer.old_price_text} is not higher than the price {offer.price_text}",
            field="old_price",
        )


@offer_rule(
    "PR002",
    "price-not-a-number",
    summary="A price field holds text that is neither a number nor a placeholder",
    severity=Severity.ERROR,
    reads=(*PRICES, "currency"),
)
def price_not_a_number(offer: Offer, ctx: RuleContext[NoOptions]) -> Iterator[Problem]:
    """
    ## What it does
    Reports a price or old price that cannot be read as a number: a brand name pasted into the
    price, two prices in one field, letters mixed into the digits, digits that are not grouped in
    threes (`15.08.2017`, `1.2.3`), a range or a bound (`100-200`, `від 100`, "from $10"). Comma
    decimals, thousands separators of every kind (space, no-break and thin spaces, apostrophe, dot,
    comma) and a currency beside the number (`1 299,50 грн`, `15.00 USD`, `6 300 Р`, `$16,500`) are
    numbers; placeholder phrases such as «договірна» or «під замовлення» are reported by
    `placeholder-price`, and a number that reads two ways by `ambiguous-price`.

    ## Why is this bad?
    The importer cannot read the price, so it rejects the offer or keeps an old one.

    ## Example
    ```xml
    <offer id="amp-400"><price>AMP400RemovalBrand</price></offer>
    ```

    Use instead:
    ```xml
    <offer id="amp-400"><price>1499</price></offer>
    ```
    """
    for field, label, text, parsed in (
        ("price", "price", offer.price_text, offer.price),
        ("old_price", "old price", offer.old_price_text, offer.old_price),
    ):
        if parsed is not None or not text or not text.strip():
            continue
        kind = read_price(text, offer.currency).kind
        if kind is PriceKind.RANGE:
            yield Problem(f'{label} "{text}" is a range or a bound, not one price', field=field)
        elif kind is PriceKind.NOT_A_PRICE and price_placeholder(text) is None:
            yield Problem(f'{label} "{text}" is not a number', field=field)


@offer_rule(
    "PR003",
    "missing-price",
    summary="The offer has no price",
    severity=Severity.ERROR,
    reads=("price_text",),
)
def missing_price(offer: Offer, ctx: RuleContext[NoOptions]) -> Iterator[Problem]:
    """
    ## What it does
    Reports an offer without a price, or with an empty one: YML `<price/>`, a Hotline item without
    `priceRUAH`, a Google item without `g:price`. Element names are case-sensitive, so a `<Price>`
    element is not a price.

    ## Why is this bad?
    Every marketplace requires a price; an offer without one is rejected at import.

    ## Example
    ```xml
    <offer id="80149" available="true"><Price>1699</Price></offer>
    ```

    Use instead:
    ```xml
    <offer id="80149" available="true"><price>1699</price></offer>
    ```
    """
    if not (offer.price_text or "").strip():
        yield Problem("the offer has no price", field="price")


_MAX_KEPT = 10_000  # ambiguous prices kept until the end of the feed; beyond, reported at once
_MARKS = (".", ",")


@dataclass(slots=True)
class _Separators:
    """How the feed writes its other prices: per mark, its uses as a decimal mark and as a grouping mark."""

    decimal: dict[str, str] = dataclasses.field(default_factory=dict)  # mark -> first price using it with 1-2 decimals
    three_decimals: dict[str, str] = dataclasses.field(default_factory=dict)  # mark -> first price with 3 decimals
    grouping: dict[str, str] = dataclasses.field(default_factory=dict)  # mark -> first price grouping thousands with it
    kept: list[tuple[str, str, str, int, OfferRef, PriceReading]] = dataclasses.field(default_factory=list)

    def note(self, text: str, reading: PriceReading) -> None:
        mark = reading.decimal_mark
        if mark in _MARKS:
            table = self.three_decimals if reading.fraction_digits == 3 else self.decimal
            table.setdefault(mark, text)
        if reading.group_mark in _MARKS:
            self.grouping.setdefault(reading.group_mark, text)

    def verdict(self, reading: PriceReading) -> str | None:
        """Why the price stays ambiguous given the feed's other prices, or None when they settle it."""
        mark = reading.ambiguous_mark or ""
        other = "," if mark == "." else "."
        if reading.grouping_assumed:  # the currency says "thousands"; does the feed write three decimals?
            if mark in self.three_decimals:
                return f'the feed writes three decimals after "{mark}" elsewhere ("{self.three_decimals[mark]}")'
            return None
        if mark in self.decimal or mark in self.three_decimals:
            example = self.decimal.get(mark) or self.three_decimals[mark]
            return f'the feed also uses "{mark}" as its decimal mark ("{example}")'
        if mark in self.grouping or other in self.decimal:
            return None  # the feed groups thousands with this mark, or its decimal mark is the other one
        return "neither its currency nor the feed's other prices say which"


@offer_rule(
    "PR004",
    "ambiguous-price",
    summary="A price reads as two different amounts and nothing in the feed says which",
    severity=Severity.ERROR,
    state=_Separators,
    across_offers=True,
    finish=lambda feed, ctx: _ambiguous_in_feed(ctx),
    reads=(*REF, *PRICES, "currency"),
)
def ambiguous_price(offer: Offer, ctx: RuleContext[NoOptions, _Separators]) -> Iterator[Problem]:
    """
    ## What it does
    Reports a price such as `16,500` or `1.299` (one `,` or `.` followed by exactly three digits)
    when neither its currency nor the feed's other prices settle whether the mark groups thousands
    (16 500) or is a decimal mark (16.5), with both readings. Judged once the whole feed is read:

    - An amount in a currency with two minor digits (UAH, RUB, EUR, USD, PLN, …) or none (JPY) has no
      three decimals, so there the mark groups thousands: `12,990 грн` is 12 990 and `$16,500` is
      16 500 — unless the feed writes other prices with three decimals after that mark (`1299.000`,
      `0.500`): then it is reported.
    - Without a currency, or in one whose amounts have three decimals (KWD, BHD), the feed's other
      prices decide: a feed that groups thousands with that mark elsewhere (`1,299,000`, `1,299.50`)
      or uses the other mark as its decimal mark (`1299,50` beside `16.500`) settles it as thousands;
      one that also uses that mark as its decimal mark (`1299.50` beside `16.500`), or gives no
      evidence, leaves it ambiguous. Such a price is given no amount, so no other rule compares a
      wrong one.

    ## Why is this bad?
    A marketplace that reads `16,500` as 16.5 sells the item for a thousandth of its price; one that
    reads `1.299` (meant as 1.299 KWD) as 1299 overprices it a thousandfold.

    ## Example
    ```xml
    <offer id="TV-55"><price>16,500</price></offer>
    ```

    Use instead:
    ```xml
    <offer id="TV-55"><price>16500</price><currencyId>UAH</currencyId></offer>
    ```
    """
    seen = ctx.state
    for field_name, label, text in (
        ("price", "price", offer.price_text),
        ("old_price", "old price", offer.old_price_text),
    ):
        if not text:
            continue
        reading = read_price(text, offer.currency)
        if reading.ambiguous_mark is None:
            seen.note(text, reading)
        elif len(seen.kept) < _MAX_KEPT:
            seen.kept.append((field_name, label, text, offer.line_of(field_name), offer.ref(), reading))
        elif not reading.grouping_assumed:
            yield _ambiguity(label, text, reading, "the feed has too many such prices to weigh", field_name)


def _ambiguous_in_feed(ctx: RuleContext[NoOptions, _Separators]) -> Iterator[Problem]:
    seen = ctx.state
    for field_name, label, text, line, ref, reading in seen.kept:
        why = seen.verdict(reading)
        if why is not None:
            problem = _ambiguity(label, text, reading, why, field_name)
            yield dataclasses.replace(problem, value=text, line=line, offer=ref)


def _ambiguity(label: str, text: str, reading: PriceReading, why: str, field_name: str) -> Problem:
    grouped, decimal = (_plain(v) for v in reading.readings)
    return Problem(f'{label} "{text}" reads as {grouped} or as {decimal}: {why}', field=field_name)


@offer_rule(
    "PR006",
    "negative-price",
    summary="A price or old price is below zero",
    severity=Severity.ERROR,
    reads=PRICES,
)
def negative_price(offer: Offer, ctx: RuleContext[NoOptions]) -> Iterator[Problem]:
    """
    ## What it does
    Reports a price or old price below zero (`-5`, `−1 299,00 грн`).

    ## Why is this bad?
    No marketplace accepts a negative price; it is a sign or export error (a discount written into
    the price), and the importer rejects the offer or shows nonsense.

    ## Example
    ```xml
    <offer id="CB-7"><price>-5</price></offer>
    ```

    Use instead:
    ```xml
    <offer id="CB-7"><price>5</price></offer>
    ```
    """
    for field, label, text, parsed in (
        ("price", "price", offer.price_text, offer.price),
        ("old_price", "old price", offer.old_price_text, offer.old_price),
    ):
        if parsed is not None and parsed < 0:
            yield Problem(f"{label} {text} is negative", field=field)


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")
