"""What every inventory reader hands over: a header and an iterator of rows in header order."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from feedaudit.errors import InventoryError
from feedaudit.inventory.cells import cell_text


@dataclass(slots=True)
class Table:
    """`headers`, then `rows` (cells in header order; short rows allowed); `first_row` numbers the first row."""

    headers: list[str]
    rows: Iterable[Sequence[Any]]
    first_row: int
    text: bool = False  # every cell is already a str (CSV); otherwise cells are typed values


def split_header(rows: Iterable[Sequence[Any]], source: str) -> Table:
    """The first non-blank row is the header; the rest are data, numbered from the row after it."""
    iterator: Iterator[Sequence[Any]] = iter(rows)
    for number, row in enumerate(iterator, start=1):
        headers = [cell_text(cell).strip() for cell in row]
        if any(headers):
            return Table(headers=headers, rows=iterator, first_row=number + 1)
    raise InventoryError(f"{source}: the inventory is empty")
