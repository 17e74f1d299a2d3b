"""A feed-wide gap holds offers back in bounded memory and releases them in feed order."""

from __future__ import annotations

from decimal import Decimal

import pytest

from feedaudit.model import Dialect, Offer, Problem
from feedaudit.rules import gaps
from feedaudit.rules.gaps import FeedGap


def _offer(number: int) -> Offer:
    return Offer(source="feed.xml", line=number, dialect=Dialect.YML, offer_id=str(number), price=Decimal(1))


def _lacking(gap: FeedGap, numbers: range) -> list[Problem]:
    return [p for n in numbers for p in gap.offer_lacks_it(_offer(n), Problem("none", field="warranty"))]


def _spilled(gap: FeedGap) -> bool:
    return gap._spill is not None


def _feed_wide(count: int, first: Problem) -> Problem:
    return Problem(f"{count} from {first.line}", field="warranty")


@pytest.fixture(autouse=True)
def small_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gaps, "IN_MEMORY", 3)


def test_held_offers_come_back_in_feed_order_from_memory_and_the_spill_file() -> None:
    gap = FeedGap()
    assert _lacking(gap, range(1, 11)) == []
    assert len(gap._held) == 3
    assert _spilled(gap)
    released = list(gap.offer_states_it())
    assert [p.offer.offer_id for p in released if p.offer] == [str(n) for n in range(1, 11)]
    assert [p.line for p in released] == list(range(1, 11))
    assert not _spilled(gap)
    # once the feed is known to state it, an offer without it is reported at once
    assert [p.offer.offer_id for p in _lacking(gap, range(11, 13)) if p.offer] == ["11", "12"]
    assert list(gap.finish(_feed_wide)) == []


def test_a_feed_that_never_states_it_gets_one_problem_with_the_count() -> None:
    gap = FeedGap()
    _lacking(gap, range(5, 25))
    assert [p.message for p in gap.finish(_feed_wide)] == ["20 from 5"]
    assert not _spilled(gap)


def test_one_offer_alone_keeps_its_own_finding() -> None:
    gap = FeedGap()
    _lacking(gap, range(7, 8))
    assert [p.offer.offer_id for p in gap.finish(_feed_wide) if p.offer] == ["7"]


def test_a_long_feed_without_warranty_keeps_memory_flat() -> None:
    """What stays in memory is bounded by IN_MEMORY, whatever the number of offers held."""
    gap = FeedGap()
    _lacking(gap, range(1, 2001))
    assert len(gap._held) == 3
    assert gap.missing == 2000
    assert [p.message for p in gap.finish(_feed_wide)] == ["2000 from 1"]
