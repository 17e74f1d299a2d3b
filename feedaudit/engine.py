"""The engine: runs the selected rules over each feed and stamps what they yield into findings.

It dispatches every rule on its scope (see `feedaudit.rules.base`), gives each rule its options and a
per-feed state, applies the marketplace profile's severities and the per-offer ignores, and stamps
code, name, severity, location and fingerprint on every problem. Findings come out as they are found:
per offer in code order, feed-level ones at the end of each feed, listing ones after the crawl
(page-only LISTING rules and OFFER_LISTING comparisons for each fetched page, in feed order).

The inventory and the live-listing crawler plug in through two small protocols, so the engine does
not know where the truth or the pages come from.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, ValidationError

from feedaudit import profiles
from feedaudit.config import Settings, override
from feedaudit.errors import ConfigError
from feedaudit.feeds import ReadOptions, read_feed
from feedaudit.feeds.source import SourceOptions
from feedaudit.model import (
    FeedInfo,
    FeedIssue,
    Finding,
    InventoryItem,
    Listing,
    Offer,
    Problem,
    Severity,
    fingerprint,
    truncate,
)
from feedaudit.rules import Rule, RuleContext, Scope, registered_rules
from feedaudit.section import describe_validation_error
from feedaudit.selection import matches, select_codes

if TYPE_CHECKING:
    from feedaudit.parallel.run import Split


class InventoryLookup(Protocol):
    """The shop's truth, keyed the way the run matches offers to it."""

    def match(self, offer: Offer) -> InventoryItem | None: ...


class ListingFetcher(Protocol):
    """Fetches live product pages for a sample of the offers."""

    def wants(self, offer: Offer) -> bool: ...

    def fetch(self, offers: Sequence[Offer]) -> Iterator[tuple[Offer, Listing]]: ...


ProgressCallback = Callable[[str, int, int | None], None]  # (source, done, total)


@dataclass(slots=True)
class _ActiveRule:
    rule: Rule
    options: BaseModel
    explicitly_selected: bool


@dataclass(slots=True)
class _FeedRun:
    feed: FeedInfo
    severities: Mapping[str, Severity | None] = field(default_factory=dict)
    profile_key: tuple[object, ...] = ()
    states: dict[str, dict[str, Any]] = field(default_factory=dict)
    contexts: dict[str, RuleContext[Any]] = field(default_factory=dict)  # one per rule per feed
    plans: dict[Scope, list[tuple[Rule, Severity, RuleContext[Any]]]] = field(default_factory=dict)


