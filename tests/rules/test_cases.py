"""Runs every rule test case in tests/rules/cases/*.yml (see casefile.py for the format)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence, Set
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from feedaudit.config import settings_from_mapping
from feedaudit.engine import Engine
from feedaudit.inventory import InventoryIssue, MatchOn
from feedaudit.listings.extract import Target, extract_listing
from feedaudit.listings.fetch import Page
from feedaudit.model import Availability, Finding, InventoryItem, Listing, Offer
from feedaudit.rules import registered_rules
from tests.rules.casefile import CASES_DIR, Case, all_cases, has_feed, load_cases

CASES = all_cases()
# rules whose findings only an injected fault gives (feedaudit failing itself): their failing cases are
# in tests/test_isolation.py, which makes a rule or the reader raise
FAULT_INJECTED = {"FD999"}


class CasePages:
    """The engine's ListingFetcher over a case's `pages:` (no network): each page read by the extractor."""

    def __init__(self, pages: dict[str, Any]) -> None:
        self.pages = pages

    def page(self, url: str) -> Page:
        spec = self.pages[url]
        if isinstance(spec, str):
            return Page(url, final_url=url, status=200, content_type="text/html", body=spec.encode("utf-8"))
        return Page(
            url,
            final_url=spec.get("final_url", url),
            status=spec.get("status", None if "error" in spec else 200),
            content_type="text/html",
            body=str(spec.get("html", "")).encode("utf-8"),
            error=spec.get("error"),
            redirects=tuple(spec.get("redirects", ())),
        )

    def wants(self, offer: Offer) -> bool:
        return offer.url in self.pages

    def fetch(self, offers: Sequence[Offer]) -> Iterator[tuple[Offer, Listing]]:
        for offer in offers:
            assert offer.url is not None
            target = Target.of(offer.url, offer.offer_id, offer.vendor_code, offer.barcode)
            yield offer, extract_listing(self.page(offer.url), target)


class CaseInventory:
    """An InventoryLookup over a case's `page_inventory:` rows, keyed by offer id."""

    def __init__(self, rows: dict[str, dict[str, Any]]) -> None:
        self.items = {
            str(key): InventoryItem(
                key=str(key),
                price=None if row.get("price") is None else Decimal(str(row["price"])),
                currency=row.get("currency"),
                quantity=row.get("quantity"),
                availability=None if row.get("availability") is None else Availability(row["availability"]),
            )
            for key, row in rows.items()
        }

        self.source = "page_inventory"
        self.match_on: MatchOn = "id"
        self.duplicates: dict[str, list[int]] = {}
        self.issues: list[InventoryIssue] = []
        self.issue_count = 0

    def key_of(self, offer: Offer) -> str | None:
        return offer.offer_id

    def match(self, offer: Offer) -> InventoryItem | None:
        return self.items.get(offer.offer_id or "")

    def missing(self, matched: Set[str]) -> Iterator[InventoryItem]:
        return (item for key, item in self.items.items() if key not in matched)


def _findings(case: Case, tmp_path: Path) -> list[Finding]:
    mapping: dict[str, object] = {"select": [case.code], **case.settings}
    inventory = case.inventory_file(tmp_path)
    if inventory is not None:
        mapping["inventory"] = {**case.settings.get("inventory", {}), "source": str(inventory)}
    settings = settings_from_mapping(mapping)
    pages = CasePages(case.raw["pages"]) if "pages" in case.raw else None
    lookup = CaseInventory(case.raw["page_inventory"]) if "page_inventory" in case.raw else None
    engine = Engine(settings, listings=pages, inventory=lookup)
    if pages is not None and not has_feed(case.raw):
        return list(engine.audit_listings(extract_listing(pages.page(url)) for url in pages.pages))
    feed = tmp_path / "feed.xml"
    feed.write_bytes(case.feed)
    return list(engine.audit_feed(str(feed)))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule_case(case: Case, tmp_path: Path) -> None:
    findings = [f for f in _findings(case, tmp_path) if f.code == case.code]
    got = [{"line": f.line, "offer_id": f.offer_id, "field": f.field, "message": f.message} for f in findings]
    assert len(findings) == len(case.expect), f"expected {len(case.expect)} finding(s), got {got}"
    for finding, expected in zip(findings, case.expect, strict=True):
        for key, value in expected.items():
            if key == "message_contains":
                assert str(value) in finding.message, got
            else:
                actual = getattr(finding, key)
                actual = list(actual) if isinstance(actual, tuple) else actual
                assert actual == value, f"{key}: {got}"


def test_every_rule_has_passing_and_failing_cases() -> None:
    files = {path.stem: path for path in CASES_DIR.glob("*.yml")}
    for code in registered_rules():
        assert code in files, f"{code} has no case file tests/rules/cases/{code}.yml"
        cases = load_cases(files[code])
        assert any(not c.expect for c in cases), f"{code} has no passing case"
        if code not in FAULT_INJECTED:
            assert any(c.expect for c in cases), f"{code} has no failing case"
    assert set(files) <= set(registered_rules()), "case files for unknown rules"
