"""The `[inventory]` configuration section: where the shop's stock comes from and how to read it.

    [inventory]
    source = "stock.csv"            # CSV/TSV/XLSX/JSON/JSON Lines file, or sqlite:///… / postgresql://…
    match-on = "vendor-code"        # id (default) | vendor-code | barcode
    columns = { key = "Артикул", price = "Ціна, грн" }   # explicit column map; the rest is detected
    table = "stock"                 # SQL: a table (or schema.table) …
    query = "SELECT sku, price FROM stock WHERE active"  # … or a query
    sheet = "Залишки"               # XLSX: the worksheet (default: the first)
    currency = "UAH"                # currency of inventory prices when no column or header says

Tolerances belong to the rules that use them (`[rules.IV001]`, `[rules.IV003]`).
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from feedaudit.section import Section

MatchOn = Literal["id", "vendor-code", "barcode"]
ROLES = ("key", "price", "quantity", "availability", "currency")
ROLE_ALIASES = {
    "qty": "quantity",
    "stock": "quantity",
    "status": "availability",
    "available": "availability",
}


_MAP_SEPARATOR = re.compile(r",(?=\s*[A-Za-z_-]+\s*=)")  # a comma inside a header ("Ціна, грн") stays


class InventorySettings(Section):
    """Where the inventory is and how its columns map to feedaudit's fields."""

    source: str | None = Field(
        default=None, description="Inventory file (CSV, TSV, XLSX, JSON, JSON Lines) or SQLAlchemy URL."
    )
    match_on: MatchOn = Field(default="id", description="Offer field matched against the key column.")
    columns: dict[str, str] = Field(
        default_factory=dict,
        description="Column map: key, price, quantity, availability, currency -> header; the rest is detected.",
    )
    table: str | None = Field(default=None, description="SQL source: the table (or schema.table) to read.")
    query: str | None = Field(default=None, description="SQL source: the query to run instead of a table.")
    sheet: str | None = Field(default=None, description="XLSX source: the worksheet (default: the first).")
    delimiter: str | None = Field(default=None, description="CSV source: the delimiter (default: detected).")
    encoding: str | None = Field(default=None, description="CSV source: the encoding (default: detected).")
    currency: str | None = Field(
        default=None, description="Currency of inventory prices when no column or header names one."
    )

    @field_validator("columns")
    @classmethod
    def _known_roles(cls, value: dict[str, str]) -> dict[str, str]:
        return parse_column_map(value)

    @field_validator("delimiter")
    @classmethod
    def _one_character(cls, value: str | None) -> str | None:
        if value is None:
            return None
        named = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
        value = named.get(value.casefold(), value)
        if len(value) != 1:
            raise ValueError("a delimiter is one character (or tab, comma, semicolon, pipe)")
        return value


def parse_column_map(value: dict[str, str] | str) -> dict[str, str]:
    """`"key=sku,price=Ціна"` or a mapping → {role: header}, with role aliases resolved."""
    if isinstance(value, str):
        pairs: dict[str, str] = {}
        for part in _MAP_SEPARATOR.split(value):
            if not part.strip():
                continue
            role, sep, header = part.partition("=")
            if not sep or not header.strip():
                raise ValueError(f"{part.strip()!r} is not ROLE=HEADER (roles: {', '.join(ROLES)})")
            pairs[role] = header
        value = pairs
    result: dict[str, str] = {}
    for role, header in value.items():
        name = role.strip().casefold().replace("_", "-")
        name = ROLE_ALIASES.get(name, name)
        if name not in ROLES:
            raise ValueError(f"unknown column role {role!r} (roles: {', '.join(ROLES)})")
        result[name] = header.strip()
    return result


def with_overrides(section: InventorySettings, **changes: object) -> InventorySettings | None:
    """`section` with the given (non-None) keys replaced, or None when nothing changes (command line)."""
    updates = {key: value for key, value in changes.items() if value is not None}
    if not updates:
        return None
    return InventorySettings.model_validate(section.model_dump() | updates)


def parse_tolerance(text: str) -> dict[str, str]:
    """`'5'` → {absolute: 5}, `'2%'` → {percent: 2}, `'5,2%'` → both (the IV001 options)."""
    options: dict[str, str] = {}
    for part in text.replace(";", ",").split(","):
        value = part.strip().replace(" ", "")
        if not value:
            continue
        key = "percent" if value.endswith("%") else "absolute"
        number = value.rstrip("%").replace(",", ".")
        try:
            float(number)
        except ValueError:
            raise ValueError(f"{part.strip()!r} is not an amount (5) or a percentage (2%)") from None
        options[key] = number
    if not options:
        raise ValueError("give an amount (5), a percentage (2%) or both (5,2%)")
    return options
