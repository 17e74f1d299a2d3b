"""The per-feed audit unit: plan → read → check → stamp for one feed, or for one byte range of it.

`FeedAudit` audits one feed with a run's `RuleSet` and `Collaborators`. It reads the feed (or is
handed the items of one byte range), works out the feed's profile and severities as the reader
learns its dialect and flavour, plans each scope's rules once (code order, per-feed context, the
profile's severities), skips what `per-offer-ignores` turns off, matches each offer against the
inventory, stamps every problem into a finding, and at the end runs the feed-level, inventory and
page rules. The one-process run (`feedaudit.engine`), the split run (`feedaudit.parallel.run`),
many feeds (`feedaudit.fleet`) and Dask (`feedaudit.cluster`) all audit through it, so a feed's
findings are the same in every mode.

Offer rules can be planned in three parts: all of them, the `LOCAL` ones (that do not compare
offers: what a worker process runs on its byte range) and the `ACROSS` ones (what the main process
runs, in feed order, on the slim offers the workers send back).

Isolation: an unexpected exception in a rule, the reader, the inventory lookup or the page fetcher
becomes an FD999 finding for this feed (always reported, whatever the selection), with the traceback
kept in `FeedInfo.failures`; a failed rule is not run again for the feed, a failed reader or lookup
ends that part of the feed. The rest of the run goes on.
"""

from __future__ import annotations

import enum
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import NamedTuple

from pydantic import BaseModel

from feedaudit.collaborators import Collaborators
from feedaudit.errors import ConfigError
from feedaudit.feeds import ReadOptions, read_feed
from feedaudit.feeds.source import SourceOptions
from feedaudit.model import (
    FeedInfo,
    FeedIssue,
    FeedIssueKind,
    Finding,
    Listing,
    Offer,
    OfferRef,
    Problem,
    Severity,
    fingerprint,
    truncate,
)
from feedaudit.rules import NoOptions, Rule, RuleContext, Scope, registered_rules
from feedaudit.ruleset import RANKS_PER_SCOPE, ActiveRule, RuleSet

FAILURE_CODE = "FD999"
MATCH_RANK = list(Scope).index(Scope.OFFER_INVENTORY) * RANKS_PER_SCOPE - 1  # the inventory lookup, per offer
MESSAGE_LIMIT = 300


class Part(enum.Enum):
    """Which of a scope's rules a plan holds (see the module docstring)."""

    ALL = "all"
    LOCAL = "local"  # rules that do not compare offers
    ACROSS = "across"  # rules that do (`across_offers`)


class Step(NamedTuple):
    """One rule as it runs for this feed: its rank, severity and context."""

    rank: int
    rule: Rule
    severity: Severity
    context: RuleContext[BaseModel, object]


ByteProgress = Callable[[int, int | None], None]  # (bytes read, total size if known)


