"""The loaded inventory: a compact keyed lookup that offers are matched against.

One dict maps each key to a dense row index; the values live in typed arrays beside it (prices in
ten-thousandths, quantities, an interned currency and status per row, the source row number), so a
million rows cost little more than their keys. `match(offer)` implements the engine's
`InventoryLookup` and remembers which rows the current feed has matched, so the inventory can name
the stocked items a feed leaves out. Duplicate keys are kept aside and reported (the first row wins,
as marketplaces do with duplicate offers); cells that are not numbers, or negative, become issues.
"""

from __future__ import annotations

import enum
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from feedaudit.errors import InventoryError
from feedaudit.inventory.cells import (
    MISSING,
    cell_text,
    price_units,
    status_of,
    units_to_decimal,
    whole_number,
)
from feedaudit.inventory.columns import ColumnMap, currency_code
from feedaudit.inventory.settings import MatchOn
from feedaudit.model import Availability, InventoryItem, Offer

ISSUE_LIMIT = 1000  # invalid cells kept for reporting; the rest are only counted
_STOCKED = (Availability.IN_STOCK,)


class IssueKind(enum.StrEnum):
    NOT_A_NUMBER = "not-a-number"
    NEGATIVE = "negative"
    MISSING_KEY = "missing-key"


@dataclass(frozen=True, slots=True)
class InventoryIssue:
    """One cell (or row) of the inventory that could not be used."""

    kind: IssueKind
    row: int
    role: str  # key, price, quantity
    column: str | None  # the header of that column
    value: str | None
    message: str
    key: str | None = None


def normalise_key(value: str | None, match_on: MatchOn) -> str | None:
    """The form keys are compared in: trimmed; barcodes as digits without leading zeros (EAN-13 = UPC-A)."""
    if value is None:
        return None
    key = value.strip()
    if match_on == "barcode":
        digits = "".join(ch for ch in key if ch.isdigit())
        key = digits.lstrip("0") or digits
    return key or None


