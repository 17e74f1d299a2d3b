"""The engine: audits feeds with one fixed set of rules, options and collaborators.

It holds what a run shares between feeds (the `RuleSet` built from the settings, the `Collaborators`
built by `feedaudit.collaborators.build_collaborators`, the progress callback) and hands each feed to
the audit unit (`feedaudit.unit.FeedAudit`), which owns everything per feed. A large local feed is read
in byte ranges on several cores when `[parallel]` allows it (`feedaudit.parallel.run.plan_split`);
the unit audits those ranges too, so the findings, their order and their lines are the same either
way. Findings come out as they are found: per offer in code order, feed-level ones at the end of each
feed, listing ones after the crawl.

An unexpected exception in one feed becomes an FD999 finding for that feed (see `feedaudit.unit`);
the next feed is audited as usual.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from feedaudit.collaborators import Collaborators, ListingFetcher, build_collaborators
from feedaudit.config import Settings, override
from feedaudit.errors import ConfigError
from feedaudit.model import FeedInfo, Finding, Listing, distinct_fingerprints
from feedaudit.parallel.run import plan_split
from feedaudit.rules import Rule
from feedaudit.ruleset import RuleSet
from feedaudit.unit import FeedAudit

if TYPE_CHECKING:
    from feedaudit.inventory import InventoryLookup

__all__ = ["Engine", "ListingFetcher", "ProgressCallback", "audit"]


ProgressCallback = Callable[[str, int, int | None], None]  # (source, done, total)


class Engine:
    """Audits feeds with one fixed set of rules, options and collaborators.

    `collaborators` come from `build_collaborators`; `inventory` / `listings` given instead are
    passed to it (as is the settings' `[inventory]` and `[listings]`), so `Engine(settings)` alone
    audits as the command line does.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        rules: RuleSet | None = None,
        collaborators: Collaborators | None = None,
        inventory: InventoryLookup | None = None,
        listings: ListingFetcher | None = None,
        progress: ProgressCallback | None = None,
    ) -> None:
        self.settings = settings or Settings()
        self.ruleset = rules or RuleSet(self.settings)
        if collaborators is None:
            collaborators = build_collaborators(self.settings, self.ruleset, inventory=inventory, listings=listings)
        elif inventory is not None or listings is not None:
            raise TypeError("Engine: give either collaborators or inventory / listings, not both")
        self.collaborators = collaborators
        self.progress = progress

    @property
    def inventory(self) -> InventoryLookup | None:
        return self.collaborators.inventory

    @property
    def listings(self) -> ListingFetcher | None:
        return self.collaborators.listings

    @property
    def rules(self) -> list[Rule]:
        return self.ruleset.rules

    def unit(self, feed: FeedInfo) -> FeedAudit:
        """A new audit unit for one feed, with this engine's rules and collaborators."""
        return FeedAudit(self.ruleset, self.collaborators, feed)

    def audit(self, sources: Iterable[str]) -> Iterator[Finding]:
        for spec in sources:
            yield from self.audit_feed(spec)

    def audit_feed(self, spec: str, feed: FeedInfo | None = None) -> Iterator[Finding]:
        """Audit one feed; `feed` (filled in as reading goes) may be passed to see its facts afterwards.

        Findings that would share a fingerprint (identical offers without an id) are numbered apart.
        """
        return distinct_fingerprints(self._audit_feed(spec, feed))

    def _audit_feed(self, spec: str, feed: FeedInfo | None) -> Iterator[Finding]:
        feed = feed or FeedInfo(source=_display_name(spec))
        unit = self.unit(feed)
        try:
            split = plan_split(unit, spec, self.progress)
            if split is not None:
                yield from split.run()
            else:
                yield from unit.run(spec, on_progress=self._progress_for(feed.source))
        except ConfigError:
            raise
        except Exception as exc:
            yield unit.failure(exc, None, "auditing the feed")

    def audit_listings(self, listings: Iterable[Listing]) -> Iterator[Finding]:
        """Audit live pages on their own (no feed): LISTING-scope rules."""
        for listing in listings:
            yield from self.unit(FeedInfo(source=listing.url)).check_listing(listing)

    def _progress_for(self, source: str) -> Callable[[int, int | None], None] | None:
        progress = self.progress
        if progress is None:
            return None

        def report(done: int, total: int | None) -> None:
            progress(source, done, total)

        return report


def _display_name(spec: str) -> str:
    return "<stdin>" if spec == "-" else spec


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
    `inventory` is a loaded inventory (any `feedaudit.inventory.InventoryLookup`) or its source (a
    file or SQLAlchemy URL, read with the settings' `[inventory]` options). Broken feeds give FD
    findings, and so does an unexpected error while auditing one (FD999); only bad arguments and
    unusable inventories raise (`ConfigError`, `InventoryError`).
    """
    settings = override(
        settings or Settings(),
        select=None if select is None else list(select),
        ignore=None if ignore is None else list(ignore),
        profile=profile,
    )
    rules = RuleSet(settings)
    collaborators = build_collaborators(settings, rules, inventory=inventory, listings=listings)
    engine = Engine(settings, rules=rules, collaborators=collaborators)
    sources = [source] if isinstance(source, str) else list(source)
    return list(engine.audit(sources))
