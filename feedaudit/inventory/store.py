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
from collections.abc import Callable, Iterable, Iterator, Sequence, Set
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from feedaudit.errors import InventoryError
from feedaudit.inventory.cells import (
    MISSING,
    SCALE,
    cell_text,
    price_units,
    status_of,
    units_to_decimal,
    whole_number,
)
from feedaudit.inventory.columns import ColumnMap, currency_code
from feedaudit.inventory.settings import MatchOn
from feedaudit.model import Availability, InventoryItem, Offer

_NO_STATUS: tuple[str | None, Availability | None] = (None, None)
ISSUE_LIMIT = 1000  # invalid cells kept for reporting; the rest are only counted


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


def _new_item(
    key: str,
    price: Decimal | None,
    currency: str | None,
    quantity: int | None,
    availability: Availability | None,
    availability_text: str | None,
    source: str,
    row: int,
) -> InventoryItem:
    """`InventoryItem(...)` with these fields (raw cell texts are not kept: memory), built fast: the
    join builds one per matched offer, and `tuple.__new__` skips the keyword handling of `__new__`."""
    return _make_item(
        InventoryItem, (key, price, None, currency, quantity, None, availability, availability_text, source, row)
    )


_make_item = tuple.__new__


def normalise_key(value: str | None, match_on: MatchOn) -> str | None:
    """The form keys are compared in: trimmed; barcodes as digits without leading zeros (EAN-13 = UPC-A)."""
    if value is None:
        return None
    key = value.strip()
    if match_on == "barcode":
        digits = "".join(ch for ch in key if ch.isdecimal())
        key = digits.lstrip("0") or digits
    return key or None