class Engine:
    """Audits feeds with one fixed set of rules, options and collaborators."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        inventory: InventoryLookup | None = None,
        listings: ListingFetcher | None = None,
        progress: ProgressCallback | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        self.settings = settings or Settings()
        self.inventory = inventory
        self.listings = listings
        self.progress = progress
        self.extra: dict[str, Any] = dict(extra or {})
        catalogue = registered_rules()
        if self.settings.profile is not None and self.settings.profile not in profiles.names():
            raise ConfigError(f"unknown profile {self.settings.profile!r} (one of: {', '.join(profiles.names())})")
        codes = select_codes(list(catalogue), self.settings.select, self.settings.extend_select, self.settings.ignore)
        explicit = {s.strip().upper() for s in [*(self.settings.select or []), *self.settings.extend_select]}
        unknown = sorted(set(self.settings.rules) - set(catalogue))
        if unknown:
            raise ConfigError(f"rules: unknown rule code(s) {', '.join(unknown)}")
        self.active: list[_ActiveRule] = [
            _ActiveRule(catalogue[code], self._options_for(catalogue[code]), code in explicit) for code in codes
        ]
        self._by_scope: dict[Scope, list[_ActiveRule]] = {scope: [] for scope in Scope}
        for active in self.active:
            self._by_scope[active.rule.scope].append(active)
        self._wants_inventory = bool(self._by_scope[Scope.OFFER_INVENTORY] or self._by_scope[Scope.INVENTORY])
        if self.inventory is None and self.settings.inventory.source is not None and self._wants_inventory:
            from feedaudit.inventory import load_inventory  # noqa: PLC0415 - the loaders only when an inventory is used

            self.inventory = load_inventory(self.settings.inventory.source, self.settings.inventory)
        if self.inventory is not None:
            self.extra.setdefault("inventory", self.inventory)
        wants_pages = bool(self._by_scope[Scope.OFFER_LISTING] or self._by_scope[Scope.LISTING])
        if self.listings is None and self.settings.listings.enabled and wants_pages:
            # built here (not only by the command line) so worker processes of many-feeds mode crawl too
            from feedaudit.listings.live import LiveListings  # noqa: PLC0415 - httpx only when pages are fetched

            self.listings = LiveListings(self.settings.listings)
        self._offer_ignores = [
            (pattern, [s.strip().upper() for s in selectors])
            for pattern, selectors in self.settings.per_offer_ignores.items()
        ]

    # -- set-up -----------------------------------------------------------------------------------

    def _options_for(self, rule: Rule) -> BaseModel:
        raw = {k: v for k, v in self.settings.rules.get(rule.code, {}).items() if k != "severity"}
        try:
            return rule.options.model_validate(raw)
        except ValidationError as exc:
            raise ConfigError(f"rules.{rule.code}: {describe_validation_error(exc)}") from exc

    def _refresh_profile(self, run: _FeedRun) -> None:
        """(Re)compute severities when the reader has learnt the feed's dialect or flavour."""
        key = (run.feed.dialect, run.feed.flavour)
        if key != run.profile_key or not run.profile_key:
            run.profile_key = key
            run.severities = self._severities(run.feed)
            run.plans.clear()

    def _severities(self, feed: FeedInfo) -> dict[str, Severity | None]:
        profile = self.settings.profile or profiles.default_for(feed)
        result: dict[str, Severity | None] = dict(profiles.severities(profile)) if profile else {}
        for code, options in self.settings.rules.items():
            if "severity" in options:
                try:
                    result[code] = Severity(options["severity"])
                except ValueError as exc:
                    raise ConfigError(
                        f"rules.{code}.severity: {options['severity']!r} is not one of error, warning, info"
                    ) from exc
        return result

    @property
    def _wants_pages(self) -> bool:
        return bool(self._by_scope[Scope.OFFER_LISTING] or self._by_scope[Scope.LISTING])

    @property
    def rules(self) -> list[Rule]:
        return [active.rule for active in self.active]

    # -- running ----------------------------------------------------------------------------------

    def audit(self, sources: Iterable[str]) -> Iterator[Finding]:
        for spec in sources:
            yield from self.audit_feed(spec)

    def audit_feed(self, spec: str, feed: FeedInfo | None = None) -> Iterator[Finding]:
        """Audit one feed; `feed` (filled in as reading goes) may be passed to see its facts afterwards.

        A large local feed is audited on several cores when `[parallel]` allows it (see
        `feedaudit.parallel`); the findings, their order and their lines are the same either way.
        """
        feed = feed or FeedInfo(source=_display_name(spec))
        split = self._split(spec, feed)
        if split is not None:
            yield from split.run()
            return
        run = _FeedRun(feed)
        pending_listings: list[Offer] = []
        options = ReadOptions(
            source=SourceOptions(max_bytes=self.settings.max_feed_bytes, timeout=self.settings.timeout),
            marketplace=self.settings.profile,
            on_progress=self._progress_for(feed.source),
        )
        yield from self._audit_items(run, read_feed(spec, feed, options), pending_listings)
        yield from self._finish_feed(run, pending_listings)

    def _split(self, spec: str, feed: FeedInfo) -> Split | None:
        if self.inventory is not None or self.listings is not None:
            return None
        from feedaudit.parallel.run import plan_split  # noqa: PLC0415 - multiprocessing only when it may be used

        return plan_split(self, spec, feed)

    def _audit_items(
        self, run: _FeedRun, items: Iterable[Offer | FeedIssue], pending_listings: list[Offer]
    ) -> Iterator[Finding]:
        """The per-offer part of a feed's audit, in feed order."""
        for item in items:
            self._refresh_profile(run)
            if isinstance(item, FeedIssue):
                yield from self._run_scope(run, Scope.FEED_ISSUE, (item,), None)
                continue
            yield from self._audit_offer(run, item)
            if self.listings is not None and self._wants_pages and self.listings.wants(item):
                pending_listings.append(item)

    def _finish_feed(self, run: _FeedRun, pending_listings: list[Offer]) -> Iterator[Finding]:
        """What runs once the last offer of a feed has been read."""
        self._refresh_profile(run)
        yield from self._finish_offer_rules(run)
        yield from self._run_scope(run, Scope.FEED, (run.feed,), None)
        if self.inventory is not None:
            yield from self._run_scope(run, Scope.INVENTORY, (run.feed,), None)
        if pending_listings and self.listings is not None:
            for offer, listing in self.listings.fetch(pending_listings):
                yield from self._run_scope(run, Scope.LISTING, (listing,), offer)
                yield from self._run_scope(run, Scope.OFFER_LISTING, (offer, listing), offer)

    def _finish_offer_rules(self, run: _FeedRun) -> Iterator[Finding]:
        """The end-of-feed step of offer rules that judge each offer against the whole feed."""
        plan = run.plans.get(Scope.OFFER)
        if plan is None:
            plan = run.plans[Scope.OFFER] = self._plan(run, Scope.OFFER)
        for rule, severity, ctx in plan:
            if rule.finish is None:
                continue
            for problem in rule.finish(run.feed, ctx):
                if problem.offer_id is not None and self._ignored_id(problem.offer_id, rule.code):
                    continue
                yield _stamp(rule, severity, problem, run.feed.source, None)

    def audit_listings(self, listings: Iterable[Listing]) -> Iterator[Finding]:
        """Audit live pages on their own (no feed): LISTING-scope rules."""
        for listing in listings:
            run = _FeedRun(FeedInfo(source=listing.url))
            self._refresh_profile(run)
            yield from self._run_scope(run, Scope.LISTING, (listing,), None)

    def _audit_offer(self, run: _FeedRun, offer: Offer) -> Iterator[Finding]:
        yield from self._run_scope(run, Scope.OFFER, (offer,), offer)
        if self.inventory is not None and self._wants_inventory:
            item = self.inventory.match(offer)  # also tells INVENTORY rules which rows the feed has
            yield from self._run_scope(run, Scope.OFFER_INVENTORY, (offer, item), offer)

    def _run_scope(
        self, run: _FeedRun, scope: Scope, subject: tuple[Any, ...], offer: Offer | None
    ) -> Iterator[Finding]:
        plan = run.plans.get(scope)
        if plan is None:
            plan = run.plans[scope] = self._plan(run, scope)
        if offer is not None and self._offer_ignores:
            plan = [step for step in plan if not self._ignored_for_offer(run, step[0].code, offer)]
        for rule, severity, ctx in plan:
            for problem in rule.check(*subject, ctx):
                yield _stamp(rule, severity, problem, run.feed.source, offer)

    def _plan(self, run: _FeedRun, scope: Scope) -> list[tuple[Rule, Severity, RuleContext[Any]]]:
        """The rules of `scope` that run for this feed, with their severity and context (computed once)."""
        plan = []
        for active in self._by_scope[scope]:
            rule = active.rule
            severity = run.severities.get(rule.code, rule.severity)
            if severity is None:
                if not active.explicitly_selected:
                    continue
                severity = rule.severity
            ctx = run.contexts.get(rule.code)
            if ctx is None:
                ctx = run.contexts[rule.code] = RuleContext(
                    options=active.options,
                    feed=run.feed,
                    profile=self.settings.profile,
                    state=run.states.setdefault(rule.code, {}),
                    extra=self.extra,
                )
            plan.append((rule, severity, ctx))
        return plan

    def _ignored_for_offer(self, run: _FeedRun, code: str, offer: Offer) -> bool:
        if not self._offer_ignores or offer.offer_id is None:
            return False
        return self._ignored_id(offer.offer_id, code)

    def _ignored_id(self, offer_id: str, code: str) -> bool:
        return any(
            fnmatch.fnmatchcase(offer_id, pattern) and matches(code, selectors)
            for pattern, selectors in self._offer_ignores
        )

    def _progress_for(self, source: str) -> Callable[[int, int | None], None] | None:
        progress = self.progress
        if progress is None:
            return None

        def report(done: int, total: int | None) -> None:
            progress(source, done, total)

        return report


