"""The canonical records every part of feedaudit speaks.

Readers turn dialect XML into `Offer` and `FeedIssue`; inventory loaders produce `InventoryItem`;
the listing crawler produces `Listing`; rules yield `Problem`; the engine stamps each problem into a
`Finding`. Nothing here knows a dialect's spelling, and nothing here does I/O.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import NamedTuple


class Severity(enum.StrEnum):
    """How bad a finding is; ordered so that `ERROR > WARNING > INFO`."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]

    def at_least(self, other: Severity) -> bool:
        return self.rank >= other.rank


_SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}


class Availability(enum.StrEnum):
    """What a listing tells the buyer about getting the goods."""

    IN_STOCK = "in_stock"
    OUT_OF_STOCK = "out_of_stock"
    PREORDER = "preorder"
    BACKORDER = "backorder"  # "on order" / "під замовлення": the shop orders it from a supplier
    ON_REQUEST = "on_request"
    UNKNOWN = "unknown"  # the feed said something, but not a status feedaudit understands


class Condition(enum.StrEnum):
    NEW = "new"
    USED = "used"
    REFURBISHED = "refurbished"
    DISCOUNTED = "discounted"  # open box, showcase sample, reduced ("уцінка")


class Dialect(enum.StrEnum):
    YML = "yml"  # Yandex YML and its derivatives: Prom, Rozetka, Epicentr, MAUDAU, EVA, Allo-YML
    HOTLINE = "hotline"  # price/items/item, also accepted by Allo and ibud
    GOOGLE = "google"  # Google Merchant RSS 2.0 / Atom with the g: namespace
    META = "meta"  # Meta catalog RSS/Atom (g: namespace, Meta spellings)


class Param(NamedTuple):
    """One `<param name="…" unit="…">value</param>` or its dialect equivalent.

    A param written as `<value lang="…">` children holds the Ukrainian one (else the first) in `value` and the
    others in `other_values`, as an offer holds its name in the feed's other languages in `other_names`.

    A named tuple rather than a dataclass: readers build one per param of every offer (often dozens
    per offer), and a tuple is several times cheaper to create than a frozen dataclass.
    """

    name: str
    value: str
    unit: str | None = None
    line: int | None = None
    other_values: tuple[str, ...] = ()  # the value in the feed's other languages (`<value lang="ru">`)

    @property
    def values(self) -> tuple[str, ...]:
        """The value in every language the feed gives it, the main one first."""
        return ((self.value,) if self.value else ()) + self.other_values


@dataclass(frozen=True, slots=True)
class Offer:
    """One product offer, as the feed states it.

    Parsed values sit beside the raw text they came from: placeholder rules read `*_text`, drift rules
    read the parsed value. `lines` maps a canonical field name to the source line of that field, so a
    finding points at the exact line. A `None` parsed value with a non-empty `*_text` means the reader
    could not understand the text.
    """

    source: str
    line: int
    dialect: Dialect
    offer_id: str | None
    url: str | None = None
    name: str | None = None
    description: str | None = None
    category: str | None = None  # category name (resolved from the feed's category tree when possible)
    price: Decimal | None = None
    price_text: str | None = None
    old_price: Decimal | None = None
    old_price_text: str | None = None
    currency: str | None = None
    availability: Availability | None = None  # None: the feed says nothing about availability
    availability_text: str | None = None
    quantity: int | None = None
    quantity_text: str | None = None
    condition: Condition | None = None  # None: no condition label (dialect default is applied by rules)
    condition_text: str | None = None
    warranty_months: Decimal | None = None
    warranty_text: str | None = None
    return_text: str | None = None  # a returns / exchange period stated apart from warranty
    delivery_min_days: int | None = None
    delivery_max_days: int | None = None
    delivery_text: str | None = None
    vendor: str | None = None
    vendor_code: str | None = None
    barcode: str | None = None
    params: tuple[Param, ...] = ()
    lines: Mapping[str, int] = field(default_factory=dict)
    other_names: tuple[str, ...] = ()  # the name in the feed's other languages (`<name lang="ru">`, `name_ru`)
    other_descriptions: tuple[str, ...] = ()
    column: int | None = None  # of the start tag, when the offer shares its line with other markup (minified)

    @property
    def names(self) -> tuple[str, ...]:
        """The name in every language the feed gives it, the main one first."""
        return ((self.name,) if self.name else ()) + self.other_names

    @property
    def descriptions(self) -> tuple[str, ...]:
        """The description in every language the feed gives it, the main one first."""
        return ((self.description,) if self.description else ()) + self.other_descriptions

    @property
    def identity(self) -> str | None:
        """What tells this offer apart from the others of its feed, run after run.

        The offer id when it has one. An offer without an id is known by its content: the fields a
        re-export keeps and that differ between two products (page URL, vendor code, barcode, name,
        brand), never its line. Two offers identical in all of them share an identity; the engine
        numbers their findings (see `distinct_fingerprints`), so neither hides the other.
        """
        if self.offer_id is not None:
            return self.offer_id
        parts = (self.url, self.vendor_code, self.barcode, self.name, self.vendor)
        if not any(parts):
            return None
        digest = hashlib.sha256("\x1f".join(p or "" for p in parts).encode("utf-8")).hexdigest()[:16]
        return f"{_CONTENT_IDENTITY}{digest}"

    def ref(self) -> OfferRef:
        """What a finding needs of this offer, for a rule that reports it only at the end of the feed."""
        return OfferRef(self.offer_id, self.identity, self.name, self.line, self.column)

    def line_of(self, field_name: str | None) -> int:
        """The line of `field_name`, or of the offer itself when the field is absent."""
        if field_name is None:
            return self.line
        return self.lines.get(field_name, self.line)

    def param(self, *names: str) -> Param | None:
        """The first param whose name equals one of `names` (case-insensitive)."""
        wanted = {n.casefold() for n in names}
        for p in self.params:
            if p.name.casefold() in wanted:
                return p
        return None


