"""A bounded summary of a feed's prices, per category, for rules that judge a price against its feed.

Per (category, currency) it keeps a log-scale histogram (bins 1/40 of a decade wide, about 6 %: a few
hundred counters at most, however many offers), the count, and the few lowest and highest prices with
the offer they belong to. The number of categories kept is capped; offers of further categories are
summarised under one shared key. Memory is therefore bounded by the caps, not by the feed's length.
"""

from __future__ import annotations

import bisect
import functools
import math
from dataclasses import dataclass, field
from decimal import Decimal

from feedaudit.model import Offer, OfferRef

BINS_PER_DECADE = 40
EXTREMES = 8  # lowest and highest prices kept per category, with their offers
MAX_CATEGORIES = 5000
OTHER = "\0other"


@dataclass(frozen=True, slots=True, order=True)
class Priced:
    """One offer's price, as kept among a category's extremes."""

    price: Decimal
    line: int
    offer: OfferRef | None = field(compare=False)  # None where only counts are kept
    quantity: int | None = field(compare=False, default=None)


@functools.lru_cache(maxsize=8192)  # prices repeat across offers
def bin_of(price: Decimal) -> int:
    return math.floor(math.log10(float(price)) * BINS_PER_DECADE)


@dataclass(slots=True)
class CategoryPrices:
    count: int = 0
    bins: dict[int, int] = field(default_factory=dict)
    lows: list[Priced] = field(default_factory=list)
    highs: list[Priced] = field(default_factory=list)  # ascending; the last is the highest
    extremes: bool = True  # whether the lowest and highest prices are kept (not: counts only)

    def add(self, priced: Priced) -> None:
        if self.count_in(priced.price, priced.line):
            self.keep(priced)

    def count_in(self, price: Decimal, line: int) -> bool:
        """Count a price; whether it goes among the lowest or highest kept (then `keep` it), so the
        caller builds the `Priced` (and its offer's `OfferRef`) only for those."""
        self.count += 1
        key = bin_of(price)
        self.bins[key] = self.bins.get(key, 0) + 1
        if not self.extremes:
            return False
        lows, highs = self.lows, self.highs
        if len(highs) < EXTREMES or len(lows) < EXTREMES:
            return True
        if lows[-1].price < price < highs[0].price:
            return False  # the common case: neither among the lowest nor the highest
        lowest, highest = lows[-1], highs[0]
        return (price, line) < (lowest.price, lowest.line) or (price, line) > (highest.price, highest.line)

    def keep(self, priced: Priced) -> None:
        """Put a price `count_in` let through among the lowest and highest kept."""
        if len(self.lows) < EXTREMES or priced < self.lows[-1]:
            bisect.insort(self.lows, priced)
            del self.lows[EXTREMES:]
        if len(self.highs) < EXTREMES or priced > self.highs[0]:
            bisect.insort(self.highs, priced)
            del self.highs[:-EXTREMES]

    def quantile(self, q: float) -> float:
        """The log10 price at quantile `q` (0..1), to the histogram's resolution (bin centre)."""
        rank = q * (self.count - 1)
        seen = 0
        for key in sorted(self.bins):
            seen += self.bins[key]
            if seen > rank:
                return (key + 0.5) / BINS_PER_DECADE
        return (max(self.bins) + 0.5) / BINS_PER_DECADE

    def near(self, price: Decimal, decades: float) -> int:
        """How many prices lie within `decades` (log10 distance) of `price`, itself included."""
        centre = bin_of(price)
        reach = math.ceil(decades * BINS_PER_DECADE)
        return sum(self.bins.get(key, 0) for key in range(centre - reach, centre + reach + 1))


@dataclass(slots=True)
class FeedPrices:
    """Every category's summary, plus the whole feed's."""

    categories: dict[tuple[str, str], CategoryPrices] = field(default_factory=dict)
    whole: CategoryPrices = field(default_factory=CategoryPrices)
    with_whole: bool = True  # whether the whole feed's summary is kept too
    extremes: bool = True  # whether categories keep their lowest and highest prices

    def add(self, category: str | None, currency: str | None, priced: Priced) -> None:
        if priced.price <= 0:
            return
        summary = self._summary(category, currency)
        summary.add(priced)
        if self.with_whole:
            self.whole.add(priced)

    def add_price(
        self, category: str | None, currency: str | None, price: Decimal, line: int, offer: Offer | None = None
    ) -> None:
        """`add` of one price (and the offer it belongs to, if its reference is kept), building its
        `Priced` (and the `OfferRef`) only when a summary keeps it among its extremes."""
        if price <= 0:
            return
        summary = self._summary(category, currency)
        kept = summary.count_in(price, line)
        kept_whole = self.with_whole and self.whole.count_in(price, line)
        if kept or kept_whole:
            if offer is not None:
                priced = Priced(price, line, offer.ref(), offer.quantity)
            else:
                priced = Priced(price, line, None)
            if kept:
                summary.keep(priced)
            if kept_whole:
                self.whole.keep(priced)

    def _summary(self, category: str | None, currency: str | None) -> CategoryPrices:
        key = (category or "", (currency or "").upper())
        summary = self.categories.get(key)
        if summary is None:
            if len(self.categories) >= MAX_CATEGORIES:
                key = (OTHER, key[1])
                summary = self.categories.setdefault(key, CategoryPrices(extremes=self.extremes))
            else:
                summary = self.categories[key] = CategoryPrices(extremes=self.extremes)
        return summary

    def category(self, category: str | None, currency: str | None) -> CategoryPrices | None:
        key = (category or "", (currency or "").upper())
        return self.categories.get(key) or self.categories.get((OTHER, key[1]))
