"""What a rule is: the typed rule kinds (one decorator per scope), the context a rule sees, the registry.

A rule is a small generator function. Its decorator names the rule's scope, which fixes what the rule
is called with, and gives its identity (code, kebab name, one-line summary) and default severity; its
docstring is its documentation. The function yields `Problem`s; the engine stamps code, name, severity
and location on them. One decorator per scope, each with the one signature mypy accepts for it:

    @feed_issue_rule       (issue: FeedIssue, ctx: RuleContext[O]) -> Iterable[Problem]
                           a reader's finding about the bytes or structure of the feed
    @offer_rule            (offer: Offer, ctx: RuleContext[O, S]) -> Iterable[Problem]
                           every offer
    @feed_rule             (feed: FeedInfo, ctx: RuleContext[O]) -> Iterable[Problem]
                           once, after the last offer of a feed
    @offer_inventory_rule  (offer: Offer, item: InventoryItem | None, ctx: RuleContext[O, S]) -> ...
                           every offer, when an inventory is given (`item` None: no row matched)
    @inventory_rule        (feed: FeedInfo, ctx: RuleContext[O]) -> Iterable[Problem]
                           once per feed, when an inventory is given
    @offer_listing_rule    (offer: Offer, listing: Listing, ctx: RuleContext[O]) -> Iterable[Problem]
                           offers whose page was fetched
    @listing_rule          (listing: Listing, ctx: RuleContext[O]) -> Iterable[Problem]
                           every fetched page, with or without a feed

(The same signatures, as types: `FeedIssueCheck`, `OfferCheck`, `FeedCheck`, `OfferInventoryCheck`,
`InventoryCheck`, `OfferListingCheck`, `ListingCheck`, and `FinishCheck` for a finish step.)
`O` is the rule's options model, given as `options=` (a frozen pydantic model read from
`[rules.CODE]`; `NoOptions` when omitted), and `S` its state, given as `state=` (a factory called
once per feed; `None` when omitted). A rule's function must take exactly the context its decorator
implies: mypy rejects an offer rule written `(feed, ctx)`, a rule whose `ctx` names other options than
`options=`, or a state other than the one `state=` makes. For example:

    @offer_rule("ST002", "negative-quantity", summary="...", severity=Severity.ERROR)
    def negative_quantity(offer: Offer, ctx: RuleContext[NoOptions]) -> Iterator[Problem]:
        '''## What it does ...'''

    @offer_rule("ID002", "duplicate-offer-id", summary="...", severity=Severity.ERROR,
                state=FirstSeen, across_offers=True, reads=("offer_id", "line", "lines"))
    def duplicate_offer_id(offer: Offer, ctx: RuleContext[NoOptions, FirstSeen]) -> Iterator[Problem]:
        first = ctx.state.first_or_add(...)  # FirstSeen: the ids seen so far in this feed

`tests/test_rule_kinds.py` shows what mypy rejects.

`RuleContext` carries everything else a rule may read, as typed fields: `options`, `feed` (the feed's
facts so far), `profile` (the feed's effective marketplace profile, worked out once by the audit unit),
`state`, and the collaborators: `inventory` (the run's inventory lookup, when one is given) and
`matched` (the inventory keys this feed's offers have matched so far; all of them by the time the
end-of-feed rules run).

`state` is private to one rule for one feed, and only offer-scope rules (OFFER, OFFER_INVENTORY) keep
one. A cache (the options turned into a set) may live there in any of them; a rule whose findings
depend on other offers of the feed (like duplicate-offer-id) says so with `across_offers=True`. When
one large feed is audited on several cores (`feedaudit.parallel`), such a rule runs in the main
process, in feed order, on offers that carry only the fields it `reads` (plus what a finding is
stamped with, and for an OFFER_INVENTORY rule the fields the inventory matches on); every other offer
rule runs in the worker processes, each on its own part of the feed.

Such a rule may also judge offers against the whole feed (a price far from its category's prices):
its `finish=` step, `(feed: FeedInfo, ctx: RuleContext[O, S])`, runs once after the feed's last offer,
with the same `ctx.state`, and yields problems that name the offer (`offer_id`, `line`, `value`) they
are about. Its state must stay bounded (a summary, not the offers), however long the feed.

A rule that is given offers (OFFER, OFFER_INVENTORY, OFFER_LISTING) names the Offer fields it reads
with `reads=(…)`, helpers it calls and properties such as `offer.names` included. The readers leave
out what no selected rule reads (`feedaudit.feeds.wanted.Wanted`: the params and the facts read from
them, the other-language names and descriptions, the parsed prices), so a run of a few rules reads
less. `tests/rules/test_reads.py` runs every rule's cases with the offers guarding their fields and
fails on a field read but not named. A rule without `reads` is given every field.
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
import re
from collections.abc import Callable, Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Generic, Protocol, TypeAlias

from pydantic import BaseModel, ConfigDict
from typing_extensions import TypeVar

from feedaudit.model import FeedInfo, FeedIssue, InventoryItem, Listing, Offer, Problem, Severity

if TYPE_CHECKING:
    from feedaudit.inventory import InventoryLookup

CODE_PATTERN = re.compile(r"^[A-Z]{2}\d{3}$")
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
DOC_HEADINGS = ("## What it does", "## Why is this bad?", "## Example", "Use instead:")


class Scope(enum.StrEnum):
    FEED_ISSUE = "feed-issue"
    OFFER = "offer"
    FEED = "feed"
    OFFER_INVENTORY = "offer+inventory"
    INVENTORY = "inventory"
    OFFER_LISTING = "offer+listing"
    LISTING = "listing"


ACROSS_SCOPES = (Scope.OFFER, Scope.OFFER_INVENTORY)  # the scopes whose rules may compare offers
OFFER_SCOPES = (*ACROSS_SCOPES, Scope.OFFER_LISTING)  # the scopes whose rules are given offers

# Groups of Offer fields for `reads=`.
PRICES = ("price", "price_text", "old_price", "old_price_text")
NAMES_AND_DESCRIPTIONS = ("name", "other_names", "description", "other_descriptions")  # offer.names, .descriptions
# What `offer.ref()`, `offer.identity` and `offer.line_of()` read: a rule that names offers itself.
REF = ("offer_id", "url", "vendor_code", "barcode", "name", "vendor", "line", "column", "lines")


class NoOptions(BaseModel):
    """Options model of a rule that takes none."""

    model_config = ConfigDict(extra="forbid", frozen=True)


OptionsT = TypeVar("OptionsT", bound=BaseModel, default=NoOptions)
StateT = TypeVar("StateT", default=None)


@dataclass(slots=True)
class RuleContext(Generic[OptionsT, StateT]):
    """What the engine hands a rule besides its subject (see the module docstring).

    `RuleContext[O]` is the context of a rule with options `O` and no state; `RuleContext[O, S]` of
    one whose `state=` factory makes an `S`. The engine hands a rule the same context for every call
    within one feed, and keeps `profile` current while the reader learns the feed's dialect and
    flavour (it is known before the first offer).
    """

    options: OptionsT
    feed: FeedInfo
    state: StateT
    profile: str | None = None
    inventory: InventoryLookup | None = None
    matched: AbstractSet[str] = frozenset()


# The one signature of each scope's check (O: the options model, S: the state; see the module docstring).
FeedIssueCheck: TypeAlias = Callable[[FeedIssue, RuleContext[OptionsT]], Iterable[Problem]]
OfferCheck: TypeAlias = Callable[[Offer, RuleContext[OptionsT, StateT]], Iterable[Problem]]
FeedCheck: TypeAlias = Callable[[FeedInfo, RuleContext[OptionsT]], Iterable[Problem]]
OfferInventoryCheck: TypeAlias = Callable[
    [Offer, InventoryItem | None, RuleContext[OptionsT, StateT]], Iterable[Problem]
]
InventoryCheck: TypeAlias = Callable[[FeedInfo, RuleContext[OptionsT]], Iterable[Problem]]
OfferListingCheck: TypeAlias = Callable[[Offer, Listing, RuleContext[OptionsT]], Iterable[Problem]]
ListingCheck: TypeAlias = Callable[[Listing, RuleContext[OptionsT]], Iterable[Problem]]
FinishCheck: TypeAlias = Callable[[FeedInfo, RuleContext[OptionsT, StateT]], Iterable[Problem]]

# What the registry keeps and the audit unit calls: any of the checks above, with its subject(s) and
# its context. The decorators below are what check a rule's signature against its scope.
CheckFunction = Callable[..., Iterable[Problem]]
StateFactory = Callable[[], object]


def stateless() -> None:
    """The state of a rule that keeps none."""
    return


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    name: str
    summary: str
    severity: Severity
    scope: Scope
    check: CheckFunction
    options: type[BaseModel] = NoOptions
    across_offers: bool = False  # the rule compares offers with each other (see above)
    finish: CheckFunction | None = None  # runs once after the feed's last offer (see above)
    state: StateFactory = stateless  # makes the rule's `ctx.state`, once per feed
    # The Offer fields an offer-scope rule reads (None: any, so readers extract every field; see above)
    reads: frozenset[str] | None = None

    @property
    def family(self) -> str:
        return self.code[:2]

    @property
    def doc(self) -> str:
        return inspect.cleandoc(self.check.__doc__ or "")

    @property
    def anchor(self) -> str:
        """The id of the rule's heading (`### WR001 `missing-warranty``) in docs/rules.md, as GitHub and
        Markdown renderers derive it: `wr001-missing-warranty`."""
        return f"{self.code.lower()}-{self.name}"

    def url(self, docs_url: str | None) -> str | None:
        """The link to this rule in docs/rules.md published at `docs_url`; None when no place is configured
        (the rule's documentation is always at hand with `feedaudit rules CODE`)."""
        if not docs_url:
            return None
        return f"{docs_url.split('#', 1)[0]}#{self.anchor}"


_REGISTRY: dict[str, Rule] = {}
_CATALOGUE: dict[str, Rule] = {}  # _REGISTRY in code order, rebuilt when a rule was registered since
_CATALOGUE_VIEW: Mapping[str, Rule] = MappingProxyType(_CATALOGUE)
_OFFER_FIELDS = {f.name for f in dataclasses.fields(Offer)}


def _register(
    scope: Scope,
    code: str,
    name: str,
    *,
    summary: str,
    severity: Severity,
    options: type[BaseModel],
    state: StateFactory,
    across_offers: bool,
    finish: CheckFunction | None,
    reads: tuple[str, ...] | None = None,
) -> Callable[[CheckFunction], CheckFunction]:
    """Register a rule. Codes and names are forever: registering one twice is a programming error."""

    def register(check: CheckFunction) -> CheckFunction:
        if not CODE_PATTERN.match(code):
            raise ValueError(f"rule code {code!r} is not two capitals and three digits")
        if not NAME_PATTERN.match(name):
            raise ValueError(f"rule name {name!r} is not kebab-case")
        if code in _REGISTRY:
            raise ValueError(f"rule code {code} registered twice")
        if any(r.name == name for r in _REGISTRY.values()):
            raise ValueError(f"rule name {name} registered twice")
        if across_offers and (scope not in ACROSS_SCOPES or reads is None):
            raise ValueError(f"rule {code}: a rule that compares offers is an offer-scope rule naming what it reads")
        if finish is not None and not across_offers:
            raise ValueError(f"rule {code}: a rule with a finish step compares offers, so it sets across_offers")
        if state is not stateless and scope not in ACROSS_SCOPES:
            raise ValueError(f"rule {code}: only offer-scope rules keep state")
        if reads is not None:
            unknown = set(reads) - _OFFER_FIELDS
            if unknown or scope not in OFFER_SCOPES:
                raise ValueError(f"rule {code}: reads takes Offer fields of a rule that sees offers, not {unknown}")
        _REGISTRY[code] = Rule(
            code,
            name,
            summary,
            severity,
            scope,
            check,
            options,
            across_offers,
            finish,
            state,
            None if reads is None else frozenset(reads),
        )
        return check

    return register


class _Kind:
    """The decorator of one scope's rules; typed per scope by the protocols below."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    def __call__(
        self,
        code: str,
        name: str,
        *,
        summary: str,
        severity: Severity,
        options: type[BaseModel] = NoOptions,
        state: StateFactory = stateless,
        across_offers: bool = False,
        finish: CheckFunction | None = None,
        reads: tuple[str, ...] | None = None,
    ) -> Callable[[CheckFunction], CheckFunction]:
        return _register(
            self.scope,
            code,
            name,
            summary=summary,
            severity=severity,
            options=options,
            state=state,
            across_offers=across_offers,
            finish=finish,
            reads=reads,
        )


class FeedIssueRuleKind(Protocol):
    def __call__(
        self, code: str, name: str, *, summary: str, severity: Severity, options: type[OptionsT] = ...
    ) -> Callable[[FeedIssueCheck[OptionsT]], FeedIssueCheck[OptionsT]]: ...


class OfferRuleKind(Protocol):
    def __call__(
        self,
        code: str,
        name: str,
        *,
        summary: str,
        severity: Severity,
        options: type[OptionsT] = ...,
        state: Callable[[], StateT] = ...,
        across_offers: bool = ...,
        finish: FinishCheck[OptionsT, StateT] | None = ...,
        reads: tuple[str, ...] | None = ...,
    ) -> Callable[[OfferCheck[OptionsT, StateT]], OfferCheck[OptionsT, StateT]]: ...


class FeedRuleKind(Protocol):
    def __call__(
        self, code: str, name: str, *, summary: str, severity: Severity, options: type[OptionsT] = ...
    ) -> Callable[[FeedCheck[OptionsT]], FeedCheck[OptionsT]]: ...


class OfferInventoryRuleKind(Protocol):
    def __call__(
        self,
        code: str,
        name: str,
        *,
        summary: str,
        severity: Severity,
        options: type[OptionsT] = ...,
        state: Callable[[], StateT] = ...,
        across_offers: bool = ...,
        reads: tuple[str, ...] | None = ...,
    ) -> Callable[[OfferInventoryCheck[OptionsT, StateT]], OfferInventoryCheck[OptionsT, StateT]]: ...


class InventoryRuleKind(Protocol):
    def __call__(
        self, code: str, name: str, *, summary: str, severity: Severity, options: type[OptionsT] = ...
    ) -> Callable[[InventoryCheck[OptionsT]], InventoryCheck[OptionsT]]: ...


class OfferListingRuleKind(Protocol):
    def __call__(
        self,
        code: str,
        name: str,
        *,
        summary: str,
        severity: Severity,
        options: type[OptionsT] = ...,
        reads: tuple[str, ...] | None = ...,
    ) -> Callable[[OfferListingCheck[OptionsT]], OfferListingCheck[OptionsT]]: ...


class ListingRuleKind(Protocol):
    def __call__(
        self, code: str, name: str, *, summary: str, severity: Severity, options: type[OptionsT] = ...
    ) -> Callable[[ListingCheck[OptionsT]], ListingCheck[OptionsT]]: ...


feed_issue_rule: FeedIssueRuleKind = _Kind(Scope.FEED_ISSUE)
offer_rule: OfferRuleKind = _Kind(Scope.OFFER)
feed_rule: FeedRuleKind = _Kind(Scope.FEED)
offer_inventory_rule: OfferInventoryRuleKind = _Kind(Scope.OFFER_INVENTORY)
inventory_rule: InventoryRuleKind = _Kind(Scope.INVENTORY)
offer_listing_rule: OfferListingRuleKind = _Kind(Scope.OFFER_LISTING)
listing_rule: ListingRuleKind = _Kind(Scope.LISTING)


def registered_rules() -> Mapping[str, Rule]:
    """Every registered rule by code, in code order (a read-only view, built once)."""
    if len(_CATALOGUE) != len(_REGISTRY):
        _CATALOGUE.clear()
        _CATALOGUE.update(sorted(_REGISTRY.items()))
    return _CATALOGUE_VIEW


def find_rule(code_or_name: str) -> Rule | None:
    """A rule by its code (`WR001`, any case) or its name (`missing-warranty`), as `ruff rule` takes both."""
    wanted = code_or_name.strip()
    catalogue = registered_rules()
    found = catalogue.get(wanted.upper())
    if found is not None:
        return found
    return next((r for r in catalogue.values() if r.name == wanted.lower()), None)