class Inventory:
    """The shop's stock and prices, keyed the way offers are matched (see the module docstring)."""

    def __init__(self, source: str, match_on: MatchOn = "id", columns: ColumnMap | None = None) -> None:
        self.source = source
        self.match_on: MatchOn = match_on
        self.columns = columns
        self._index: dict[str, int] = {}
        self._row = array("q")
        self._price = array("q")
        self._quantity = array("q")
        self._currency = bytearray()
        self._currencies: list[str | None] = [None]
        self._status = array("I")
        self._statuses: list[tuple[str | None, Availability | None]] = [(None, None)]
        self._seen = bytearray()
        self._seen_source: str | None = None
        self.duplicates: dict[str, list[int]] = {}
        self.issues: list[InventoryIssue] = []
        self.issue_count = 0

    # -- the lookup -------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._index)

    def key_of(self, offer: Offer) -> str | None:
        """The offer's value of the matched field, normalised like the inventory's keys."""
        if self.match_on == "id":
            raw = offer.offer_id
        elif self.match_on == "vendor-code":
            raw = offer.vendor_code
        else:
            raw = offer.barcode
        return normalise_key(raw, self.match_on)

    def match(self, offer: Offer) -> InventoryItem | None:
        if offer.source != self._seen_source:
            self._seen_source = offer.source
            self._seen = bytearray(len(self._index))
        key = self.key_of(offer)
        if key is None:
            return None
        index = self._index.get(key)
        if index is None:
            return None
        self._seen[index] = 1
        return self._item(key, index)

    def get(self, key: str) -> InventoryItem | None:
        """The row for a key (normalised as `match_on` says), without marking it seen."""
        normalised = normalise_key(key, self.match_on)
        index = None if normalised is None else self._index.get(normalised)
        return None if index is None or normalised is None else self._item(normalised, index)

    def __iter__(self) -> Iterator[InventoryItem]:
        for key, index in self._index.items():
            yield self._item(key, index)

    def missing_from(self, source: str) -> Iterator[InventoryItem]:
        """Rows that the feed `source` did not match, in inventory order."""
        seen = self._seen if source == self._seen_source else bytearray(len(self._index))
        for key, index in self._index.items():
            if not seen[index]:
                yield self._item(key, index)

    def _item(self, key: str, index: int) -> InventoryItem:
        units = self._price[index]
        quantity: int | None = self._quantity[index]
        if quantity == MISSING:
            quantity = None
        price = None if units == MISSING else units_to_decimal(units)
        status_text, availability = self._statuses[self._status[index]]
        if (availability is None or availability is Availability.UNKNOWN) and quantity is not None:
            availability = Availability.IN_STOCK if quantity > 0 else Availability.OUT_OF_STOCK
        return InventoryItem(
            key=key,
            price=price,
            price_text=None if price is None else str(price),
            currency=self._currencies[self._currency[index]],
            quantity=quantity,
            quantity_text=None if quantity is None else str(quantity),
            availability=availability,
            availability_text=status_text,
            source=self.source,
            row=self._row[index],
        )

    # -- loading ----------------------------------------------------------------------------------

    def load(self, rows: Iterable[Sequence[Any]], first_row: int, default_currency: str | None = None) -> None:
        """Add data rows (cells in header order); `first_row` is the number of the first one."""
        columns = self.columns
        if columns is None:
            raise InventoryError(f"{self.source}: no column map")
        key_at = columns.key
        price_at = columns.price
        quantity_at = columns.quantity
        status_at = columns.availability
        currency_at = columns.currency
        width = 1 + max(i for i in (key_at, price_at, quantity_at, status_at, currency_at) if i is not None)
        fallback = currency_code(default_currency) or columns.price_currency
        default_currency_index = self._intern_currency(fallback)
        barcode = self.match_on == "barcode"

        index_of = self._index
        row_numbers, prices, quantities = self._row, self._price, self._quantity
        currencies, statuses = self._currency, self._status
        status_codes: dict[str, int] = {"": 0}
        currency_codes: dict[str, int] = {"": default_currency_index}
        duplicates = self.duplicates
        number = first_row - 1
        for cells in rows:
            number += 1
            row = cells
            if len(row) < width:
                if not any(cell_text(cell).strip() for cell in row):
                    continue  # a blank line
                row = [*row, *([""] * (width - len(row)))]
            key = row[key_at]
            if key.__class__ is not str:
                key = cell_text(key)
            key = (normalise_key(key, "barcode") or "") if barcode else key.strip()
            if not key:
                if any(cell_text(cell).strip() for cell in row):
                    self._issue(IssueKind.MISSING_KEY, number, "key", None, "row has no key")
                continue
            if key in index_of:
                rows_of_key = duplicates.get(key)
                if rows_of_key is None:
                    duplicates[key] = [row_numbers[index_of[key]], number]
                else:
                    rows_of_key.append(number)
                continue
            index_of[key] = len(row_numbers)
            row_numbers.append(number)

            units = MISSING
            if price_at is not None:
                text = row[price_at]
                if text.__class__ is not str:
                    text = cell_text(text)
                text = text.strip()
                if text:
                    value = price_units(text)
                    if value is None:
                        self._issue(IssueKind.NOT_A_NUMBER, number, "price", text, "price is not a number", key)
                    elif value < 0:
                        self._issue(IssueKind.NEGATIVE, number, "price", text, "price is negative", key)
                    else:
                        units = value
            prices.append(units)

            count = MISSING
            if quantity_at is not None:
                text = row[quantity_at]
                if text.__class__ is not str:
                    text = cell_text(text)
                text = text.strip()
                if text:
                    whole = whole_number(text)
                    if whole is None:
                        self._issue(
                            IssueKind.NOT_A_NUMBER, number, "quantity", text,
                            "quantity is not a whole number", key,
                        )  # fmt: skip
                    elif whole < 0:
                        self._issue(IssueKind.NEGATIVE, number, "quantity", text, "quantity is negative", key)
                    else:
                        count = whole
            quantities.append(count)

            code = 0
            if status_at is not None:
                text = row[status_at]
                if text.__class__ is not str:
                    text = cell_text(text)
                code_or_none = status_codes.get(text)
                if code_or_none is None:
                    code_or_none = status_codes[text] = self._intern_status(text)
                code = code_or_none
            statuses.append(code)

            currency_index = default_currency_index
            if currency_at is not None:
                text = row[currency_at]
                if text.__class__ is not str:
                    text = cell_text(text)
                known = currency_codes.get(text)
                if known is None:
                    named = currency_code(text)
                    known = currency_codes[text] = self._intern_currency(named) if named else default_currency_index
                currency_index = known
            currencies.append(currency_index)

    def finish(self) -> Inventory:
        """Check the load gave rows at all; ready the seen-tracking."""
        if not self._index:
            raise InventoryError(f"{self.source}: the inventory has a header but no rows with a key")
        self._seen = bytearray(len(self._index))
        return self

    def _intern_status(self, text: str) -> int:
        stripped = text.strip()
        self._statuses.append((stripped or None, status_of(stripped)))
        return len(self._statuses) - 1

    def _intern_currency(self, code: str | None) -> int:
        if code in self._currencies:
            return self._currencies.index(code)
        if len(self._currencies) >= 255:
            raise InventoryError(f"{self.source}: more than 254 different currencies in the currency column")
        self._currencies.append(code)
        return len(self._currencies) - 1

    def _issue(
        self, kind: IssueKind, row: int, role: str, value: str | None, message: str, key: str | None = None
    ) -> None:
        self.issue_count += 1
        if len(self.issues) < ISSUE_LIMIT:
            column = self.columns.name(role) if self.columns is not None else None
            self.issues.append(InventoryIssue(kind, row, role, column, value, message, key))
