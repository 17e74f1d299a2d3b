"""DL: delivery time: every offer says how soon it ships, and the time it states is plausible.

A delivery time comes from the offer's own delivery fields, from a delivery phrase in a
delivery-scoped field («Доставка 1-2 дні», «Під замовлення 5-7 днів» as a stock status), or from the
shop-wide default the feed declares once. Descriptions are not read: marketplaces take delivery
terms from the structured fields, not from prose.
"""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from feedaudit.model import Availability, FeedInfo, Offer, Problem, Severity
from feedaudit.rules.base import REF, RuleContext, offer_rule
from feedaudit.rules.gaps import FeedGap, FeedGapOptions
from feedaudit.section import Section
from feedaudit.text import delivery_days


def _offer_days(offer: Offer) -> tuple[int | None, int | None] | None:
    """The delivery time the offer itself states: its delivery fields, or a delivery phrase."""
    if offer.delivery_min_days is not None or offer.delivery_max_days is not None:
        return offer.delivery_min_days, offer.delivery_max_days
    for text in (offer.delivery_text, offer.availability_text):
        days = delivery_days(text)
        if days is not None:
            return days
    return None


def _shop_days(feed: FeedInfo) -> tuple[int | None, int | None] | None:
    if feed.shop.delivery_min_days is not None or feed.shop.delivery_max_days is not None:
        return feed.shop.delivery_min_days, feed.shop.delivery_max_days
    return delivery_days(feed.shop.delivery_text)


@offer_rule(
    "DL001",
    "missing-delivery-time",
    summary="Neither the offer nor the shop states a delivery time",
    severity=Severity.WARNING,
    options=FeedGapOptions,
    state=FeedGap,
    across_offers=True,
    finish=lambda feed, ctx: _feed_without_delivery_time(feed, ctx),  # noqa: PLW0108 - defined below the rule
    reads=(*REF, "availability", "availability_text", "delivery_min_days", "delivery_max_days", "delivery_text"),
)
def missing_delivery_time(offer: Offer, ctx: RuleContext[FeedGapOptions, FeedGap]) -> Iterator[Problem]:
    """
    ## What it does
    Reports an offer for which the feed states no delivery or dispatch time: no offer-level
    delivery time (YML `delivery-options` `days`, Hotline `delivery` `time` or `stock` `days`, Google
    `g:shipping` handling and transit times or `g:min_handling_time`), no delivery phrase in a
    delivery field or stock status («Доставка 1-2 дні», «відправка в день замовлення», «Под заказ,
    срок поставки 2-3 недели», "ships in 2 days"), and no shop-wide default (YML shop
    `delivery-options`, Hotline shop `delivery`). Delivery terms that give no time («Доставка Новою
    Поштою») do not count. Descriptions are not read.

    When at least half of a feed's offers (and more than one) state no delivery time and the feed
    gives no shop-wide default, the feed gets one finding, with the count and the first offer's line,
    instead of one per offer; otherwise every offer without a time is reported on its own.

    Which offers need a time, and why:
    - **Out of stock** (`available="false"` where the dialect means "not sold", Hotline «Немає в
      наявності», Google `out_of_stock`): not reported. The buyer cannot order the item, the
      marketplace shows no delivery terms for it, and the time it would take is unknown until the
      item is back.
    - **On order, pre-order, on request** («Під замовлення», plain YML `available="false"`):
      reported. The time matters most here: the item is not in the shop, Yandex's YML rules allow up
      to two months for it, and Hotline asks for `stock days` exactly for such items.
    - **Services and perishables** are not told apart: no dialect marks an offer as a service, and
      guessing from names («Доставка», «Монтаж», «Торт») would hide real gaps. Perishables need a
      delivery time as much as any goods. A shop whose feed lists services turns DL001 off for that
      feed (`per-file-ignores`).

    ## Why is this bad?
    Buyers choose between shops by how soon the goods arrive, and marketplaces require real
    delivery terms (Rozetka: «реальные сроки доставки»). Where the marketplace takes the time from
    the feed, an offer without one is shown with none, or with the slowest default.

    ## Options
    - `per-offer` (bool, default false): report every offer, also when no offer of the feed states a
      delivery time.

    ## Example
    ```xml
    <item><id>CAM-9</id><priceRUAH>24999</priceRUAH><stock>Під замовлення</stock></item>
    ```

    Use instead:
    ```xml
    <item><id>CAM-9</id><priceRUAH>24999</priceRUAH><stock days="10">Під замовлення</stock></item>
    ```
    """
    if _shop_days(ctx.feed) is not None or offer.availability is Availability.OUT_OF_STOCK:
        return
    if _offer_days(offer) is not None:
        ctx.state.offer_states_it()
        return
    if offer.delivery_text:
        message = f'delivery terms "{offer.delivery_text}" state no time, and the feed gives no shop-wide default'
    else:
        message = "the offer's delivery fields state no delivery time, and the feed gives no shop-wide default"
    if ctx.options.per_offer:
        yield Problem(message, field="delivery", value=offer.delivery_text)
    else:
        ctx.state.offer_lacks_it(offer, message, "delivery", offer.delivery_text)


