"""ID: offer identity: every offer needs an id, and no two offers of a feed may share one."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from feedaudit.model import Offer, Problem, Severity
from feedaudit.rules.base import NoOptions, RuleContext, Scope, rule


@rule(
    "ID001",
    "missing-offer-id",
    summary="An offer has no id",
    severity=Severity.ERROR,
    scope=Scope.OFFER,
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


@rule(
    "ID002",
    "duplicate-offer-id",
    summary="Two offers in one feed share an id",
    severity=Severity.ERROR,
    scope=Scope.OFFER,
)
def duplicate_offer_id(offer: Offer, ctx: RuleContext[NoOptions]) -> Iterator[Problem]:
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
    # A compact key (8 bytes of a hash) keeps memory per offer small on feeds with millions of offers.
    key = int.from_bytes(hashlib.blake2b(offer.offer_id.encode("utf-8"), digest_size=8).digest())
    seen: dict[int, int] = ctx.state.setdefault("seen", {})
    first = seen.get(key)
    if first is None:
        seen[key] = offer.line_of("offer_id")
        return
    yield Problem(
        f"offer id {offer.offer_id!r} is used again (first at line {first})",
        field="offer_id",
        value=offer.offer_id,
        related_lines=(first,),
    )