class Inventory:
    """The shop's stock and prices, keyed the way offers are matched (see the module docstring)."""

    def __init__(self, source: str, match_on: MatchOn = "id", columns: ColumnMap | None = None) -> None:
        self.source = source
        self.match_on: MatchOn = match_on
        self.columns = columns
        self._index: dict[str, int] = {}
        self._row = array("I")  # source row numbers
        self._price = array("q")
        self._quantity = array("q")
        self._currency = bytearray()  # stays empty without a currency column
        self._currencies: list[str | None] = [None]
        self._default_currency = 0
        self._status_codes: dict[str, int] = {}  # cell text -> index in _statuses, while loading
        self._currency_codes: dict[str, int] = {}  # cell text -> index in _currencies, while loading
        self._status = array("I")  # stays empty without an availability column
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
        if self.match_on == "id":  # the common case, inline
            key = offer.offer_id
            if key is None:
                return None
            index = self._index.get(key)
            if index is None:
                key = key.strip()
                index = self._index.get(key)
        else:
            key = self.key_of(offer)
            index = None if key is None else self._index.get(key)
        if index is None or key is None:
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

    def missing(self, matched: Set[str]) -> Iterator[InventoryItem]:
        """Rows whose key is not in `matched` (the keys a feed's offers matched), in inventory order."""
        for key, index in self._index.items():
            if key not in matched:
                yield self._item(key, index)

    def _item(self, key: str, index: int) -> InventoryItem:
        units = self._price[index]
        quantity: int | None = self._quantity[index]
        if quantity == MISSING:
            quantity = None
        if units == MISSING:
            price = None
        else:
            whole, rest = divmod(units, SCALE)
            price = Decimal(whole) if rest == 0 else units_to_decimal(units)
        status_text, availability = self._statuses[self._status[index]] if self._status else _NO_STATUS
        if (availability is None or availability is Availability.UNKNOWN) and quantity is not None:
            availability = Availability.IN_STOCK if quantity > 0 else Availability.OUT_OF_STOCK
        currency = self._currencies[self._currency[index] if self._currency else self._default_currency]
        return _new_item(key, price, currency, quantity, availability, status_text, self.source, self._row[index])

    # -- loading ----------------------------------------------------------------------------------

    def load(
        self, rows: Iterable[Sequence[Any]], first_row: int, default_currency: str | None = None, *, text: bool = True
    ) -> None:
        """Add data rows (cells in header order); `first_row` is the number of the first one.

        `text=True` says every cell is already a `str` (CSV); typed cells (XLSX, JSON, SQL) are turned
        into text first. The row loop is written for speed: it runs once per row of a million-row file
        (a column-by-column variant over chunks of rows measured slower, as did a generator per row).
        """
        columns = self.columns
        if columns is None:
            raise InventoryError(f"{self.source}: no column map")
        if not text:
            rows = ([cell_text(cell) for cell in row] for row in rows)
        self._default_currency = self._intern_currency(currency_code(default_currency) or columns.price_currency)
        self._status_codes = {"": 0}
        self._currency_codes = {"": self._default_currency}
        self._load_rows(rows, first_row)

    def _currency_index(self, cell: str) -> int:
        named = currency_code(cell)
        return self._intern_currency(named) if named else self._default_currency

    def _load_rows(self, rows: Iterable[Sequence[str]], first_row: int) -> None:
        columns = self.columns
        assert columns is not None
        key_at, price_at, quantity_at = columns.key, columns.price, columns.quantity
        status_at, currency_at = columns.availability, columns.currency
        width = 1 + max(i for i in (key_at, price_at, quantity_at, status_at, currency_at) if i is not None)
        barcode = self.match_on == "barcode"
        index_of, duplicates = self._index, self.duplicates
        add_row, add_price, add_quantity = self._row.append, self._price.append, self._quantity.append
        add_status = self._status.append if status_at is not None else None
        add_currency = self._currency.append if currency_at is not None else None
        status_codes, currency_codes = self._status_codes, self._currency_codes
        issue, parsed = self._issue, self._parsed
        scale, missing = SCALE, MISSING
        count = len(index_of)
        for number, row in enumerate(rows, start=first_row):
            if len(row) < width:
                if not any(cell.strip() for cell in row):
                    continue  # a blank line
                row = [*row, *([""] * (width - len(row)))]  # noqa: PLW2901 (a short row, padded)
            key = row[key_at]
            key = (normalise_key(key, "barcode") or "") if barcode else key.strip()
            if not key:
                if any(cell.strip() for cell in row):
                    issue(IssueKind.MISSING_KEY, number, "key", None, "row has no key")
                continue
            index = index_of.setdefault(key, count)
            if index != count:
                rows_of_key = duplicates.get(key)
                if rows_of_key is None:
                    duplicates[key] = [self._row[index], number]
                else:
                    rows_of_key.append(number)
                continue
            count += 1
            add_row(number)

            if price_at is None:
                add_price(missing)
            else:
                cell = row[price_at]
                if cell.isdecimal():
                    add_price(int(cell) * scale)
                else:
                    add_price(parsed(cell, price_units, "price", "is not a number", number, key))

            if quantity_at is None:
                add_quantity(missing)
            else:
                cell = row[quantity_at]
                if cell.isdecimal():
                    add_quantity(int(cell))
                else:
                    add_quantity(parsed(cell, whole_number, "quantity", "is not a whole number", number, key))

            if add_status is not None:
                cell = row[status_at]  # type: ignore[index]
                code = status_codes.get(cell)
                if code is None:
                    code = status_codes[cell] = self._intern_status(cell)
                add_status(code)

            if add_currency is not None:
                cell = row[currency_at]  # type: ignore[index]
                known = currency_codes.get(cell)
                if known is None:
                    known = currency_codes[cell] = self._currency_index(cell)
                add_currency(known)

    def _parsed(self, cell: str, parse: Callable[[str], int | None], role: str, fault: str, row: int, key: str) -> int:
        """A price or quantity cell off the fast path: its value, or MISSING with the reason recorded."""
        cell = cell.strip()
        if not cell:
            return MISSING
        value = parse(cell)
        if value is None:
            self._issue(IssueKind.NOT_A_NUMBER, row, role, cell, f"{role} {fault}", key)
            return MISSING
        if value < 0:
            self._issue(IssueKind.NEGATIVE, row, role, cell, f"{role} is negative", key)
            return MISSING
        return value

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
