"""IV: inventory drift: the feed against the shop's own stock and prices (`--inventory`).

Offer rules get the matched inventory row (or None); the end-of-feed rules read the inventory itself
(`ctx.inventory`, any `InventoryLookup`) for the stocked rows the feed left out (those whose key is not
in `ctx.matched`) and for the rows that could not be used. Prices in different currencies are
compared through the feed's own `<currencies>` rates.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from pydantic import Field

from feedaudit.inventory.columns import currency_code
from feedaudit.model import Availability, FeedInfo, InventoryItem, Offer, Problem, Severity
from feedaudit.rules.base import NoOptions, RuleContext, inventory_rule, offer_inventory_rule
from feedaudit.section import Section

CENT = Decimal("0.01")
NOT_IN_STOCK = {Availability.OUT_OF_STOCK, Availability.BACKORDER, Availability.PREORDER, Availability.ON_REQUEST}
MATCH_FIELDS = {
    "id": ("offer_id", "offer id"),
    "vendor-code": ("vendor_code", "vendor code"),
    "barcode": ("barcode", "barcode"),
}


class Tolerance(Section):
    """A difference is tolerated when it is within `absolute` or within `percent` of the inventory value."""

    absolute: Decimal = Field(default=Decimal(0), ge=0, description="Largest tolerated difference, in units.")
    percent: Decimal = Field(default=Decimal(0), ge=0, description="Largest tolerated difference, in percent.")

    def allows(self, actual: Decimal, expected: Decimal) -> bool:
        if actual == expected:
            return True
        difference = abs(actual - expected)
        if difference <= self.absolute:
            return True
        return self.percent > 0 and difference * 100 <= self.percent * abs(expected)


class DriftOptions(Tolerance):
    profiles: dict[str, Tolerance] = Field(
        default_factory=dict, description="Per marketplace profile: its own absolute / percent."
    )

    def for_profile(self, profile: str | None) -> Tolerance:
        """The tolerance for a feed of this (effective) marketplace profile."""
        return self.profiles.get(profile, self) if profile else self


@dataclass(slots=True)
class _Currencies:
    """What inventory-price-drift keeps of one feed: the currency codes it resolved, and the currency
    pairs it refused to compare (told once per feed)."""

    codes: dict[str | None, str | None] = dataclasses.field(default_factory=dict)
    refused: set[tuple[str, str]] = dataclasses.field(default_factory=set)


class AvailabilityOptions(Section):
    both_ways: bool = Field(
        default=False, description="Also report offers out of stock in the feed that the inventory has in stock."
    )


def _where(item: InventoryItem) -> str:
    return f"{item.source} row {item.row}" if item.row is not None else str(item.source)


def _amount(value: Decimal, currency: str | None) -> str:
    if value == value.to_integral_value():
        text = format(value.quantize(Decimal(1)), "f")
    else:
        exponent = value.normalize().as_tuple().exponent
        text = format(value.quantize(CENT) if isinstance(exponent, int) and exponent > -2 else value, "f")
    return f"{text} {currency}" if currency else text


def offer_currency(offer: Offer, feed: FeedInfo) -> str | None:
    """The offer's currency, or the feed's only / base (rate 1) currency when the offer names none."""
    return currency_code(offer.currency) or base_currency(feed)


def base_currency(feed: FeedInfo) -> str | None:
    """The feed's own currency: the one with rate 1, or the only one listed."""
    codes = {currency_code(code): rate for code, rate in feed.shop.currencies.items()}
    codes.pop(None, None)
    if len(codes) == 1:
        return next(iter(codes))
    base = [code for code, rate in codes.items() if rate == 1]
    return base[0] if len(base) == 1 else None


def feed_rate(feed: FeedInfo, currency: str) -> Decimal | None:
    """The feed's numeric rate for a currency (None when absent, zero or a word such as `CB`)."""
    for code, rate in feed.shop.currencies.items():
        if currency_code(code) == currency:
            return rate if rate is not None and rate > 0 else None
    return None


def _stocked(offer: Offer) -> Availability | None:
    """What the feed tells a buyer: its stated availability, else what its quantity implies."""
    if offer.availability is not None and offer.availability is not Availability.UNKNOWN:
        return offer.availability
    if offer.quantity is not None:
        return Availability.IN_STOCK if offer.quantity > 0 else Availability.OUT_OF_STOCK
    return None


def _availability_detail(offer: Offer, item: InventoryItem) -> tuple[str, str]:
    """The offer field the feed's stock claim is in, and what the inventory row says."""
    field = "availability" if offer.availability not in (None, Availability.UNKNOWN) else "quantity"
    parts = [
        repr(item.availability_text) if item.availability_text else None,
        f"quantity {item.quantity}" if item.quantity is not None else None,
        _where(item),
    ]
    return field, ", ".join(part for part in parts if part)


