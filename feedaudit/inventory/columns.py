"""Which column holds what: header auto-detection (uk/ru/en) and the explicit column map.

A header is normalised (case, `ё`, punctuation, a trailing unit such as `, грн` or `(шт.)`) and looked
up in a small vocabulary per role. The key column depends on what offers are matched on: offer ids
(`id`, `Код`, falling back to `Артикул`/`SKU`), vendor codes (`Артикул`, `SKU`) or barcodes
(`Штрихкод`, `EAN`, `GTIN`). A unit that names a currency (`Ціна, USD`) is kept as the prices' currency.
Columns that cannot be mapped give an `InventoryError` that lists the headers found.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from feedaudit.errors import InventoryError
from feedaudit.feeds.prices import currency_code
from feedaudit.inventory.settings import MatchOn

__all__ = ["currency_code"]

_ID = (
    "id",
    "offer id",
    "offerid",
    "product id",
    "productid",
    "item id",
    "itemid",
    "код",
    "код товару",
    "код товара",
    "ідентифікатор",
    "идентификатор",
    "external id",
    "externalid",
)
_VENDOR_CODE = (
    "sku",
    "артикул",
    "артикул товару",
    "артикул товара",
    "vendorcode",
    "vendor code",
    "article",
    "арт",
    "part number",
    "partnumber",
    "mpn",
    "код виробника",
    "код производителя",
)
_BARCODE = ("barcode", "штрихкод", "штрих код", "штрих-код", "ean", "ean13", "ean-13", "gtin", "upc", "баркод")
_PRICE = (
    "price",
    "ціна",
    "цена",
    "роздрібна ціна",
    "розничная цена",
    "ціна роздрібна",
    "цена розничная",
    "retail price",
    "вартість",
    "стоимость",
    "ціна продажу",
    "цена продажи",
    "sale price",
)
_QUANTITY = (
    "qty",
    "quantity",
    "кількість",
    "количество",
    "к-сть",
    "кол-во",
    "остаток",
    "залишок",
    "залишки",
    "остатки",
    "stock",
    "stock quantity",
    "quantity in stock",
    "count",
    "в наявності шт",
    "на складі",
    "на складе",
    "inventory",
)
_AVAILABILITY = (
    "status",
    "статус",
    "наявність",
    "наличие",
    "availability",
    "available",
    "stock status",
    "в наявності",
    "в наличии",
)
_CURRENCY = ("currency", "валюта", "currencyid", "currency id", "currency code")

KEY_VOCABULARY: dict[MatchOn, tuple[tuple[str, ...], ...]] = {
    "id": (_ID, _VENDOR_CODE),
    "vendor-code": (_VENDOR_CODE,),
    "barcode": (_BARCODE,),
}
VALUE_VOCABULARY = {
    "price": _PRICE,
    "quantity": _QUANTITY,
    "availability": _AVAILABILITY,
    "currency": _CURRENCY,
}

_UNIT = re.compile(r"\s*(?:,\s*([^,()]*)|\(([^()]*)\))\s*$")
_PUNCTUATION = re.compile(r"[\s_.:№#*]+")


def normalise_header(header: str) -> str:
    """`' Ціна, грн '` → `'ціна'`; `'Stock_Quantity'` → `'stock quantity'`."""
    text = header.replace("\ufeff", "").strip().casefold().replace("ё", "е")
    text = _UNIT.sub("", text)
    return _PUNCTUATION.sub(" ", text).strip()


def header_unit(header: str) -> str | None:
    """The unit written after a header (`'Ціна, грн'` → `'грн'`, `'Price (USD)'` → `'usd'`)."""
    match = _UNIT.search(header.strip())
    if not match:
        return None
    return (match.group(1) or match.group(2) or "").strip().casefold() or None


@dataclass(frozen=True, slots=True)
class ColumnMap:
    """Role → position in the header, plus the prices' currency when a header's unit names one."""

    headers: tuple[str, ...]
    key: int
    price: int | None = None
    quantity: int | None = None
    availability: int | None = None
    currency: int | None = None
    price_currency: str | None = None

    def name(self, role: str) -> str | None:
        index = getattr(self, role)
        return None if index is None else self.headers[index]


def map_columns(headers: Sequence[str], explicit: Mapping[str, str], match_on: MatchOn, source: str) -> ColumnMap:
    """Map roles to columns: explicit names first, then the vocabulary; raise with the headers found."""
    headers = tuple("" if h is None else str(h) for h in headers)
    found = ", ".join(repr(h) for h in headers if h.strip()) or "none"
    normalised = [normalise_header(h) for h in headers]
    taken: set[int] = set()
    positions: dict[str, int] = {}
    for role, wanted in explicit.items():
        index = _find_explicit(headers, normalised, wanted)
        if index is None:
            raise InventoryError(f"{source}: no column {wanted!r} for {role} (headers found: {found})")
        positions[role] = index
        taken.add(index)
    if "key" not in positions:
        for vocabulary in KEY_VOCABULARY[match_on]:
            index = _find(normalised, vocabulary, taken)
            if index is not None:
                positions["key"] = index
                taken.add(index)
                break
        else:
            hint = {"id": "offer id", "vendor-code": "vendor code", "barcode": "barcode"}[match_on]
            raise InventoryError(
                f"{source}: no {hint} column to match offers on (headers found: {found}); "
                "name it with --inventory-map key=HEADER"
            )
    for role, vocabulary in VALUE_VOCABULARY.items():
        if role in positions:
            continue
        index = _find(normalised, vocabulary, taken)
        if index is not None:
            positions[role] = index
            taken.add(index)
    if not {"price", "quantity", "availability"} & set(positions):
        raise InventoryError(
            f"{source}: no price, quantity or availability column to compare (headers found: {found}); "
            "name them with --inventory-map price=HEADER,quantity=HEADER"
        )
    price_currency = None
    if "price" in positions:
        price_currency = currency_code(header_unit(headers[positions["price"]]))
    return ColumnMap(headers=headers, price_currency=price_currency, **positions)


def _find_explicit(headers: Sequence[str], normalised: Sequence[str], wanted: str) -> int | None:
    for index, header in enumerate(headers):
        if header.strip() == wanted:
            return index
    target = wanted.strip().casefold()
    for index, header in enumerate(headers):
        if header.strip().casefold() == target:
            return index
    target = normalise_header(wanted)
    for index, name in enumerate(normalised):
        if name == target:
            return index
    return None


def _find(normalised: Sequence[str], vocabulary: tuple[str, ...], taken: set[int]) -> int | None:
    """The first header in vocabulary order (earlier words are stronger), not already taken."""
    for word in vocabulary:
        for index, name in enumerate(normalised):
            if index not in taken and name == word:
                return index
    return None
