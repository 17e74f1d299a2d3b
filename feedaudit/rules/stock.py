"""ST: stock sanity: the stated availability and the stated quantity tell the same story."""

from __future__ import annotations

from collections.abc import Iterator

from feedaudit.model import Availability, Offer, Problem, Severity
from feedaudit.rules.base import NoOptions, RuleContext, offer_rule

_ON_ORDER = (Availability.BACKORDER, Availability.PREORDER)


@offer_rule(
    "ST001",
    "availability-contradicts-quantity",
    summary="The availability contradicts the stock quantity (in stock with 0, out of stock with 50)",
    severity=Severity.ERROR,
    reads=("availability", "availability_text", "quantity"),
)
def availability_contradicts_quantity(offer: Offer, ctx: RuleContext[NoOptions]) -> Iterator[Problem]:
    """
    ## What it does
    Reports an offer marked in stock with a quantity of 0, marked out of stock with a positive
    quantity, or marked on order (pre-order, back-order, «під замовлення», YML and Prom
    `available="false"`) while a positive quantity is in stock. Offers that state only one of the
    two are not judged.

    ## Why is this bad?
    Marketplaces read both and resolve the conflict their own way (Rozetka shows an item in stock
    only while `stock_quantity` is above 0), so the buyer sees either a product that cannot be
    shipped, or no offer for goods on the shelf.

    ## Example
    ```xml
    <offer id="HP-502" available="false"><stock_quantity>50</stock_quantity></offer>
    ```

    Use instead:
    ```xml
    <offer id="HP-502" available="true"><stock_quantity>50</stock_quantity></offer>
    ```
    """
    quantity = offer.quantity
    if quantity is None or quantity < 0 or offer.availability is None:
        return
    status = offer.availability
    if status is Availability.IN_STOCK and quantity == 0:
        problem = "says in stock, but the quantity is 0"
    elif status is Availability.OUT_OF_STOCK and quantity > 0:
        problem = f"says out of stock, but the quantity is {quantity}"
    elif status in _ON_ORDER and quantity > 0:
        problem = f"says on order, but {quantity} units are in stock"
    else:
        return
    yield Problem(f'availability "{offer.availability_text}" {problem}', field="availability")


@offer_rule(
    "ST002",
    "negative-quantity",
    summary="A stock quantity is below zero",
    severity=Severity.ERROR,
    reads=("quantity",),
)
def negative_quantity(offer: Offer, ctx: RuleContext[NoOptions]) -> Iterator[Problem]:
    """
    ## What it does
    Reports a stock quantity below zero (`<quantity_in_stock>-1</quantity_in_stock>`), which shop
    software writes for oversold or reserved goods.

    ## Why is this bad?
    A marketplace either rejects the value or reads it as "in stock" and keeps selling goods the
    shop already owes to other buyers.

    ## Example
    ```xml
    <offer id="KT-77" available="true"><quantity_in_stock>-1</quantity_in_stock></offer>
    ```

    Use instead:
    ```xml
    <offer id="KT-77" available="false"><quantity_in_stock>0</quantity_in_stock></offer>
    ```
    """
    if offer.quantity is not None and offer.quantity < 0:
        yield Problem(f"stock quantity {offer.quantity} is below zero", field="quantity")