class FeedAudit:
    """One feed's audit (see the module docstring)."""

    def __init__(self, rules: RuleSet, collaborators: Collaborators, feed: FeedInfo) -> None:
        self.rules = rules
        self.feed = feed
        self.inventory = collaborators.inventory
        self.listings = collaborators.listings if rules.wants_pages else None
        self.matching = self.inventory is not None and rules.wants_inventory
        self.matched: set[str] = set()  # the inventory keys the feed's offers matched
        self.pending_pages: list[Offer] = []
        self.failed: set[str] = set()  # rules that raised: not run again for this feed
        self.broken = False  # the reader raised: the feed was not read to its end
        self.last_line: int | None = None
        self._profile_key: tuple[object, ...] = ()
        self._profile: str | None = None
        self._severities: Mapping[str, Severity | None] = {}
        self.contexts: dict[str, RuleContext[BaseModel, object]] = {}
        self._plans: dict[tuple[Scope, Part], list[Step]] = {}

    # -- reading and checking ---------------------------------------------------------------------

    def run(self, spec: str, *, on_progress: ByteProgress | None = None) -> Iterator[Finding]:
        """Read and audit the whole feed `spec`: every item, then the end-of-feed rules."""
        settings = self.rules.settings
        options = ReadOptions(
            source=SourceOptions(
                max_bytes=settings.max_feed_bytes,
                timeout=settings.timeout,
                deadline=settings.feed_deadline,
                allow_private=settings.listings.private_networks(),
                max_ratio=settings.limits.max_compression_ratio,
            ),
            marketplace=settings.profile,
            on_progress=on_progress,
            limits=settings.limits,
            wanted=self.rules.wanted,
        )
        yield from self.check_items(read_feed(spec, self.feed, options))
        yield from self.finish()

    def check_items(self, items: Iterable[Offer | FeedIssue]) -> Iterator[Finding]:
        """The per-offer part of the audit, in feed order (and the pages to fetch, noted for `finish`)."""
        listings = self.listings
        try:
            for item in items:
                self.refresh()
                if isinstance(item, FeedIssue):
                    for _rank, finding in self._checked(Scope.FEED_ISSUE, Part.ALL, (item,), None):
                        yield finding
                    continue
                self.last_line = item.line
                for _rank, finding in self.check_offer(item):
                    yield finding
                if listings is not None and listings.wants(item):
                    self.pending_pages.append(item)
        except ConfigError:
            raise
        except Exception as exc:
            self.broken = True
            after = f", after the offer on line {self.last_line}" if self.last_line is not None else ""
            yield self.failure(exc, None, f"reading the feed{after}")

    def check_offer(self, offer: Offer, part: Part = Part.ALL) -> Iterator[tuple[int, Finding]]:
        """One offer's findings with their rule's rank: its offer rules, then its inventory rules."""
        yield from self._checked(Scope.OFFER, part, (offer,), offer)
        if not self.matching or (part is Part.ACROSS and not self.plan(Scope.OFFER_INVENTORY, part)):
            return
        assert self.inventory is not None
        try:
            item = self.inventory.match(offer)
        except ConfigError:
            raise
        except Exception as exc:
            self.matching = False
            yield MATCH_RANK, self.failure(exc, offer, "in the inventory lookup; no inventory rule runs further")
            return
        if item is not None:
            self.matched.add(item.key)
        yield from self._checked(Scope.OFFER_INVENTORY, part, (offer, item), offer)

    def finish(self) -> Iterator[Finding]:
        """What runs once the last offer has been read: feed, inventory and page rules."""
        if self.broken:
            return  # a feed read only in part: end-of-feed rules would report what was not read as missing
        self.refresh()
        yield from self._finish_offer_rules()
        for _rank, finding in self._checked(Scope.FEED, Part.ALL, (self.feed,), None):
            yield finding
        if self.inventory is not None and (self.matching or not self.rules.wants_inventory):
            for _rank, finding in self._checked(Scope.INVENTORY, Part.ALL, (self.feed,), None):
                yield finding
        if self.pending_pages and self.listings is not None:
            try:
                for offer, listing in self.listings.fetch(self.pending_pages):
                    for _rank, finding in self._checked(Scope.LISTING, Part.ALL, (listing,), offer):
                        yield finding
                    for _rank, finding in self._checked(Scope.OFFER_LISTING, Part.ALL, (offer, listing), offer):
                        yield finding
            except ConfigError:
                raise
            except Exception as exc:
                yield self.failure(exc, None, "fetching the live pages")

    def _finish_offer_rules(self) -> Iterator[Finding]:
        """The end-of-feed step of offer rules that judge each offer against the whole feed (these
        compare offers, so in a split run they ran here, in the main process, with their state)."""
        source = self.feed.source
        for _rank, rule, severity, context in self.plan(Scope.OFFER, Part.ACROSS):
            if rule.finish is None:
                continue
            try:
                for problem in rule.finish(self.feed, context):
                    if not self.rules.ignored_id(rule.code, problem.offer_id):
                        yield stamp(rule, severity, problem, source, None)
            except ConfigError:
                raise
            except Exception as exc:
                self.failed.add(rule.code)
                self._plans.clear()
                yield self.failure(exc, None, f"in rule {rule.code} {rule.name}; it is not run further here")

    def check_listing(self, listing: Listing) -> Iterator[Finding]:
        """A live page on its own (no feed): the LISTING rules."""
        self.refresh()
        for _rank, finding in self._checked(Scope.LISTING, Part.ALL, (listing,), None):
            yield finding

    # -- planning ---------------------------------------------------------------------------------

    def refresh(self) -> None:
        """(Re)compute profile and severities when the reader has learnt the feed's dialect or flavour."""
        key = (self.feed.dialect, self.feed.flavour)
        if key != self._profile_key:
            self._profile_key = key
            self._profile = self.rules.profile_of(self.feed)
            self._severities = self.rules.severities(self._profile)
            for context in self.contexts.values():
                context.profile = self._profile
            self._plans.clear()

    def plan(self, scope: Scope, part: Part = Part.ALL) -> list[Step]:
        """The rules of `scope` (and `part`) that run for this feed, with severity and context."""
        steps = self._plans.get((scope, part))
        if steps is None:
            steps = self._plans[(scope, part)] = [
                step for active in self.rules.by_scope[scope] if (step := self._step(active, part)) is not None
            ]
        return steps

    def _step(self, active: ActiveRule, part: Part) -> Step | None:
        rule = active.rule
        if rule.code in self.failed:
            return None
        if (part is Part.LOCAL and rule.across_offers) or (part is Part.ACROSS and not rule.across_offers):
            return None
        severity = self._severities.get(rule.code, rule.severity)
        if severity is None:
            if not active.explicitly_selected:
                return None
            severity = rule.severity
        context = self.contexts.get(rule.code)
        if context is None:
            context = self.contexts[rule.code] = RuleContext(
                options=active.options,
                feed=self.feed,
                state=rule.state(),
                profile=self._profile,
                inventory=self.inventory,
                matched=self.matched,
            )
        return Step(active.rank, rule, severity, context)

    # -- the one check loop -----------------------------------------------------------------------

    def _checked(
        self, scope: Scope, part: Part, subject: tuple[object, ...], offer: Offer | None
    ) -> Iterator[tuple[int, Finding]]:
        """Run the planned rules on `subject` and stamp what they yield (with each rule's rank)."""
        steps = self._plans.get((scope, part)) or self.plan(scope, part)
        ignores = self.rules.offer_ignores if offer is not None and offer.offer_id is not None else None
        source = self.feed.source
        for rank, rule, severity, context in steps:
            if ignores and self.rules.ignored(rule.code, offer):  # type: ignore[arg-type]
                continue
            try:
                for problem in rule.check(*subject, context):
                    yield rank, stamp(rule, severity, problem, source, offer)
            except ConfigError:
                raise
            except Exception as exc:
                self.failed.add(rule.code)
                self._plans.clear()
                yield rank, self.failure(exc, offer, f"in rule {rule.code} {rule.name}; it is not run further here")

    def failure(self, exc: BaseException, offer: Offer | None, where: str) -> Finding:
        """The FD999 finding for an unexpected exception (its traceback kept in `feed.failures`)."""
        self.feed.failures.append("".join(traceback.format_exception(exc)))
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        text = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
        message = f"feedaudit could not finish this feed: {truncate(text, MESSAGE_LIMIT)} ({where})"
        line = offer.line if offer is not None else None
        issue = FeedIssue(FeedIssueKind.INTERNAL, message, self.feed.source, line)
        rule = registered_rules()[FAILURE_CODE]
        context: RuleContext[NoOptions] = RuleContext(NoOptions(), self.feed, None)
        problem = next(iter(rule.check(issue, context)))
        return stamp(rule, Severity.ERROR, problem, self.feed.source, offer)


