"""PR005: a price far from the other prices of its category in the same feed (a typo such as 10 for 1000)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from decimal import Decimal

from pydantic import Field

from feedaudit.model import FeedInfo, Offer, Problem, Severity
from feedaudit.rules.base import REF, RuleContext, offer_rule
from feedaudit.rules.price_stats import OTHER, CategoryPrices, FeedPrices, Priced
from feedaudit.section import Section


class PriceOutlierOptions(Section):
    min_offers: int = Field(default=8, ge=3, description="Categories with fewer priced offers are not judged.")
    factor: Decimal = Field(
        default=Decimal(8), gt=1, description="How many times below or above the category's median a price must be."
    )
    gap: Decimal = Field(
        default=Decimal(6),
        gt=1,
        description="How many times apart the outlying prices must be from the nearest other price of the category.",
    )


@offer_rule(
    "PR005",
    "price-outlier",
    summary="A price is far from every other price of its category in the feed",
    severity=Severity.WARNING,
    options=PriceOutlierOptions,
    state=lambda: FeedPrices(with_whole=False),
    across_offers=True,
    finish=lambda feed, ctx: _outliers(feed, ctx),  # noqa: PLW0108 - defined below the rule
    reads=(*REF, "price", "category", "currency", "quantity"),
)
def price_outlier(offer: Offer, ctx: RuleContext[PriceOutlierOptions, FeedPrices]) -> Iterator[Problem]:
    """
    ## What it does
    Once the whole feed is read, reports a price that stands apart from its category's prices (same
    category and currency): at least `factor` times (default 8) below or above the category's median,
    and at least `gap` times (default 6) away from the nearest price of the rest of the category. Only
    a few prices at either end can be outliers (two, or one in ten of the category, and at most
    seven); categories with fewer than `min-offers` (default 8) priced offers are not judged.

    The feed is summarised as it streams: per category a log-scale histogram of its prices and its
    eight lowest and highest prices with their offers, for at most 5000 categories. Memory does not
    grow with the number of offers. The finding points at the offer's price line and names the nearest
    other price, the median and the stock quantity when the feed gives one.

    ## Why is this bad?
    A missing or extra zero (10 UAH for a 1 000 UAH item, with 43 in stock) sells stock at a loss or
    stops all sales of the item; marketplaces delist shops whose prices are wrong.

    ## Options
    - `min-offers` (integer): priced offers a category needs before its prices are judged.
    - `factor` (number): distance from the category's median, as a ratio.
    - `gap` (number): distance from the nearest other price of the category, as a ratio.

    ## Example
    ```xml
    <offer id="BR-10"><categoryId>7</categoryId><price>10</price><quantity_in_stock>43</quantity_in_stock></offer>
    <!-- every other offer of category 7 costs between 320 and 2 400 -->
    ```

    Use instead:
    ```xml
    <offer id="BR-10"><categoryId>7</categoryId><price>1000</price><quantity_in_stock>43</quantity_in_stock></offer>
    ```
    """
    price = offer.price
    if price is not None and price > 0:
        ctx.state.add_price(offer.category, offer.currency, price, offer.line_of("price"), offer)
    return iter(())


def _outliers(feed: FeedInfo, ctx: RuleContext[PriceOutlierOptions, FeedPrices]) -> Iterator[Problem]:
    options = ctx.options
    for (category, _currency), summary in ctx.state.categories.items():
        if category == OTHER or summary.count < options.min_offers:
            continue
        median = summary.quantile(0.5)
        label = category or "(no category)"
        for priced, nearest, below in _apart(summary, median, options):
            where = "below" if below else "above"
            details = [f"nearest other price {_plain(nearest)}", f"median about {_plain_log(median)}"]
            if priced.quantity is not None:
                details.append(f"{priced.quantity} in stock")
            yield Problem(
                f'price {_plain(priced.price)} is far {where} the other prices of category "{label}" '
                f"({', '.join(details)})",
                field="price",
                value=_plain(priced.price),
                line=priced.line,
                offer=priced.offer,
            )


def _apart(
    summary: CategoryPrices, median: float, options: PriceOutlierOptions
) -> Iterator[tuple[Priced, Decimal, bool]]:
    """The prices at either end of a category that stand apart from the rest of it."""
    most = min(len(summary.lows) - 1, max(2, summary.count // 10))
    factor, gap = math.log10(options.factor), math.log10(options.gap)
    for ends, below in ((summary.lows, True), (list(reversed(summary.highs)), False)):
        # the widest cluster at this end that is cut off from the rest by a gap
        for size in range(min(most, len(ends) - 1), 0, -1):
            inner, outer = ends[size - 1].price, ends[size].price
            distance = abs(math.log10(float(outer)) - math.log10(float(inner)))
            far = abs(median - math.log10(float(inner))) >= factor
            if distance >= gap and far:
                for priced in ends[:size]:
                    yield priced, outer, below
                break


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _plain_log(value: float) -> str:
    return f"{10**value:.0f}"
