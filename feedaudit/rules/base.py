"""What a rule is: the `@rule` decorator, scopes, the context a rule sees, and the registry.

A rule is a small generator function. Its decorator gives the rule's identity (code, kebab name, one-line
summary), default severity and scope; its docstring is its documentation. The function yields
`Problem`s; the engine stamps code, name, severity and location on them. The scope says what the rule is
called with:

    FEED_ISSUE        check(issue: FeedIssue, ctx)              a reader's finding about the bytes/structure
    OFFER             check(offer: Offer, ctx)                  every offer
    FEED              check(feed: FeedInfo, ctx)                once, after the last offer of a feed
    OFFER_INVENTORY   check(offer: Offer, item, ctx)            every offer, when an inventory is given
    INVENTORY         check(feed: FeedInfo, ctx)                once per feed, when an inventory is given
    OFFER_LISTING     check(offer: Offer, listing: Listing, ctx) offers whose page was fetched
    LISTING           check(listing: Listing, ctx)              every fetched page, with or without a feed

A rule whose findings depend on other offers of the feed (it keeps `ctx.state`, like
duplicate-offer-id) says so with `across_offers=(the Offer fields it reads)`. When one large feed is
audited on several cores (`feedaudit.parallel`), such a rule runs in the main process, in feed order,
on offers that carry only those fields (plus `line` and `lines`, and for an OFFER_INVENTORY rule the
fields the inventory matches on); every other offer rule runs in the worker processes, each on its
own part of the feed.

Such a rule may also judge offers against the whole feed (a price far from its category's prices):
its `finish(feed, ctx)` runs once after the feed's last offer, with the same `ctx.state`, and yields
problems that name the offer (`offer_id`, `line`, `value`) they are about. Its state must stay bounded
(a summary, not the offers), however long the feed.
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
import re
from collections.abc import Callable, Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from feedaudit.model import FeedInfo, Offer, Problem, Severity

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


class NoOptions(BaseModel):
    """Options model of a rule that takes none."""

    model_config = ConfigDict(extra="forbid", frozen=True)


OptionsT = TypeVar("OptionsT", bound=BaseModel)


@dataclass(slots=True)
class RuleContext(Generic[OptionsT]):
    """What the engine hands a rule besides its subject.

    `profile` is the feed's marketplace profile: the one the run names, else the one its flavour or
    dialect implies (kept current while the reader learns them). `state` is private to one rule for
    one feed (for rules that compare offers with each other). `inventory` is the run's inventory
    lookup, when one is given, and `matched` the inventory keys this feed's offers have matched so far
    (all of them by the time the end-of-feed rules run). `extra` carries whatever else the caller of
    the engine passed. The engine hands a rule the same context for every call within one feed.
    """

    options: OptionsT
    feed: FeedInfo
    profile: str | None = None
    state: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    inventory: InventoryLookup | None = None
    matched: AbstractSet[str] = frozenset()


CheckFunction = Callable[..., Iterable[Problem]]


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    name: str
    summary: str
    severity: Severity
    scope: Scope
    check: CheckFunction
    options: type[BaseModel] = NoOptions
    across_offers: tuple[str, ...] = ()  # Offer fields read by a rule that compares offers (see above)
    finish: CheckFunction | None = None  # runs once after the feed's last offer (see above)

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


def rule(
    code: str,
    name: str,
    *,
    summary: str,
    severity: Severity,
    scope: Scope,
    options: type[BaseModel] = NoOptions,
    across_offers: tuple[str, ...] = (),
    finish: CheckFunction | None = None,
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
        unknown = set(across_offers) - _OFFER_FIELDS
        if unknown or (across_offers and scope not in ACROSS_SCOPES):
            raise ValueError(f"rule {code}: across_offers takes Offer fields of an offer-scope rule, not {unknown}")
        if finish is not None and not across_offers:
            raise ValueError(f"rule {code}: a rule with a finish step compares offers, so it names across_offers")
        _REGISTRY[code] = Rule(code, name, summary, severity, scope, check, options, tuple(across_offers), finish)
        return check

    return register


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
