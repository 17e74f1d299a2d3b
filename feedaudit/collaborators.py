"""What a run consults besides the feed: the inventory lookup and the live-listing crawler, built once.

`build_collaborators` is the one place they are made from the settings (or taken as given): the
command line, many-feeds mode (once per worker process), the Dask workers and `feedaudit.audit` all
call it, and hand the result to the `Engine`, which never builds them itself. The history store is
the nightly run's own (`feedaudit.nightly`): it records findings, no rule reads it.

An inventory given as an object must implement the whole `InventoryLookup` protocol (so every IV rule
runs on it); one that does not is refused with the members it lacks, never silently half-used.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from feedaudit.config import Settings
from feedaudit.errors import ConfigError
from feedaudit.model import Listing, Offer
from feedaudit.ruleset import RuleSet

if TYPE_CHECKING:
    from feedaudit.inventory import InventoryLookup
    from feedaudit.listings.live import PageProgress


class ListingFetcher(Protocol):
    """Fetches live product pages for a sample of the offers."""

    def wants(self, offer: Offer) -> bool: ...

    def fetch(self, offers: Sequence[Offer]) -> Iterator[tuple[Offer, Listing]]: ...


@dataclass(frozen=True, slots=True)
class Collaborators:
    """The run's inventory lookup and page fetcher (either may be absent)."""

    inventory: InventoryLookup | None = None
    listings: ListingFetcher | None = None


def build_collaborators(
    settings: Settings,
    rules: RuleSet | None = None,
    *,
    inventory: InventoryLookup | str | os.PathLike[str] | None = None,
    listings: ListingFetcher | None = None,
    crawl: bool = True,
    page_progress: PageProgress | None = None,
) -> Collaborators:
    """The collaborators of a run: those given, else those `settings` ask for and the selected `rules` need.

    `inventory` may be a lookup or its source (a file or SQLAlchemy URL, read with `[inventory]`);
    without one, `[inventory] source` is loaded when an IV rule is selected. The crawler is built when
    `[listings]` is enabled, an LS rule is selected and `crawl` is true.
    """
    rules = rules or RuleSet(settings)
    if isinstance(inventory, str | os.PathLike):
        inventory = _load(os.fspath(inventory), settings)
    elif inventory is None and settings.inventory.source is not None and rules.wants_inventory:
        inventory = _load(settings.inventory.source, settings)
    elif inventory is not None:
        require_lookup(inventory)
    if listings is None and settings.listings.enabled and rules.wants_pages and crawl:
        from feedaudit.listings.live import LiveListings  # noqa: PLC0415 - httpx only when pages are fetched

        listings = LiveListings(settings.listings, progress=page_progress)
    return Collaborators(inventory, listings)


def require_lookup(inventory: object) -> None:
    """Refuse an inventory object that lacks part of the `InventoryLookup` protocol."""
    from feedaudit.inventory import LOOKUP_MEMBERS  # noqa: PLC0415 - the loaders only when an inventory is used

    missing = [name for name in LOOKUP_MEMBERS if not hasattr(inventory, name)]
    if missing:
        raise ConfigError(
            f"the inventory {type(inventory).__name__} lacks {', '.join(missing)} "
            "(see feedaudit.inventory.InventoryLookup)"
        )


def _load(source: str, settings: Settings) -> InventoryLookup:
    from feedaudit.inventory import load_inventory  # noqa: PLC0415 - the loaders only when an inventory is used

    return load_inventory(source, settings.inventory)


__all__ = ["Collaborators", "ListingFetcher", "build_collaborators", "require_lookup"]
