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
        "model",
        "profiles",
        "report",
        "rules",
        "selection",
        "text",
        "progress",
        "runner",
        "docs",
        "listings",
    }
    assert public - submodules == EXPECTED_API


def test_audit_returns_findings(fixtures_dir: Path) -> None:
    findings = feedaudit.audit(str(fixtures_dir / "feeds" / "hotline.xml"), select=["ID"])
    assert [(f.code, f.offer_id, f.related_lines) for f in findings] == [("ID002", "CAM-001", (16,))]
    assert all(isinstance(f, feedaudit.Finding) for f in findings)