# Prefix of a content identity: a control character no offer id starts with, so the two never meet.
_CONTENT_IDENTITY = "\x00content:"


class FeedIssueKind(enum.StrEnum):
    """What a reader can say about the feed as a whole (not about one offer)."""

    NOT_WELL_FORMED = "not-well-formed"
    ENCODING = "encoding"
    UNREADABLE = "unreadable"
    UNKNOWN_DIALECT = "unknown-dialect"
    SIZE_LIMIT = "size-limit"
    HOSTILE = "hostile"  # entity expansion bombs, external entities
    INTERNAL = "internal"  # feedaudit itself failed on this feed (FD999)


@dataclass(frozen=True, slots=True)
class FeedIssue:
    """A fact a reader found about the feed's bytes or structure."""

    kind: FeedIssueKind
    message: str
    source: str
    line: int | None = None
    column: int | None = None
    detail: str | None = None  # the parser's own words, when `message` says it plainly


@dataclass(slots=True)
class Shop:
    """What the feed says about the shop as a whole, captured once per feed by its reader.

    Kept apart from the run's counts in `FeedInfo`, so the part of a feed a worker reads can be given
    the shop's facts from the feed's head in one step.
    """

    name: str | None = None
    url: str | None = None
    feed_date: str | None = None  # when the feed says it was generated, as the feed writes it
    currencies: dict[str, Decimal | None] = field(default_factory=dict)  # id -> rate (None: "CB" etc.)
    categories: dict[str, str] = field(default_factory=dict)  # id -> name
    delivery_min_days: int | None = None  # shop-level default delivery promise, if any
    delivery_max_days: int | None = None
    delivery_text: str | None = None
    delivery_line: int | None = None


@dataclass(slots=True)
class FeedInfo:
    """One feed of a run: what the reader learnt of the feed and its shop, and the counts the engine keeps.

    Mutable: readers fill it while streaming (shop data normally precedes the offers, but a reader may
    learn more later), and the engine updates the counts.
    """

    source: str
    dialect: Dialect | None = None
    flavour: str | None = None  # marketplace the feed is written for, when the reader can tell
    flavour_signals: list[str] = field(default_factory=list)  # what in the feed decided the flavour
    root: str | None = None  # root element as `{namespace}local` or `local`
    shop: Shop = field(default_factory=Shop)
    offers: int = 0
    issues: int = 0  # feed-level issues the reader reported (parse errors, encoding, …)
    bytes_read: int = 0
    failures: list[str] = field(default_factory=list)  # tracebacks of FD999 findings (shown with --verbose)


class InventoryItem(NamedTuple):
    """One row of the shop's own truth: what the warehouse has and at what price.

    A named tuple rather than a frozen dataclass like the other records: the inventory join builds
    one per matched offer, and a tuple is built several times faster.
    """

    key: str
    price: Decimal | None = None
    price_text: str | None = None
    currency: str | None = None
    quantity: int | None = None
    quantity_text: str | None = None
    availability: Availability | None = None
    availability_text: str | None = None
    source: str | None = None
    row: int | None = None


