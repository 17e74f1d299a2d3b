"""The per-category price summary stays bounded however long the feed, and keeps the extremes exactly."""

from __future__ import annotations

import random
from decimal import Decimal

from feedaudit.model import OfferRef
from feedaudit.rules import price_stats
from feedaudit.rules.price_stats import EXTREMES, MAX_CATEGORIES, FeedPrices, Priced


def _ref(offer_id: str, line: int) -> OfferRef:
    return OfferRef(offer_id, offer_id, None, line)


def test_one_category_of_many_offers_keeps_a_bounded_summary() -> None:
    prices = FeedPrices()
    rng = random.Random(7)
    values = [Decimal(rng.randint(100, 10_000_000)) / 100 for _ in range(50_000)]
    for index, value in enumerate(values):
        prices.add("Tools", "UAH", Priced(value, index + 1, _ref(str(index), index + 1)))
    summary = prices.category("Tools", "uah")
    assert summary is not None
    assert summary.count == len(values)
    assert len(summary.lows) == len(summary.highs) == EXTREMES
    assert [p.price for p in summary.lows] == sorted(values)[:EXTREMES]
    assert [p.price for p in summary.highs] == sorted(values)[-EXTREMES:]
    decades = 6  # 1 to 100 000
    assert len(summary.bins) <= decades * price_stats.BINS_PER_DECADE + 1
    median = sorted(values)[len(values) // 2]
    assert abs(10 ** summary.quantile(0.5) / float(median) - 1) < 0.07  # one bin is about 6 % wide


def test_categories_beyond_the_cap_share_one_summary() -> None:
    prices = FeedPrices()
    for index in range(MAX_CATEGORIES + 50):
        prices.add(f"category {index}", "UAH", Priced(Decimal(100 + index), index + 1, _ref(str(index), index + 1)))
    assert len(prices.categories) == MAX_CATEGORIES + 1  # the capped ones plus the shared one
    late = prices.category(f"category {MAX_CATEGORIES + 10}", "UAH")
    assert late is not None
    assert late.count == 50
    assert prices.whole.count == MAX_CATEGORIES + 50


def test_zero_and_negative_prices_are_not_summarised() -> None:
    prices = FeedPrices()
    prices.add("A", "UAH", Priced(Decimal(0), 1, _ref("z", 1)))
    prices.add("A", "UAH", Priced(Decimal(-5), 2, _ref("n", 2)))
    assert prices.categories == {}
    assert prices.whole.count == 0