@offer_inventory_rule(
    "IV001",
    "inventory-price-drift",
    summary="The feed's price differs from the inventory's beyond the tolerance",
    severity=Severity.ERROR,
    options=DriftOptions,
    state=_Currencies,
    across_offers=True,  # a refused currency pair is told once per feed
    reads=("price", "price_text", "currency"),
)
def inventory_price_drift(
    offer: Offer, item: InventoryItem | None, ctx: RuleContext[DriftOptions, _Currencies]
) -> Iterator[Problem]:
    """
    ## What it does
    Compares each offer's price with the price of its inventory row and reports a difference beyond
    the tolerance. When the two are in different currencies, the inventory price is converted with the
    feed's own `<currencies>` rates; when the feed gives no numeric rate (`rate="CB"`), the comparison
    is refused once per currency pair, with the reason. Inventory prices are in the currency their
    column or header names (`Ціна, USD`), else `[inventory] currency`, else the feed's base currency
    (rate 1), else the offer's.

    ## Why is this bad?
    A buyer who orders at the feed's price and is then asked for the shop's real price complains, and
    marketplaces count a price that differs from the one on the listing as a breach of their
    service-quality standards: it lowers the shop's rating or suspends the offer.

    ## Example
    ```text
    stock.csv:  sku;price          feed.xml:  <offer id="KT-1001"><price>1299</price>…
                KT-1001;1499
    ```

    Use instead:
    ```xml
    <offer id="KT-1001"><price>1499</price><currencyId>UAH</currencyId></offer>
    ```

    ## Options
    - `absolute` (default 0): a difference up to this many currency units is tolerated.
    - `percent` (default 0): a difference up to this percentage of the inventory price is tolerated.
    - `profiles`: per marketplace profile, its own `absolute` / `percent`, e.g.
      `[rules.IV001.profiles.rozetka] percent = 0`.

    A difference within either tolerance passes. `--price-tolerance 5` or `--price-tolerance 2%` sets
    them for one run.
    """
    if item is None or offer.price is None or item.price is None:
        return
    currencies = ctx.state.codes
    if offer.currency not in currencies:
        currencies[offer.currency] = offer_currency(offer, ctx.feed)
    if item.currency not in currencies:
        currencies[item.currency] = currency_code(item.currency) or base_currency(ctx.feed)
    feed_currency, stock_currency = currencies[offer.currency], currencies[item.currency]
    expected = item.price
    converted = ""
    if feed_currency and stock_currency and feed_currency != stock_currency:
        rate_from, rate_to = feed_rate(ctx.feed, stock_currency), feed_rate(ctx.feed, feed_currency)
        if rate_from is None or rate_to is None:
            refused = ctx.state.refused
            if (stock_currency, feed_currency) in refused:
                return
            refused.add((stock_currency, feed_currency))
            missing = " and ".join(c for c, r in ((stock_currency, rate_from), (feed_currency, rate_to)) if r is None)
            yield Problem(
                f"price not compared: the inventory is in {stock_currency}, the offer in {feed_currency}, and the "
                f"feed's <currencies> gives no numeric rate for {missing} (further offers with this pair are "
                "not reported)",
                field="price",
            )
            return
        expected = (item.price * rate_from / rate_to).quantize(CENT)
        converted = f"{_amount(item.price, stock_currency)} at the feed's rates; "
    currency = feed_currency or stock_currency
    if ctx.options.for_profile(ctx.profile).allows(offer.price, expected):
        return
    change = ""
    if expected:
        change = f" by {(offer.price - expected) * 100 / expected:+.1f}%"
    yield Problem(
        f"price {_amount(offer.price, currency)} differs from the inventory's {_amount(expected, currency)}{change} "
        f"({converted}{_where(item)})",
        field="price",
        expected=_amount(expected, currency),
        actual=_amount(offer.price, currency),
    )