@dataclass(frozen=True, slots=True)
class Listing:
    """What a live product page shows, and where on the page each value came from.

    `price` is the price the page states; `sale_price` a reduced price it offers beside it (OpenGraph
    `product:sale_price`, or the current price next to a struck-through one), valid until
    `price_valid_until` (ISO date) when the page says so. `high_price` is the top of a price range
    (`AggregateOffer`). `area_text` holds the visible text of the page's price and availability areas
    (keys `price`, `availability`), where placeholders show; `markup_errors` the structured-data blocks
    that could not be read as they stand.
    """

    url: str
    final_url: str | None = None
    status: int | None = None
    error: str | None = None  # transport failure, refused address, robots.txt, size cap …
    price: Decimal | None = None
    price_text: str | None = None
    sale_price: Decimal | None = None
    price_valid_until: str | None = None
    high_price: Decimal | None = None
    currency: str | None = None
    availability: Availability | None = None
    availability_text: str | None = None
    condition: Condition | None = None
    condition_text: str | None = None
    warranty_text: str | None = None
    delivery_text: str | None = None
    sources: Mapping[str, str] = field(default_factory=dict)  # field -> "json-ld" | "microdata" | …
    area_text: Mapping[str, str] = field(default_factory=dict)  # "price" | "availability" -> visible text
    markup_errors: tuple[str, ...] = ()
    redirects: tuple[str, ...] = ()  # every URL the request was sent on to, in order


@dataclass(frozen=True, slots=True)
class OfferRef:
    """An offer as a finding names it (id, identity, name, where it starts), kept by a rule that judges
    the offer only once the whole feed is read (`Rule.finish`), instead of the whole offer."""

    offer_id: str | None
    identity: str | None
    name: str | None
    line: int
    column: int | None = None


@dataclass(frozen=True, slots=True)
class Problem:
    """What a rule yields: the fault, in the rule's own words, without identity or location.

    `field` names the canonical field at fault (the engine uses it to find the line); `line` overrides
    that when a rule knows better (for example the first of two duplicate offers).
    """

    message: str
    field: str | None = None
    value: str | None = None
    line: int | None = None
    column: int | None = None
    expected: str | None = None
    actual: str | None = None
    related_lines: tuple[int, ...] = ()
    url: str | None = None
    offer_id: str | None = None  # for rules whose subject is not an offer (inventory rows, pages)
    detail: str | None = None  # technical detail behind the message (a parser's own text)
    offer: OfferRef | None = None  # the offer a rule's end-of-feed step (`Rule.finish`) reports


VALUE_LIMIT = 200


def truncate(value: str | None, limit: int = VALUE_LIMIT) -> str | None:
    if value is None or len(value) <= limit:
        return value
    return value[: limit - 1] + "…"


def fingerprint(source: str, identity: str | None, code: str, field_name: str | None) -> str:
    """A stable identity for a finding: the same fault in a reformatted feed keeps its fingerprint.

    `identity` is the subject's: an offer's `Offer.identity` (its id, or its content when it has no id),
    an inventory row's key, or None for the feed itself. The line never counts.
    """
    raw = "\x1f".join((source, identity or "", code, field_name or ""))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:20]


def distinct_fingerprints(findings: Iterable[Finding]) -> Iterator[Finding]:
    """Number repeated fingerprints so that each finding of a feed has its own.

    Two identical offers without an id (or two offers sharing an id, or one fault reported twice on
    the feed) give findings with one fingerprint. The first keeps it; the n-th gets a fingerprint
    derived from it and n, so a baseline or history that accepted two such findings still reports a
    third. Findings must come in feed order, as the engine yields them, for the numbering to be stable.
    """
    seen: dict[str, int] = {}
    for finding in findings:
        count = seen.get(finding.fingerprint, 0) + 1
        seen[finding.fingerprint] = count
        if count == 1:
            yield finding
            continue
        raw = f"{finding.fingerprint}\x1f{count}"
        yield replace(finding, fingerprint=hashlib.sha256(raw.encode("utf-8")).hexdigest()[:20])


@dataclass(frozen=True, slots=True)
class Finding:
    """A problem stamped with rule identity, severity and location."""

    code: str
    name: str
    severity: Severity
    message: str
    source: str
    line: int | None = None
    column: int | None = None
    offer_id: str | None = None
    field: str | None = None
    value: str | None = None
    url: str | None = None
    expected: str | None = None
    actual: str | None = None
    related_lines: tuple[int, ...] = ()
    fingerprint: str = ""
    offer_name: str | None = None  # the product's name, for reports people read
    detail: str | None = None  # technical detail behind the message (a parser's own text), for --verbose and json

    @property
    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.source, self.line or 0, self.column or 0, self.code, self.offer_id or "")
