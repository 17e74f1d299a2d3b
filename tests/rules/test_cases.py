"""Runs every rule test case in tests/rules/cases/*.yml (see casefile.py for the format)."""

from __future__ import annotations

from pathlib import Path

import pytest

from feedaudit.config import settings_from_mapping
from feedaudit.engine import Engine
from feedaudit.rules import registered_rules
from tests.rules.casefile import CASES_DIR, Case, all_cases, load_cases

CASES = all_cases()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule_case(case: Case, tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_bytes(case.feed)
    mapping: dict[str, object] = {"select": [case.code], **case.settings}
    inventory = case.inventory_file(tmp_path)
    if inventory is not None:
        mapping["inventory"] = {**case.settings.get("inventory", {}), "source": str(inventory)}
    settings = settings_from_mapping(mapping)
    findings = [f for f in Engine(settings).audit_feed(str(feed)) if f.code == case.code]
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
        assert any(c.expect for c in cases), f"{code} has no failing case"
    assert set(files) <= set(registered_rules()), "case files for unknown rules"