@offer_inventory_rule(
    "IV002",
    "inventory-availability-drift",
    summary="The feed says in stock while the inventory has none",
    severity=Severity.ERROR,
    options=AvailabilityOptions,
    reads=("availability", "availability_text", "quantity"),
)
def inventory_availability_drift(
    offer: Offer, item: InventoryItem | None, ctx: RuleContext[AvailabilityOptions]
) -> Iterator[Problem]:
    """
    ## What it does
    Reports an offer the feed shows in stock (by its availability, or by a positive quantity when it
    states none) whose inventory row says otherwise: a quantity of 0, or a status such as «немає»,
    «нет в наличии», «під замовлення» or "out of stock".

    ## Why is this bad?
    An order for goods the shop does not have is cancelled, and cancellations are the first thing
    marketplaces measure: Prom, Rozetka and Epicentr lower the rating or switch the shop off for them.

    ## Example
    ```text
    stock.csv:  sku;qty;status     feed.xml:  <offer id="KT-1001" available="true">…
                KT-1001;0;Немає
    ```

    Use instead:
    ```xml
    <offer id="KT-1001" available="false">…</offer>
    ```

    ## Options
    - `both-ways` (default false): also report offers the feed shows out of stock while the inventory
      has them in stock (sales the shop is missing).
    """
    if item is None or item.availability is None:
        return
    stated = _stocked(offer)
    if stated is Availability.IN_STOCK and item.availability in NOT_IN_STOCK:
        field, detail = _availability_detail(offer, item)
        yield Problem(
            f"offer is in stock in the feed, but the inventory has it {item.availability.value.replace('_', ' ')} "
            f"({detail})",
            field=field,
            expected=item.availability.value,
            actual=stated.value,
        )
    elif ctx.options.both_ways and stated is Availability.OUT_OF_STOCK and item.availability is Availability.IN_STOCK:
        field, detail = _availability_detail(offer, item)
        yield Problem(
            f"offer is out of stock in the feed, but the inventory has it in stock ({detail})",
            field=field,
            expected=item.availability.value,
            actual=stated.value,
        )


@offer_inventory_rule(
    "IV003",
    "inventory-quantity-drift",
    summary="The feed's quantity differs from the inventory's beyond the tolerance",
    severity=Severity.WARNING,
    options=DriftOptions,
    reads=("quantity",),
)
def inventory_quantity_drift(
    offer: Offer, item: InventoryItem | None, ctx: RuleContext[DriftOptions]
) -> Iterator[Problem]:
    """
    ## What it does
    Compares the quantity an offer states (`quantity_in_stock`, `stock_quantity`, `count`…) with the
    quantity of its inventory row and reports a difference beyond the tolerance. Offers or rows
    without a quantity are not compared.

    ## Why is this bad?
    Marketplaces sell down the stated quantity: a feed that promises more than the warehouse holds
    takes orders that will be cancelled, and one that promises fewer hides goods from buyers.

    ## Example
    ```text
    stock.csv:  sku;qty           feed.xml:  <offer id="KT-1001">…<quantity_in_stock>12</quantity_in_stock>
                KT-1001;3
    ```

    Use instead:
    ```xml
    <offer id="KT-1001">…<quantity_in_stock>3</quantity_in_stock></offer>
    ```

    ## Options
    - `absolute` (default 0): a difference up to this many pieces is tolerated.
    - `percent` (default 0): a difference up to this percentage of the inventory quantity is tolerated.
    - `profiles`: per marketplace profile, its own `absolute` / `percent`.
    """
    if item is None or offer.quantity is None or item.quantity is None:
        return
    if ctx.options.for_profile(ctx.profile).allows(Decimal(offer.quantity), Decimal(item.quantity)):
        return
    yield Problem(
        f"quantity {offer.quantity} differs from the inventory's {item.quantity} ({_where(item)})",
        field="quantity",
        expected=str(item.quantity),
        actual=str(offer.quantity),
    )


@offer_inventory_rule(
    "IV004",
    "offer-not-in-inventory",
    summary="An offer has no row in the inventory",
    severity=Severity.WARNING,
    reads=("offer_id", "vendor_code", "barcode"),
)
def offer_not_in_inventory(offer: Offer, item: InventoryItem | None, ctx: RuleContext[NoOptions]) -> Iterator[Problem]:
    """
    ## What it does
    Reports an offer whose id (or vendor code, or barcode, as `--match-on` says) is not a key of the
    inventory, and, when matching on vendor code or barcode, an offer that has none. Offers without an
    id are left to ID001.

    ## Why is this bad?
    An offer the shop's own stock does not know is either a product the shop no longer sells, which
    buyers will order and have cancelled, or a key spelt differently in the feed and the inventory,
    which hides every other drift for that product.

    ## Example
    ```text
    stock.csv:  sku;price          feed.xml:  <offer id="KT1001">…   (inventory: KT-1001)
                KT-1001;1499
    ```

    Use instead:
    ```xml
    <offer id="KT-1001">…</offer>
    ```
    """
    if item is not None:
        return
    inventory = ctx.inventory
    match_on = inventory.match_on if inventory is not None else "id"
    field, label = MATCH_FIELDS[match_on]
    key = inventory.key_of(offer) if inventory is not None else offer.offer_id
    if key is None:
        if match_on != "id":
            yield Problem(f"offer has no {label} to match with the inventory", field=field)
        return
    source = inventory.source if inventory is not None else "the inventory"
    yield Problem(f"{label} {key!r} has no row in {source}", field=field, value=key)


