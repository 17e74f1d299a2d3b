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

from feedaudit.model import Offer, OfferRef, Problem
from feedaudit.section import Section

IN_MEMORY = 2_000  # held problems kept in memory; every full chunk goes to a temporary file


class FeedGapOptions(Section):
    per_offer: bool = Field(
        default=False,
        description="Report every offer, also when no offer of the feed states it (else one finding for the feed).",
    )


# what is kept of one held problem: message, field, value, line, and the offer's id, identity, name,
# line and column (a tuple pickles in a fraction of the time a Problem takes)
_Held = tuple[str, str | None, str | None, int, str | None, str | None, str | None, int, int | None]


class FeedGap:
    """The held-back problems of one rule for one feed (kept in the rule's `ctx.state`)."""

    __slots__ = ("_held", "_spill", "first_line", "missing", "stated")

    def __init__(self) -> None:
        self.stated = 0  # offers that state the fact
        self.missing = 0  # offers that do not
        self.first_line: int | None = None  # of the first offer that does not
        self._held: list[_Held] = []
        self._spill: IO[bytes] | None = None  # earlier held problems, in chunks of IN_MEMORY

    def offer_states_it(self) -> None:
        self.stated += 1

    def offer_lacks_it(self, offer: Offer, message: str, field: str, value: str | None) -> None:
        """Hold back the problem `message` about `offer` (at its `field`) until the end of the feed."""
        self.missing += 1
        line = offer.line_of(field)
        if self.first_line is None:
            self.first_line = line
        ref = offer.ref()
        self._held.append((message, field, value, line, ref.offer_id, ref.identity, ref.name, ref.line, ref.column))
        if len(self._held) >= IN_MEMORY:
            if self._spill is None:
                self._spill = tempfile.TemporaryFile()  # noqa: SIM115 - closed when released or dropped
            pickle.dump(self._held, self._spill, protocol=pickle.HIGHEST_PROTOCOL)
            self._held = []

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
        for held in self._release():
            message, field, value, line, offer_id, identity, name, offer_line, column = held
            offer = OfferRef(offer_id, identity, name, offer_line, column)
            yield Problem(message, field=field, value=value, line=line, offer=offer)

    def _release(self) -> Iterator[_Held]:
        spill, self._spill = self._spill, None
        if spill is not None:
            with spill:
                spill.seek(0)
                while True:
                    try:
                        chunk: list[_Held] = pickle.load(spill)  # our own file, written above in this run
                    except EOFError:
                        break
                    yield from chunk
        held, self._held = self._held, []
        yield from held

    def _drop(self) -> None:
        self._held = []
        if self._spill is not None:
            self._spill.close()
            self._spill = None

    def counted(self) -> str:
        """How many offers lack the fact, of how many, and where the first is: for the feed's message."""
        total = self.missing + self.stated
        share = f"all {total:,} offers" if not self.stated else f"{self.missing:,} of {total:,} offers"
        first = f", the first on line {self.first_line}" if self.first_line is not None else ""
        return f"{share}{first}"
