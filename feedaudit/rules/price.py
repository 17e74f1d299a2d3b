"""PR: price sanity: every offer has a price, it is a number, and an old price is above it."""

from __future__ import annotations

from collections.abc import Iterator

from feedaudit.model import Offer, Problem, Severity
from feedaudit.rules.base import NoOptions, RuleContext, Scope, rule
from feedaudit.text import price_placeholder


@rule(
    "PR001",
    "old-price-not-higher",
    summary="The old (crossed-out) price is not higher than the price",
    severity=Severity.ERROR,
    scope=Scope.OFFER,
)
def old_price_not_higher(offer: Offer, ctx: RuleContext[NoOptions]) -> Iterator[Problem]:
    """
    ## What it does
    Reports an offer whose old price (YML `oldprice`, Rozetka and Epicentr `price_old`, Hotline
    `oldprice`; in Google and Meta feeds `g:price` when a `g:sale_price` is given) is equal to or
    lower than the price the buyer pays.

    ## Why is this bad?
    A "discount" that raises the price misleads the buyer; marketplaces require the old price to
    be higher (Yandex, Rozetka and Hotline say so in their feed rules; Google requires
    `sale_price` below `price`) and drop the discount or the offer.

    ## Example
    ```xml
    <offer id="HP-502"><price>1599</price><price_old>1399</price_old></offer>
    ```

    Use instead:
    ```xml
    <offer id="HP-502"><price>1399</price><price_old>1599</price_old></offer>
    ```
    """
    if offer.old_price is not None and offer.price is not None and offer.old_price <= offer.price:
        yield Problem(
            f"old price {offer.old_price_text} is not higher than the price {offer.price_text}",
            field="old_price",
        )


@rule(
    "PR002",
    "price-not-a-number",
    summary="A price field holds text that is neither a number nor a placeholder",
    severity=Severity.ERROR,
    scope=Scope.OFFER,
)
def price_not_a_number(offer: Offer, ctx: RuleContext[NoOptions]) -> Iterator[Problem]:
    """
    ## What it does
    Reports a price or old price that cannot be read as a number: a brand name pasted into the
    price, two prices in one field, letters mixed into the digits. Comma decimals, thousands
    separators and a currency beside the number (`1 299,50 грн`, `15.00 USD`) are numbers;
    placeholder phrases such as «договірна» are reported by `placeholder-price` instead.

    ## Why is this bad?
    The importer cannot read the price, so it rejects the offer or keeps an old one.

    ## Example
    ```xml
    <offer id="amp-400"><price>AMP400RemovalBrand</price></offer>
    ```

    Use instead:
    ```xml
    <offer id="amp-400"><price>1499</price></offer>
    ```
    """
    for field, label, text, parsed in (
        ("price", "price", offer.price_text, offer.price),
        ("old_price", "old price", offer.old_price_text, offer.old_price),
    ):
        if parsed is None and text and text.strip() and price_placeholder(text) is None:
            yield Problem(f'{label} "{text}" is not a number', field=field)


@rule(
    "PR003",
    "missing-price",
    summary="The offer has no price",
    severity=Severity.ERROR,
    scope=Scope.OFFER,
)
def missing_price(offer: Offer, ctx: RuleContext[NoOptions]) -> Iterator[Problem]:
    """
    ## What it does
    Reports an offer without a price, or with an empty one: YML `<price/>`, a Hotline item without
    `priceRUAH`, a Google item without `g:price`. Element names are case-sensitive, so a `<Price>`
    element is not a price.

    ## Why is this bad?
    Every marketplace requires a price; an offer without one is rejected at import.

    ## Example
    ```xml
    <offer id="80149" available="true"><Price>1699</Price></offer>
    ```

    Use instead:
    ```xml
    <offer id="80149" available="true"><price>1699</price></offer>
    ```
    """
    if not (offer.price_text or "").strip():
        yield Problem("the offer has no price", field="price")