# a problem's field -> the Offer attribute holding the raw text shown as its value (and the same name
# is the key of that field's line in `Offer.lines`)
FIELD_VALUE_ATTRS = {
    "price": "price_text",
    "old_price": "old_price_text",
    "availability": "availability_text",
    "quantity": "quantity_text",
    "condition": "condition_text",
    "warranty": "warranty_text",
    "delivery": "delivery_text",
    "return": "return_text",
}


def stamp(rule: Rule, severity: Severity, problem: Problem, source: str, offer: Offer | None) -> Finding:
    """Turn a rule's problem into a finding: identity, severity, location, value, fingerprint."""
    ref = problem.offer if offer is None else None  # an offer reported at the end of the feed
    offer_id = problem.offer_id or (offer.offer_id if offer is not None else ref.offer_id if ref else None)
    line = problem.line
    column = problem.column
    if line is None and offer is not None:
        line = offer.line_of(problem.field)
        if column is None and line == offer.line:
            column = offer.column
    elif ref is not None and column is None and line in (None, ref.line):
        line, column = ref.line, ref.column
    value = problem.value
    if value is None and offer is not None and problem.field is not None:
        attr = FIELD_VALUE_ATTRS.get(problem.field, problem.field)
        raw = getattr(offer, attr, None)
        value = None if raw is None else str(raw)
    return Finding(
        code=rule.code,
        name=rule.name,
        severity=severity,
        message=problem.message,
        source=source,
        line=line,
        column=column,
        offer_id=offer_id,
        field=problem.field,
        value=truncate(value),
        url=problem.url,
        expected=truncate(problem.expected),
        actual=truncate(problem.actual),
        related_lines=problem.related_lines,
        fingerprint=fingerprint(source, problem.offer_id or _identity(offer, ref), rule.code, problem.field),
        detail=problem.detail,
        offer_name=offer.name if offer is not None else ref.name if ref is not None else None,
    )


def _identity(offer: Offer | None, ref: OfferRef | None) -> str | None:
    if offer is not None:
        return offer.identity
    return ref.identity if ref is not None else None


def is_failure(finding: Finding) -> bool:
    """Whether a finding says feedaudit itself failed (FD999)."""
    return finding.code == FAILURE_CODE


__all__ = ["FAILURE_CODE", "FIELD_VALUE_ATTRS", "FeedAudit", "Part", "Step", "is_failure", "stamp"]
