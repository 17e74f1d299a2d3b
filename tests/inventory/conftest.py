"""Helpers for the inventory tests: the bundled feed with planted drift, and a comparable view of findings."""

from __future__ import annotations

from pathlib import Path

import pytest

from feedaudit.model import Finding
from tests.conftest import FIXTURES

INVENTORY_FIXTURES = FIXTURES / "inventory"


@pytest.fixture
def drift_feed() -> Path:
    return INVENTORY_FIXTURES / "feed.xml"


def comparable(findings: list[Finding]) -> list[tuple[object, ...]]:
    """What must not depend on the inventory's format or row order: no messages (they name rows)."""
    return sorted((f.code, f.offer_id, f.field, f.line, f.expected, f.actual, f.severity.value) for f in findings)
