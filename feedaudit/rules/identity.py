"""ID: offer identity: every offer needs an id, and no two offers of a feed may share one."""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Iterator

from feedaudit.model import Offer, Problem, Severity
from feedaudit.rules.base import REF, NoOptions, RuleContext, offer_rule


@offer_rule(
    "ID001",
    "missing-offer-id",
    summary="An offer has no id",
    severity=Severity.ERROR,
    reads=("offer_id",),
)
def missing_offer_id(offer: Offer, ctx: RuleContext[NoOptions]) -> Iterator[Problem]:
    """
    ## What it does
    Reports an offer without an id (`offer@id` in YML, `<id>` in Hotline, `g:id` in Google and Meta
    feeds), or with an empty one.

    ## Why is this bad?
    Marketplaces key everything on the offer id: price and stock updates, orders, reviews. An offer
    without one is rejected, or is created anew on every import and loses its history.

    ## Example
    ```xml
    <offer available="true"><name>Чайник</name><price>799</price></offer>
    ```

    Use instead:
    ```xml
    <offer id="KT-1001" available="true"><name>Чайник</name><price>799</price></offer>
    ```
    """
    if offer.offer_id is None:
        yield Problem("offer has no id", field="offer_id")


@offer_rule(
    "ID002",
    "duplicate-offer-id",
    summary="Two offers in one feed share an id",
    severity=Severity.ERROR,
    state=lambda: FirstSeen(),  # noqa: PLW0108 - defined below the rule
    across_offers=True,
    reads=(*REF,),
)
def duplicate_offer_id(offer: Offer, ctx: RuleContext[NoOptions, FirstSeen]) -> Iterator[Problem]:
    """
    ## What it does
    Reports an offer whose id was already used by an earlier offer of the same feed, pointing at both
    lines.

    ## Why is this bad?
    The marketplace keeps one of the two (Yandex: only the first) and drops or overwrites the other,
    so a product silently shows another product's price or stock.

    ## Example
    ```xml
    <offer id="42"><name>Чайник білий</name></offer>
    <offer id="42"><name>Чайник чорний</name></offer>
    ```

    Use instead:
    ```xml
    <offer id="42-white"><name>Чайник білий</name></offer>
    <offer id="42-black"><name>Чайник чорний</name></offer>
    ```
    """
    if offer.offer_id is None:
        return
    first = ctx.state.first_or_add(id_key(offer.offer_id), offer.line_of("offer_id"))
    if first is None:
        return
    yield Problem(
        f"offer id {offer.offer_id!r} is used again (first at line {first})",
        field="offer_id",
        value=offer.offer_id,
        related_lines=(first,),
    )


def id_key(offer_id: str) -> int:
    """A 64-bit key for an offer id (blake2b, so it is the same in every process); never 0."""
    return int.from_bytes(hashlib.blake2b(offer_id.encode("utf-8"), digest_size=8).digest()) or 1


class FirstSeen:
    """Which 64-bit keys were seen, and on which line first: an open-addressing table in two flat arrays.

    The only state of the ID rules that grows with the feed, so it is kept to 12 bytes a slot (18–36
    bytes per offer, about 6 MB for 250,000 offers) instead of the ~100 bytes per entry of a dict of
    Python ints. Linear probing; the table doubles at two-thirds full. Key 0 marks an empty slot.
    """

    __slots__ = ("_keys", "_lines", "_mask", "_used")

    def __init__(self, capacity: int = 1024) -> None:
        size = 1 << max(capacity - 1, 1).bit_length()
        self._keys = array("Q", bytes(8 * size))
        self._lines = array("I", bytes(4 * size))
        self._mask = size - 1
        self._used = 0

    def __len__(self) -> int:
        return self._used

    def first_or_add(self, key: int, line: int) -> int | None:
        """The line `key` was first seen on, or None (and `key` remembered at `line`) if it is new."""
        keys = self._keys
        mask = self._mask
        slot = key & mask
        while True:
            found = keys[slot]
            if found == key:
                return self._lines[slot]
            if found == 0:
                break
            slot = (slot + 1) & mask
        keys[slot] = key
        self._lines[slot] = min(line, 0xFFFFFFFF)
        self._used += 1
        if self._used * 3 > (mask + 1) * 2:
            self._grow()
        return None

    def _grow(self) -> None:
        old_keys, old_lines = self._keys, self._lines
        size = (self._mask + 1) * 2
        self._keys = keys = array("Q", bytes(8 * size))
        self._lines = lines = array("I", bytes(4 * size))
        self._mask = mask = size - 1
        for index, key in enumerate(old_keys):
            if key:
                slot = key & mask
                while keys[slot]:
                    slot = (slot + 1) & mask
                keys[slot] = key
                lines[slot] = old_lines[index]
