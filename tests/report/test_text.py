"""The text formats: what a concise line says, and what `--statistics` prints instead of the findings."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from feedaudit.cli import main


@pytest.fixture
def prom(fixtures_dir: Path) -> str:
    return str(fixtures_dir / "feeds" / "prom.xml")


def _check(*args: str) -> list[str]:
    return CliRunner().invoke(main, ["check", *args]).stdout.splitlines()


def test_concise_line_shows_the_effective_severity(prom: str, tmp_path: Path) -> None:
    # PH002 is a warning in the catalogue; the prom profile (chosen from the feed) makes it an error
    line = f"{prom}:34: PH002 [error] price 0 is a sentinel, not a real price [offer KT-1002]"
    assert line in _check(prom, "--select", "PH002")
    config = tmp_path / "feedaudit.toml"
    for severity in ("warning", "info"):
        config.write_text(f'[rules.PH002]\nseverity = "{severity}"\n', "utf-8")
        lines = _check(prom, "--select", "PH002", "--config", str(config))
        assert line.replace("[error]", f"[{severity}]") in lines


@pytest.mark.parametrize("output_format", ["concise", "grouped"])
def test_statistics_print_counts_not_findings(prom: str, output_format: str) -> None:
    lines = _check(prom, "--statistics", "--output-format", output_format)
    assert lines[0] == "2\tPH002\tsentinel-price"
    assert lines[-1] == "Found 9 problems (6 errors, 2 warnings, 1 info) in 5 offers in 1 feed."
    assert not any("[offer" in line or "prom.xml" in line for line in lines)
