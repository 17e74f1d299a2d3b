"""PH: placeholders: text or sentinel numbers standing where a real price or stock level belongs.

Only price, availability and quantity values are read here (never descriptions, names or URLs):
«Ціну уточнюйте» in a description is prose, in a price field it is a placeholder.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from pydantic import Field

from feedaudit.model import Offer, OfferRef, Problem, Severity
from feedaudit.rules.base import PRICES, REF, NoOptions, RuleContext, offer_rule
from feedaudit.rules.price_stats import FeedPrices
from feedaudit.section import Section
from feedaudit.text import availability_placeholder, price_placeholder, quantity_placeholder

_PRICE_FIELDS = (("price", "price"), ("old_price", "old price"))


@offer_rule(
    "PH001",
    "placeholder-price",
    summary="A price field holds placeholder text instead of a price",
    severity=Severity.ERROR,
    reads=PRICES,
)
def placeholder_price(offer: Offer, ctx: RuleContext[NoOptions]) -> Iterator[Problem]:
    """
    ## What it does
    Reports a price (or old price) that is not a number but a placeholder phrase: «Ціну уточнюйте»,
    «договірна», «за запитом», «Цена по запросу», «звоните», "price on request", "call for price",
    "POA", "N/A", or only a dash or a question mark. Ukrainian, Russian and English phrasings are
    recognised as whole words after normalisation, so «ЦIНА ДОГОВIРНА» typed with a Latin `I` is
    found and «Суточная» (which contains «уточн») is not. Only price fields are read.

    ## Why is this bad?
    Marketplaces require the actual price (Rozetka: «недопустимы ситуации „уточняйте цену"»), and
    a buyer who has to ask for the price leaves. Importers reject such offers or show them without
    a price.

    ## Example
    ```xml
    <offer id="33703-M-Red" available="true"><price>договірна</price></offer>
    ```

    Use instead:
    ```xml
    <offer id="33703-M-Red" available="true"><price>3250</price></offer>
    ```
    """
    for field, label in _PRICE_FIELDS:
        text = offer.price_text if field == "price" else offer.old_price_text
        parsed = offer.price if field == "price" else offer.old_price
        if parsed is None and text:
            words = price_placeholder(text)
            if words is not None:
                yield Problem(f'{label} is the placeholder "{text}", not a price', field=field)


class SentinelPriceOptions(Section):
    sentinels: list[Decimal] = Field(
        default=[Decimal(v) for v in ("0", "0.01", "1", "9999", "99999", "999999", "9999999")],
        description="Prices that stand for 'no price' rather than a price.",
    )


_KEEP_OLD_ZERO = Decimal(0)
_TWICE = Decimal(2)


def _fake_markdown(old: Decimal, price: Decimal | None) -> bool:
    """A sentinel old price is fake unless the price is a plausible markdown from it (at least half)."""
    return old <= 1 or price is None or old > price * _TWICE


_NEIGHBOURHOOD = 0.1  # decades: another price within about 26 % of a sentinel value makes it a neighbour
_MIN_NEIGHBOURS = 2
_UNRELATED_CATEGORIES = 3  # the same sentinel value on offers of this many categories is a placeholder
_MIN_CATEGORY = 5  # fewer other prices than this in a category: the whole feed is the context
_MAX_CANDIDATES = 10_000


@dataclass(slots=True)
class _SentinelPrices:
    """What sentinel-price keeps of one feed: its prices (counts per category suffice here: no extremes),
    the sentinel values seen per category, and the offers to judge at the end."""

    prices: FeedPrices = dataclasses.field(default_factory=lambda: FeedPrices(extremes=False))
    repeats: dict[Decimal, dict[str, int]] = dataclasses.field(default_factory=dict)
    candidates: list[_Candidate] = dataclasses.field(default_factory=list)
    sentinels: frozenset[Decimal] | None = None  # the options' sentinels as a set, made on first use


def _sentinels(ctx: RuleContext[SentinelPriceOptions, _SentinelPrices]) -> frozenset[Decimal]:
    found = ctx.state.sentinels
    if found is None:
        found = ctx.state.sentinels = frozenset(ctx.options.sentinels)
    return found


@offer_rule(
    "PH002",
    "sentinel-price",
    summary="A price is a sentinel number (0, 1, 9999, 99999…) rather than a real price",
    severity=Severity.WARNING,
    options=SentinelPriceOptions,
    state=_SentinelPrices,
    across_offers=True,
    finish=lambda feed, ctx: _sentinels_in_feed(ctx),
    reads=(*REF, *PRICES, "category", "currency"),
)
def sentinel_price(offer: Offer, ctx: RuleContext[SentinelPriceOptions, _SentinelPrices]) -> Iterator[Problem]:
    """
    ## What it does
    Reports a price equal to one of the configured sentinels: by default 0, 0.01, 1, 9999, 99999,
    999999 and 9999999 (with or without decimals: `9999.00` counts). Shop software writes these when
    the real price is unknown («если нет — price=1», `price=0` for «ціну уточнюйте» items, 99999 to
    stop orders).

    A price of 0, 0.01 or 1 is always reported. A larger sentinel (9999, 99999…) is judged against the
    feed's own prices, once the whole feed is read: it is a real (charm) price when at least two other
    prices of its category (or of the whole feed, when the category has fewer than five other prices)
    lie within about 26 % of it, and the same value is not repeated on offers of three or more
    categories. 9999 on an axe in a feed whose neighbouring prices are 9449 and 10299 is a price; 99999
    on a kettle, a phone and a tent, or 9999 far from every other price of the feed, is a placeholder.
    Beyond the list, a round number made of nines or of a one and zeros (99999…, 100000…) is reported
    when it is both repeated on offers of three or more categories and far from every other price.
    The finding still points at the offer's price line.

    A sentinel above 1 is not reported when the offer also shows a higher old price: a marked-down
    price of 9999 is a real price. An old price is read too, except 0 (which commonly means "no old
    price"), and a sentinel old price above 1 only when the price is less than half of it: 8999 crossed
    out from 9999 is a real discount, 249 crossed out from 99999 is not. Negative prices are reported
    by `negative-price`.

    ## Why is this bad?
    The buyer sees a product for 0 or 1 UAH, or for an absurd 99 999 UAH, orders it, and the shop
    cancels: a complaint and a rating hit. Google disapproves offers priced 0.

    ## Options
    - `sentinels` (list of numbers): the prices treated as "no price".

    ## Example
    ```xml
    <offer id="KT-1002" available="true"><price>0</price></offer>
    ```

    Use instead:
    ```xml
    <offer id="KT-1002" available="true"><price>1899</price></offer>
    ```
    """
    sentinels = _sentinels(ctx)
    price = offer.price
    if price is not None and price > 0:
        ctx.state.prices.add_price(offer.category, offer.currency, price, offer.line_of("price"))
    listed = price is not None and price in sentinels
    if price is not None and (listed or _round_placeholder(price)):
        marked_down = price > 1 and offer.old_price is not None and offer.old_price > price
        if price <= 1:
            yield Problem(f"price {offer.price_text} is a sentinel, not a real price", field="price")
        elif not marked_down:
            by_category = ctx.state.repeats.setdefault(price, {})
            category = offer.category or ""
            if category in by_category or len(by_category) < _UNRELATED_CATEGORIES:
                by_category[category] = by_category.get(category, 0) + 1
            candidates = ctx.state.candidates
            if len(candidates) < _MAX_CANDIDATES:
                line = offer.line_of("price")
                text = offer.price_text or ""
                candidates.append(_Candidate(price, text, line, offer.ref(), category, offer.currency, listed))
            elif listed:  # beyond what is kept: judged by the list alone
                yield Problem(f"price {offer.price_text} is a sentinel, not a real price", field="price")
    old = offer.old_price
    if old is not None and old != _KEEP_OLD_ZERO and old in sentinels and _fake_markdown(old, price):
        yield Problem(f"old price {offer.old_price_text} is a sentinel, not a real price", field="old_price")


@dataclass(frozen=True, slots=True)
class _Candidate:
    price: Decimal
    text: str
    line: int
    offer: OfferRef
    category: str
    currency: str | None
    listed: bool  # one of the configured sentinels (else a round number such as 100000)


_ROUND = re.compile(r"9{5,}|10{5,}")
_ROUND_FROM = Decimal(99999)


def _round_placeholder(price: Decimal) -> bool:
    """A round number placeholders are made of beyond the list: 99999…, 100000…"""
    if price < _ROUND_FROM or price != price.to_integral_value():
        return False
    return _ROUND.fullmatch(format(price.normalize(), "f")) is not None


def _sentinels_in_feed(ctx: RuleContext[SentinelPriceOptions, _SentinelPrices]) -> Iterator[Problem]:
    """Judge each kept sentinel-valued price against the feed's own prices."""
    prices, repeats = ctx.state.prices, ctx.state.repeats
    for candidate in ctx.state.candidates:
        by_category = repeats.get(candidate.price, {})
        same_here = by_category.get(candidate.category, 0)
        context = prices.category(candidate.category, candidate.currency)
        if context is None or context.count - same_here < _MIN_CATEGORY:
            context, same_here = prices.whole, sum(by_category.values())
        neighbours = context.near(candidate.price, _NEIGHBOURHOOD) - same_here
        repeated = len(by_category) >= _UNRELATED_CATEGORIES
        alone = neighbours < _MIN_NEIGHBOURS
        if repeated and (candidate.listed or alone):
            why = f"the same price is on offers of {len(by_category)} or more categories"
        elif candidate.listed and alone:
            why = "no other price of its category or feed is near it"
        else:
            continue
        yield Problem(
            f"price {candidate.text} is a sentinel, not a real price ({why})",
            field="price",
            value=candidate.text,
            line=candidate.line,
            offer=candidate.offer,
        )


@offer_rule(
    "PH003",
    "placeholder-availability",
    summary="The availability field holds placeholder text instead of a stock status",
    severity=Severity.ERROR,
    reads=("availability_text",),
)
def placeholder_availability(offer: Offer, ctx: RuleContext[NoOptions]) -> Iterator[Problem]:
    """
    ## What it does
    Reports an availability value that asks the buyer to find out instead of stating a status:
    «Уточнюйте наявність», «наявність за запитом», «Уточняйте наличие», "check availability",
    "call for availability", or a status with a question mark («Під замовлення?»). Legitimate
    statuses are never placeholders: «Під замовлення», «На заказ», «Очікується», "preorder" and
    "backorder" are real states (with or without a delivery time), and «Під замовлення, уточнюйте
    термін» is on order. Only availability values are read.

    ## Why is this bad?
    Marketplaces require the actual availability (Rozetka: «недопустимы ситуации „уточняйте
    наличие"»; Prom delists shops whose buyers complain that goods were not in stock).

    ## Example
    ```xml
    <item><id>CAM-002</id><stock>Уточнюйте наявність</stock></item>
    ```

    Use instead:
    ```xml
    <item><id>CAM-002</id><stock days="10">Під замовлення</stock></item>
    ```
    """
    words = availability_placeholder(offer.availability_text)
    if words is not None:
        yield Problem(
            f'availability is the placeholder "{offer.availability_text}", not a status', field="availability"
        )


class SentinelStockOptions(Section):
    sentinels: list[int] = Field(
        default=[9999, 99999, 999999, 9999999],
        description="Stock quantities that stand for 'plenty' rather than a count.",
    )


@offer_rule(
    "PH004",
    "sentinel-stock",
    summary="A stock quantity is a sentinel (9999, 99999…) or a word, not a count",
    severity=Severity.WARNING,
    options=SentinelStockOptions,
    reads=("quantity", "quantity_text"),
)
def sentinel_stock(offer: Offer, ctx: RuleContext[SentinelStockOptions]) -> Iterator[Problem]:
    """
    ## What it does
    Reports a stock quantity equal to one of the configured sentinels (by default 9999, 99999,
    999999 and 9999999), or written as a word or a bound instead of a count: «багато», «много»,
    "lots", ">100", "1000+".

    ## Why is this bad?
    A made-up stock level hides the real one: the marketplace keeps selling after the last unit
    is gone, and every extra order ends in a cancellation.

    ## Options
    - `sentinels` (list of integers): the quantities treated as "plenty".

    ## Example
    ```xml
    <offer id="GM-3081" available="true"><stock_quantity>9999</stock_quantity></offer>
    ```

    Use instead:
    ```xml
    <offer id="GM-3081" available="true"><stock_quantity>37</stock_quantity></offer>
    ```
    """
    if offer.quantity is not None:
        if offer.quantity in ctx.options.sentinels:
            yield Problem(f"stock quantity {offer.quantity_text} is a sentinel, not a count", field="quantity")
        return
    words = quantity_placeholder(offer.quantity_text)
    if words is not None:
        yield Problem(f'stock quantity is "{offer.quantity_text}", not a count', field="quantity")
