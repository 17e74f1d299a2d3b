"""Feed-wide gaps: a fact (warranty, delivery time) that most of a feed's offers lack is one finding.

Most real feeds that lack warranty or delivery information lack it for all or nearly all offers: one
finding per offer buries every other finding under thousands of identical lines, and the shop fixes
the gap once, in its export. `FeedGap` holds a rule's per-offer problems back until the feed ends:

- when at least half of the offers (and more than one) lack the fact, the feed gets one problem with
  the count and the first offer's line instead;
- otherwise the offers that lack it differ from their feed, and each is reported on its own (in feed
  order, naming its offer).

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
        self.stated = 0  # offers that state the fact
        self.missing = 0  # offers that do not
        self.first: Problem | None = None
        self._held: list[Problem] = []
        self._spill: IO[bytes] | None = None

    def offer_states_it(self) -> None:
        self.stated += 1

    def offer_lacks_it(self, offer: Offer, problem: Problem) -> None:
        """Hold `problem` (about `offer`) back until the end of the feed."""
        self.missing += 1
        named = _naming(offer, problem)
        if self.first is None:
            self.first = named
        if len(self._held) < IN_MEMORY:
            self._held.append(named)
            return
        if self._spill is None:
            self._spill = tempfile.TemporaryFile()  # noqa: SIM115 - closed when released
        pickle.dump(named, self._spill, protocol=pickle.HIGHEST_PROTOCOL)

    @property
    def feed_wide(self) -> bool:
        """Whether the gap is the feed's: at least half of its offers, and more than one, lack the fact."""
        return self.missing > 1 and self.missing >= self.stated

    def finish(self, feed_wide: Callable[[FeedGap], Problem]) -> Iterator[Problem]:
        """At the end of the feed: the one feed-wide problem (`feed_wide(self)`), or each held problem."""
        if self.feed_wide:
            self._drop()
            yield feed_wide(self)
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

    def counted(self) -> str:
        """How many offers lack the fact, of how many, and where the first is: for the feed's message."""
        total = self.missing + self.stated
        share = f"all {total} offers" if not self.stated else f"{self.missing} of {total} offers"
        first = f", the first on line {self.first.line}" if self.first is not None else ""
        return f"{share}{first}"


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
