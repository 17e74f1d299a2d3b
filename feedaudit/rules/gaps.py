"""Feed-wide gaps: a fact (warranty, delivery time) that a feed states for none of its offers is one finding.

Most real feeds that lack warranty or delivery information lack it for every offer: one finding per
offer buries every other finding under thousands of identical lines. `FeedGap` keeps the per-offer
problems of one rule back until the feed shows whether any offer states the fact:

- as soon as one offer states it, the problems held so far are released (each names its offer) and
  every later one is reported as its offer is read: those offers differ from their feed;
- when the feed ends and no offer stated it, the feed gets one problem with the count instead (one
  offer alone keeps its own finding).

Held problems stay in memory up to `IN_MEMORY`, then go to an unnamed temporary file, so memory stays
flat however long the feed is. A rule's `per-offer` option turns the holding off.
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Callable, Iterator
from typing import IO

from pydantic import Field

from feedaudit.model import Offer, Problem
from feedaudit.section import Section

IN_MEMORY = 2_000  # held problems kept in memory before the rest go to a temporary file


class FeedGapOptions(Section):
    per_offer: bool = Field(
        default=False,
        description="Report every offer, also when no offer of the feed states it (else one finding for the feed).",
    )


class FeedGap:
    """The held-back problems of one rule for one feed (kept in the rule's `ctx.state`)."""

    __slots__ = ("_held", "_spill", "first", "missing", "stated")

    def __init__(self) -> None:
        self.stated = False  # some offer of the feed states the fact
        self.missing = 0  # offers that do not
        self.first: Problem | None = None
        self._held: list[Problem] = []
        self._spill: IO[bytes] | None = None

    def offer_states_it(self) -> Iterator[Problem]:
        """An offer states the fact: the feed has no feed-wide gap, so what was held is reported now."""
        if self.stated:
            return
        self.stated = True
        yield from self._release()

    def offer_lacks_it(self, offer: Offer, problem: Problem) -> Iterator[Problem]:
        """An offer lacks the fact: report it if the feed is known to state it elsewhere, else hold it."""
        self.missing += 1
        named = _naming(offer, problem)
        if self.stated:
            yield named
            return
        if self.first is None:
            self.first = named
        if len(self._held) < IN_MEMORY:
            self._held.append(named)
            return
        if self._spill is None:
            self._spill = tempfile.TemporaryFile()  # noqa: SIM115 - closed when released
        pickle.dump(named, self._spill, protocol=pickle.HIGHEST_PROTOCOL)

    def finish(self, feed_wide: Callable[[int, Problem], Problem]) -> Iterator[Problem]:
        """At the end of the feed: the one feed-wide problem (`feed_wide(count, first)`) when no offer
        stated the fact and more than one lacked it; otherwise whatever is still held."""
        if self.stated:
            return
        if self.missing > 1 and self.first is not None:
            self._drop()
            yield feed_wide(self.missing, self.first)
            return
        yield from self._release()

    def _release(self) -> Iterator[Problem]:
        held, self._held = self._held, []
        yield from held
        spill, self._spill = self._spill, None
        if spill is None:
            return
        with spill:
            spill.seek(0)
            while True:
                try:
                    problem = pickle.load(spill)  # our own file, written above in this run
                except EOFError:
                    break
                yield problem

    def _drop(self) -> None:
        self._held = []
        if self._spill is not None:
            self._spill.close()
            self._spill = None


def _naming(offer: Offer, problem: Problem) -> Problem:
    """`problem` as the end-of-feed step reports it: naming its offer, with the line and value the
    engine would have given it while the offer was at hand."""
    line = problem.line if problem.line is not None else offer.line_of(problem.field)
    return Problem(
        problem.message,
        field=problem.field,
        value=problem.value,
        line=line,
        column=problem.column,
        offer=offer.ref(),
    )


def state_gap(state: dict[str, object]) -> FeedGap:
    """The rule's `FeedGap` for this feed, made on first use."""
    gap = state.get("gap")
    if not isinstance(gap, FeedGap):
        gap = state["gap"] = FeedGap()
    return gap