def _display_name(spec: str) -> str:
    return "<stdin>" if spec == "-" else spec


_FIELD_VALUE_ATTRS = {
    "price": "price_text",
    "old_price": "old_price_text",
    "availability": "availability_text",
    "quantity": "quantity_text",
    "condition": "condition_text",
    "warranty": "warranty_text",
    "delivery": "delivery_text",
    "return": "return_text",
}


def _stamp(rule: Rule, severity: Severity, problem: Problem, source: str, offer: Offer | None) -> Finding:
    """Turn a rule's problem into a finding: identity, severity, location, value, fingerprint."""
    offer_id = problem.offer_id or (offer.offer_id if offer is not None else None)
    line = problem.line
    if line is None and offer is not None:
        line = offer.line_of(problem.field)
    value = problem.value
    if value is None and offer is not None and problem.field is not None:
        attr = _FIELD_VALUE_ATTRS.get(problem.field, problem.field)
        raw = getattr(offer, attr, None)
        value = None if raw is None else str(raw)
    return Finding(
        code=rule.code,
        name=rule.name,
        severity=severity,
        message=problem.message,
        source=source,
        line=line,
        column=problem.column,
        offer_id=offer_id,
        field=problem.field,
        value=truncate(value),
        url=problem.url,
        expected=truncate(problem.expected),
        actual=truncate(problem.actual),
        related_lines=problem.related_lines,
        fingerprint=fingerprint(source, offer_id, rule.code, problem.field),
    )


def audit(
    source: str | Sequence[str],
    *,
    settings: Settings | None = None,
    select: Sequence[str] | None = None,
    ignore: Sequence[str] | None = None,
    profile: str | None = None,
    inventory: InventoryLookup | str | os.PathLike[str] | None = None,
    listings: ListingFetcher | None = None,
) -> list[Finding]:
    """Audit one feed (or several) and return the findings.

    `source` is a path, an http(s) URL or `-`; `select` / `ignore` take codes, prefixes or `ALL`.
    `inventory` is a loaded inventory or its source (a file or SQLAlchemy URL, read with the settings'
    `[inventory]` options). Broken feeds give FD findings; only bad arguments and unusable inventories
    raise (`ConfigError`, `InventoryError`).
    """
    settings = override(
        settings or Settings(),
        select=None if select is None else list(select),
        ignore=None if ignore is None else list(ignore),
        profile=profile,
    )
    if isinstance(inventory, str | os.PathLike):
        from feedaudit.inventory import load_inventory  # noqa: PLC0415 - the loaders only when an inventory is used

        inventory = load_inventory(os.fspath(inventory), settings.inventory)
    engine = Engine(settings, inventory=inventory, listings=listings)
    sources = [source] if isinstance(source, str) else list(source)
    return list(engine.audit(sources))
