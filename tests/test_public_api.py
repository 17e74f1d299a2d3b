"""The public API is exactly `feedaudit.__all__`, and it works on a bundled fixture."""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from pathlib import Path

import pytest

import feedaudit

EXPECTED_API = {
    "Availability",
    "Condition",
    "ConfigError",
    "Dialect",
    "Engine",
    "FeedInfo",
    "FeedauditError",
    "Finding",
    "HistoryError",
    "InventoryError",
    "InventoryItem",
    "InventoryLookup",
    "Listing",
    "NotifyError",
    "Offer",
    "Settings",
    "Severity",
    "SourceError",
    "__version__",
    "audit",
    "load_inventory",
    "load_settings",
}


def test_all_is_the_public_api() -> None:
    assert set(feedaudit.__all__) == EXPECTED_API
    public = {name for name in dir(feedaudit) if not name.startswith("_")} | {"__version__"}
    submodules = {
        "cli",
        "config",
        "engine",
        "errors",
        "feeds",
        "inventory",
        "model",
        "profiles",
        "report",
        "rules",
        "selection",
        "text",
        "lexicon",
        "progress",
        "runner",
        "docs",
        "baseline",
        "fleet",
        "schemas",
        "cluster",
        "section",
        "history",
        "notify",
        "nightly",
        "listings",
        "parallel",
        "unit",
        "ruleset",
        "collaborators",
        "decoding",
        "sizes",
        "service",
    }
    assert public - submodules == EXPECTED_API


def test_audit_returns_findings(fixtures_dir: Path) -> None:
    findings = feedaudit.audit(str(fixtures_dir / "feeds" / "hotline.xml"), select=["ID"])
    assert [(f.code, f.offer_id, f.related_lines) for f in findings] == [("ID002", "CAM-001", (16,))]
    assert all(isinstance(f, feedaudit.Finding) for f in findings)


def test_audit_takes_an_inventory_source_or_a_loaded_inventory(fixtures_dir: Path) -> None:
    feed = str(fixtures_dir / "inventory" / "feed.xml")
    stock = fixtures_dir / "inventory" / "stock.csv"
    from_source = feedaudit.audit(feed, select=["IV"], inventory=str(stock))
    loaded = feedaudit.load_inventory(stock)
    from_loaded = feedaudit.audit(feed, select=["IV"], inventory=loaded)
    assert [(f.code, f.offer_id) for f in from_source] == [(f.code, f.offer_id) for f in from_loaded]
    assert ("IV001", "KT-1001") in [(f.code, f.offer_id) for f in from_source]


class ForwardingLookup:
    """A lookup of the shop's own making: it keeps nothing of the loaded `Inventory` but what the
    `InventoryLookup` protocol names, reached through plain attributes and methods."""

    def __init__(self, inventory: feedaudit.InventoryLookup) -> None:
        self.inner = inventory
        self.source = inventory.source
        self.match_on = inventory.match_on
        self.duplicates = dict(inventory.duplicates)
        self.issues = list(inventory.issues)
        self.issue_count = inventory.issue_count

    def key_of(self, offer: feedaudit.Offer) -> str | None:
        return self.inner.key_of(offer)

    def match(self, offer: feedaudit.Offer) -> feedaudit.InventoryItem | None:
        return self.inner.match(offer)

    def missing(self, matched: AbstractSet[str]) -> Iterator[feedaudit.InventoryItem]:
        return self.inner.missing(matched)


def test_a_custom_lookup_runs_every_inventory_rule(fixtures_dir: Path) -> None:
    feed = str(fixtures_dir / "inventory" / "feed.xml")
    loaded = feedaudit.load_inventory(fixtures_dir / "inventory" / "stock.csv")
    expected = feedaudit.audit(feed, select=["IV"], inventory=loaded)
    assert {"IV005", "IV006", "IV007"} <= {f.code for f in expected}  # the end-of-feed rules do report here
    assert feedaudit.audit(feed, select=["IV"], inventory=ForwardingLookup(loaded)) == expected


def test_a_lookup_without_the_whole_protocol_is_refused(fixtures_dir: Path) -> None:
    class MatchOnly:
        def match(self, offer: feedaudit.Offer) -> feedaudit.InventoryItem | None:
            return None

    with pytest.raises(feedaudit.ConfigError, match=r"lacks source, match_on, duplicates, .*missing"):
        feedaudit.audit(str(fixtures_dir / "inventory" / "feed.xml"), inventory=MatchOnly())  # type: ignore[arg-type]
