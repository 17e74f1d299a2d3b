"""WR: warranty: every offer says whether and how long it is under warranty, in words that mean a warranty.

An explicit "no warranty" («гарантія не надається», «без гарантії») is warranty information: the
fault is silence, or a return policy standing where the warranty belongs.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from pydantic import Field

from feedaudit.model import FeedInfo, Offer, Problem, Severity
from feedaudit.rules.base import NAMES_AND_DESCRIPTIONS, REF, NoOptions, RuleContext, offer_rule
from feedaudit.rules.gaps import FeedGap, FeedGapOptions
from feedaudit.section import Section
from feedaudit.text import WarrantyKind, WarrantyReading, read_warranty, warranty_in_text


def _reading(offer: Offer) -> WarrantyReading | None:
    if not (offer.warranty_text or "").strip() and offer.warranty_months is None:
        return None
    return read_warranty(offer.warranty_text, offer.warranty_months)


NO_WARRANTY = "the offer gives no warranty information (not even 'no warranty')"


class MissingWarrantyOptions(FeedGapOptions):
    description: bool = Field(default=True, description="Accept a warranty stated in the description.")


@offer_rule(
    "WR001",
    "missing-warranty",
    summary="The offer says nothing about warranty",
    severity=Severity.WARNING,
    options=MissingWarrantyOptions,
    state=FeedGap,
    across_offers=True,
    finish=lambda feed, ctx: _feed_without_warranty(feed, ctx),  # noqa: PLW0108 - defined below the rule
    reads=(*REF, *NAMES_AND_DESCRIPTIONS, "warranty_months", "warranty_text"),
)
def missing_warranty(offer: Offer, ctx: RuleContext[MissingWarrantyOptions, FeedGap]) -> Iterator[Problem]:
    """
    ## What it does
    Reports an offer with no warranty information at all: no warranty field (YML
    `manufacturer_warranty` or `warranty-days`, a param «Гарантія» / «Гарантия» / «Гарантійний
    термін» / "Warranty", Hotline `guarantee`, a Google `g:product_detail` warranty section) and no
    warranty statement in the name or description («гарантія 12 місяців», «гарантия от
    производителя», "1 year warranty", «без гарантії»). An explicit "no warranty" counts as
    information; «гарантуємо якість» or «гарантія повернення коштів» do not. A warranty card listed
    among the box contents (a param «Комплектація»: «годинник, коробка, гарантійний талон») counts
    too: the product has a warranty, even though its period is not given.

    When at least half of a feed's offers (and more than one) give no warranty information, the
    feed gets one finding, with the count and the first offer's line, instead of one per offer: the
    gap is the feed's, and the shop fixes it once, in its export. Otherwise every offer without
    warranty information is reported on its own: those differ from their feed.

    ## Why is this bad?
    Marketplaces require shops to say whether warranty service is provided («информируйте о
    гарантийном сервисе („не предоставляется" или „предоставляется" и на каких условиях)»,
    Rozetka). A buyer who cannot tell asks, or buys elsewhere.

    ## Options
    - `description` (bool, default true): accept a warranty stated in the description.
    - `per-offer` (bool, default false): report every offer, also when no offer of the feed states a
      warranty.

    ## Example
    ```xml
    <offer id="SM-3001" available="true"><name>Смартфон Xiaomi Redmi Note 13</name></offer>
    ```

    Use instead:
    ```xml
    <offer id="SM-3001" available="true"><name>Смартфон Xiaomi Redmi Note 13</name>
      <param name="Гарантія">12 місяців</param></offer>
    ```
    """
    stated = (
        _reading(offer) is not None
        or any(warranty_in_text(name) for name in offer.names)
        or (ctx.options.description and any(warranty_in_text(text) for text in offer.descriptions))
    )
    if stated:
        ctx.state.offer_states_it()
    elif ctx.options.per_offer:
        yield Problem(NO_WARRANTY, field="warranty", value=offer.warranty_text)
    else:
        ctx.state.offer_lacks_it(offer, NO_WARRANTY, "warranty", offer.warranty_text)


def _feed_without_warranty(feed: FeedInfo, ctx: RuleContext[MissingWarrantyOptions, FeedGap]) -> Iterator[Problem]:
    def feed_wide(gap: FeedGap) -> Problem:
        which = "no offer of the feed gives" if not gap.stated else "most offers of the feed give no"
        return Problem(
            f"{which} warranty information (not even 'no warranty'): {gap.counted()}; "
            "one finding for the feed (set per-offer to list every offer)",
            field="warranty",
        )

    return ctx.state.finish(feed_wide)


@offer_rule(
    "WR002",
    "return-period-as-warranty",
    summary="The warranty field holds a returns or exchange policy, not a warranty",
    severity=Severity.WARNING,
    reads=("warranty_months", "warranty_text"),
)
def return_period_as_warranty(offer: Offer, ctx: RuleContext[NoOptions]) -> Iterator[Problem]:
    """
    ## What it does
    Reports a warranty field that states a return or exchange policy instead: «14 днів на
    повернення», «Обмін/повернення товару протягом 14 днів», «Обміну та поверненню не підлягає»,
    «Повернення/обмін заводського шлюбу», «Обмен и возврат в течение 14 дней», «гарантія
    повернення коштів», "30 days return". A field that states a warranty besides the returns
    («Гарантія 12 міс, обмін протягом 14 днів») is fine, and a returns policy in a returns field
    (param «Обмін та повернення») is not read here.

    ## Why is this bad?
    The 14-day exchange is a consumer right for any goods (Закон «Про захист прав споживачів»,
    ст. 9), not a warranty; a marketplace that reads the field shows "warranty: 14 days" or a
    warranty of «не підлягає», and the buyer is told nothing about the real warranty.

    ## Example
    ```xml
    <param name="Гарантія">14 днів на повернення</param>
    ```

    Use instead:
    ```xml
    <param name="Гарантія">12 місяців</param>
    <param name="Обмін та повернення">14 днів на повернення</param>
    ```
    """
    reading = _reading(offer)
    if reading is not None and reading.kind is WarrantyKind.RETURN_POLICY:
        yield Problem(f'warranty "{offer.warranty_text}" is a returns policy, not a warranty', field="warranty")


@offer_rule(
    "WR003",
    "unparseable-warranty",
    summary="The warranty text cannot be read as a period, a kind of warranty or 'no warranty'",
    severity=Severity.WARNING,
    reads=("warranty_months", "warranty_text"),
)
def unparseable_warranty(offer: Offer, ctx: RuleContext[NoOptions]) -> Iterator[Problem]:
    """
    ## What it does
    Reports a warranty value that is neither a period («12 місяців», «1 год», «2 роки», "24
    months", a bare number where the field or its unit says months), nor a kind of warranty
    («від виробника», «официальная», "lifetime"), nor an explicit "no warranty" («без гарантії»,
    «нет», "0"), nor a returns policy (reported by `return-period-as-warranty`).

    ## Why is this bad?
    Marketplaces parse the warranty into a period for their filters and product cards; a value
    they cannot read is dropped or shown as it is, and the buyer still does not know the terms.

    ## Example
    ```xml
    <param name="Гарантія">див. опис</param>
    ```

    Use instead:
    ```xml
    <param name="Гарантія">24 місяці</param>
    ```
    """
    reading = _reading(offer)
    if reading is not None and reading.kind is WarrantyKind.UNKNOWN:
        yield Problem(f'warranty "{offer.warranty_text}" is not a period the marketplace can read', field="warranty")


class StatutoryPeriodOptions(Section):
    days: list[int] = Field(default=[14], description="Warranty lengths (in days) that equal a return period.")


_DAYS_PER_MONTH = Decimal(30)


@offer_rule(
    "WR004",
    "warranty-equals-return-period",
    summary="The warranty is exactly the statutory 14-day exchange period, most likely a returns policy",
    severity=Severity.INFO,
    options=StatutoryPeriodOptions,
    reads=("warranty_months", "warranty_text"),
)
def warranty_equals_return_period(offer: Offer, ctx: RuleContext[StatutoryPeriodOptions]) -> Iterator[Problem]:
    """
    ## What it does
    Reports a bare warranty period equal to the statutory exchange period, 14 days by default
    («14 днів», «14 дней», Hotline `<guarantee unit="days">14</guarantee>`). A period stated as a
    warranty in words («гарантія 14 днів») is not reported. This is a guess, so the default
    severity is info; most such values in real feeds are the return period in the wrong field.

    ## Why is this bad?
    The buyer is entitled to exchange goods within 14 days anyway (Закон «Про захист прав
    споживачів», ст. 9); a "warranty" of exactly that length usually means the shop gives no
    warranty and wrote its returns policy into the warranty field.

    ## Options
    - `days` (list of integers, default `[14]`): the warranty lengths reported.

    ## Example
    ```xml
    <param name="Гарантия">14 дней</param>
    ```

    Use instead:
    ```xml
    <param name="Гарантия">гарантия не предоставляется</param>
    <param name="Обмен и возврат">14 дней</param>
    ```
    """
    reading = _reading(offer)
    if reading is None or reading.kind is not WarrantyKind.PERIOD or reading.months is None:
        return
    days = (reading.months * _DAYS_PER_MONTH).to_integral_value()
    if int(days) in ctx.options.days and not warranty_in_text(offer.warranty_text):
        yield Problem(
            f'warranty "{offer.warranty_text}" is {days} days, the statutory exchange period', field="warranty"
        )
