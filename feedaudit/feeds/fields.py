"""Field tables: which child element of a record spells which canonical offer field.

Each reader keeps its dialect's spellings as data: a `TextField` names the canonical field (the
`Offer` attribute and the key of `Offer.lines`) and the child elements that spell it, in the order they
are tried. Fields whose text goes to the offer as it stands (`description`, `vendor`, `barcode`, …) are listed
in a reader's plain table and read by `plain_fields`; fields that need interpreting (price, stock,
condition, warranty, delivery) are read by `take` and handed to `feedaudit.feeds.stated`, which all
readers share. A new spelling is a new tag in a table, not new code.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypedDict, cast

from lxml import etree

Children = dict[str, etree._Element]  # an offer's child elements by local name, the first of each name


class PlainFields(TypedDict, total=False):
    """The `Offer` fields a plain table may fill: text the offer carries as the feed writes it.

    The fields some dialect interprets (`url` from Google's `link` or its `href`, the name built from
    parts, the category id resolved through the shop's tree) are not among them.
    """

    description: str | None
    vendor: str | None
    vendor_code: str | None
    barcode: str | None


@dataclass(frozen=True, slots=True)
class TextField:
    """One canonical field a dialect spells as the text of a child element."""

    field: str  # the canonical field: the `Offer` attribute and the key of `Offer.lines`
    tags: tuple[str, ...]  # the child elements that spell it, tried in this order
    # False: the first element present wins, even empty. True: an empty element gives way to the
    # next spelling (the text of the last one tried is kept, as `a or b or c` would).
    skip_empty: bool = False


def element_text(child: etree._Element | None, field: str, lines: dict[str, int]) -> str | None:
    """The stripped text of `child` (None when absent), noting its line under `field`."""
    if child is None:
        return None
    line = child.sourceline
    if line:
        lines[field] = line
    text = child.text
    return text.strip() if text else ""


def take(children: Children, spelling: TextField, lines: dict[str, int]) -> str | None:
    """The stripped text of the field as `spelling` reads it from `children`, noting its line."""
    if not spelling.skip_empty:  # `element_text` inlined: this runs for most fields of every offer
        for tag in spelling.tags:
            child = children.get(tag)
            if child is not None:
                line = child.sourceline
                if line:
                    lines[spelling.field] = line
                text = child.text
                return text.strip() if text else ""
        return None
    found: str | None = None
    for tag in spelling.tags:
        found = element_text(children.get(tag), spelling.field, lines)
        if found:
            return found
    return found


def plain_fields(children: Children, table: Iterable[TextField], lines: dict[str, int]) -> PlainFields:
    """The fields of `table` (each one of `PlainFields`) as the offer carries them: stripped, empty as None."""
    values: dict[str, str | None] = {}
    for spelling in table:
        values[spelling.field] = take(children, spelling, lines) or None
    return cast(PlainFields, values)