def _feed_without_delivery_time(feed: FeedInfo, ctx: RuleContext[FeedGapOptions, FeedGap]) -> Iterator[Problem]:
    if _shop_days(feed) is not None:
        return iter(())

    def feed_wide(gap: FeedGap) -> Problem:
        which = (
            "no offer of the feed states a delivery time in its delivery fields"
            if not gap.stated
            else "most offers of the feed state no delivery time in their delivery fields"
        )
        return Problem(
            f"{which}, and the feed gives no "
            f"shop-wide default: {gap.counted()}; one finding for the feed (set per-offer to list every offer)",
            field="delivery",
        )

    return ctx.state.finish(feed_wide)


class DeliveryLimitOptions(Section):
    max_days: int = Field(default=60, gt=0, description="The longest plausible delivery time, in days.")


def _implausible(days: tuple[int | None, int | None], limit: int) -> str | None:
    low, high = days
    if (low is not None and low < 0) or (high is not None and high < 0):
        return "is negative"
    if low is not None and high is not None and low > high:
        return "starts after it ends"
    if high is not None and high > limit:
        return f"is longer than {limit} days"
    return None


def _describe(days: tuple[int | None, int | None]) -> str:
    low, high = days
    if low is None or high is None or low == high:
        return f"{high if low is None else low} days"
    return f"{low}-{high} days"


@offer_rule(
    "DL002",
    "implausible-delivery-time",
    summary="A delivery time is negative, ends before it starts, or is implausibly long",
    severity=Severity.WARNING,
    options=DeliveryLimitOptions,
    state=dict[str, bool],
    # the shop-wide default is judged on the first offer that relies on it
    across_offers=True,
    reads=("availability", "availability_text", "delivery_min_days", "delivery_max_days", "delivery_text"),
)
def implausible_delivery_time(
    offer: Offer, ctx: RuleContext[DeliveryLimitOptions, dict[str, bool]]
) -> Iterator[Problem]:
    """
    ## What it does
    Reports a delivery time below zero, a range whose minimum is above its maximum («5-2 дні»,
    `min_transit_time` 5 with `max_transit_time` 2), or one longer than `max-days` (60 by default,
    the longest "on order" term YML allows). An offer's own time is checked on each offer; the
    shop-wide default once, on the first offer that relies on it.

    ## Why is this bad?
    Such values come from broken exports (a sign lost, fields swapped, hours written as days); the
    marketplace rejects the delivery option or shows the buyer a promise nobody can keep.

    ## Options
    - `max-days` (int, default 60): the longest plausible delivery time.

    ## Example
    ```xml
    <delivery-options><option cost="0" days="5-2"/></delivery-options>
    ```

    Use instead:
    ```xml
    <delivery-options><option cost="0" days="2-5"/></delivery-options>
    ```
    """
    limit = ctx.options.max_days
    own = _offer_days(offer)
    if own is not None:
        fault = _implausible(own, limit)
        if fault is not None:
            yield Problem(f"delivery time {_describe(own)} {fault}", field="delivery")
        return
    if ctx.state.get("shop_checked"):
        return
    ctx.state["shop_checked"] = True
    shop = _shop_days(ctx.feed)
    if shop is not None:
        fault = _implausible(shop, limit)
        if fault is not None:
            yield Problem(
                f"the shop-wide delivery time {_describe(shop)} {fault}",
                field="delivery",
                value=ctx.feed.shop.delivery_text,
                line=ctx.feed.shop.delivery_line,
            )