@inventory_rule(
    "IV005",
    "in-stock-item-missing-from-feed",
    summary="An item in stock in the inventory has no offer in the feed",
    severity=Severity.WARNING,
)
def in_stock_item_missing_from_feed(feed: FeedInfo, ctx: RuleContext[NoOptions]) -> Iterator[Problem]:
    """
    ## What it does
    After the last offer of a feed, reports every inventory row in stock (a positive quantity, or a
    status such as «в наявності») that no offer of the feed matched. A feed without a single offer is
    left to the FD rules.

    ## Why is this bad?
    Goods on the shelf that the feed leaves out are goods no marketplace buyer can find: an export
    filter, a missing category or a renamed key silently takes them off sale.

    ## Example
    ```text
    stock.csv:  sku;qty            feed.xml:  (no offer with id KT-1003)
                KT-1003;7
    ```

    Use instead:
    ```xml
    <offer id="KT-1003" available="true">…<quantity_in_stock>7</quantity_in_stock></offer>
    ```
    """
    inventory = ctx.inventory
    if inventory is None or feed.offers == 0:
        return
    _, label = MATCH_FIELDS[inventory.match_on]
    for item in inventory.missing(ctx.matched):
        if item.availability is not Availability.IN_STOCK:
            continue
        amount = f"quantity {item.quantity}" if item.quantity is not None else repr(item.availability_text or "")
        yield Problem(
            f"inventory item {item.key!r} is in stock ({amount}, {_where(item)}) but the feed has no offer with "
            f"that {label.removeprefix('offer ')}",
            offer_id=item.key,
            field="inventory",
            expected="in the feed",
            actual="absent",
        )


@inventory_rule(
    "IV006",
    "duplicate-inventory-key",
    summary="Two inventory rows share a key",
    severity=Severity.WARNING,
)
def duplicate_inventory_key(feed: FeedInfo, ctx: RuleContext[NoOptions]) -> Iterator[Problem]:
    """
    ## What it does
    Reports an inventory key that more than one row holds, with every row. Offers are compared with
    the first of them, never silently with the last.

    ## Why is this bad?
    Two rows for one product usually mean two warehouses or two price lists merged by mistake; which
    one is the truth is the shop's call, and every comparison for that product depends on it.

    ## Example
    ```text
    sku;price;qty
    KT-1001;1499;3
    KT-1001;1299;0
    ```

    Use instead:
    ```text
    sku;price;qty
    KT-1001;1499;3
    ```
    """
    inventory = ctx.inventory
    if inventory is None:
        return
    for key, rows in inventory.duplicates.items():
        listed = ", ".join(str(row) for row in rows)
        yield Problem(
            f"inventory key {key!r} is on rows {listed} of {inventory.source}; row {rows[0]} is used",
            offer_id=key,
            field="inventory",
        )


@inventory_rule(
    "IV007",
    "invalid-inventory-value",
    summary="An inventory cell is not a usable price or quantity",
    severity=Severity.WARNING,
)
def invalid_inventory_value(feed: FeedInfo, ctx: RuleContext[NoOptions]) -> Iterator[Problem]:
    """
    ## What it does
    Reports inventory cells that cannot be compared: a price that is not a number («договірна»,
    "call"), a negative price or quantity, a quantity that is not a whole number, and rows with values
    but no key. Such a row is still matched; only the unusable value is left out of the comparison.

    ## Why is this bad?
    Drift can only be found where the truth is known. A placeholder in the inventory usually leaks
    into the feed as well, and a negative stock level means sales outran the books.

    ## Example
    ```text
    sku;price;qty
    KT-1001;договірна;-2
    ```

    Use instead:
    ```text
    sku;price;qty
    KT-1001;1499;0
    ```
    """
    inventory = ctx.inventory
    if inventory is None:
        return
    for issue in inventory.issues:
        column = f", column {issue.column!r}" if issue.column else ""
        value = "" if issue.value is None else f" ({issue.value!r})"
        yield Problem(
            f"{inventory.source} row {issue.row}{column}: {issue.message}{value}",
            offer_id=issue.key,
            field=f"inventory.{issue.role}" if issue.key is not None else f"inventory.row{issue.row}",
            value=issue.value,
        )
    hidden = inventory.issue_count - len(inventory.issues)
    if hidden > 0:
        yield Problem(f"{inventory.source}: {hidden:,} more unusable values not listed", field="inventory")
