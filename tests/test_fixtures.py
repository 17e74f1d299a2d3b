"""`feedaudit check` on each bundled fixture reports exactly the faults planted in it (fixtures/feeds/expected.yml)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from feedaudit.cli import main
from tests.conftest import FIXTURES

FEEDS = FIXTURES / "feeds"
EXPECTED: dict[str, list[dict[str, Any]]] = yaml.safe_load((FEEDS / "expected.yml").read_text("utf-8"))


def _key(finding: dict[str, Any]) -> tuple[str, int, str, str]:
    return (finding["code"], finding["line"] or 0, str(finding["offer_id"]), str(finding["field"]))


def test_every_fixture_is_listed() -> None:
    fixtures = {str(p.relative_to(FEEDS)) for p in FEEDS.rglob("*") if p.suffix in (".xml", ".gz")}
    assert fixtures == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_reports_exactly_its_planted_faults(name: str, fixtures_dir: Path) -> None:
    result = CliRunner().invoke(main, ["check", "-q", str(fixtures_dir / "feeds" / name), "--output-format", "json"])
    assert result.exit_code in (0, 1), result.output
    found = sorted(_key(f) for f in json.loads(result.stdout)["findings"])
    assert found == sorted(_key(e) for e in EXPECTED[name] or [])
