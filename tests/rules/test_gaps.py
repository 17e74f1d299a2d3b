"""A feed-wide gap holds offers back in bounded memory and gives them back in feed order, or counts them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from feedaudit.model import Dialect, Offer, Problem
from feedaudit.rules import gaps
from feedaudit.rules.gaps import FeedGap


def _offer(number: int) -> Offer:
    return Offer(source="feed.xml", line=number, dialect=Dialect.YML, offer_id=str(number), price=Decimal(1))


def _lacking(gap: FeedGap, numbers: range) -> None:
    for number in numbers:
        gap.offer_lacks_it(_offer(number), "none", "warranty", None)


def _stating(gap: FeedGap, count: int) -> None:
    for _ in range(count):
        gap.offer_states_it()


def _spilled(gap: FeedGap) -> bool:
    return gap._spill is not None


def _feed_wide(gap: FeedGap) -> Problem:
    return Problem(gap.counted(), field="warranty")


@pytest.fixture(autouse=True)
def small_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gaps, "IN_MEMORY", 3)


def test_offers_that_differ_from_their_feed_come_back_in_feed_order_from_memory_and_the_spill_file() -> None:
    gap = FeedGap()
    _lacking(gap, range(1, 11))
    _stating(gap, 11)
    assert len(gap._held) == 1  # 10 held: three chunks of 3 in the file, one in memory
    assert _spilled(gap)
    released = list(gap.finish(_feed_wide))
    assert [p.offer.offer_id for p in released if p.offer] == [str(n) for n in range(1, 11)]
    assert [p.line for p in released] == list(range(1, 11))
    assert not _spilled(gap)


def test_a_feed_that_never_states_it_gets_one_problem_with_the_count() -> None:
    gap = FeedGap()
    _lacking(gap, range(5, 25))
    assert [p.message for p in gap.finish(_feed_wide)] == ["all 20 offers, the first on line 5"]
    assert not _spilled(gap)


def test_a_feed_where_half_lack_it_gets_one_problem_with_both_counts() -> None:
    gap = FeedGap()
    _stating(gap, 2)
    _lacking(gap, range(3, 5))
    assert [p.message for p in gap.finish(_feed_wide)] == ["2 of 4 offers, the first on line 3"]


def test_one_offer_alone_keeps_its_own_finding() -> None:
    gap = FeedGap()
    _lacking(gap, range(7, 8))
    assert [p.offer.offer_id for p in gap.finish(_feed_wide) if p.offer] == ["7"]


def test_what_a_long_feed_keeps_in_memory_is_bounded() -> None:
    gap = FeedGap()
    _lacking(gap, range(1, 2001))
    assert len(gap._held) < 3
    assert gap.missing == 2000
    assert [p.message for p in gap.finish(_feed_wide)] == ["all 2,000 offers, the first on line 1"]
