"""The public API is exactly `feedaudit.__all__`, and it works on a bundled fixture."""

from __future__ import annotations

from pathlib import Path

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
