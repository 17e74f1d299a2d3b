"""schemas/*.json are current, and what feedaudit writes and reads validates against them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from feedaudit.cli import main
from feedaudit.schemas import render
from tests.conftest import ROOT

SCHEMAS = ROOT / "schemas"


def _validator(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMAS / name).read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("name", sorted(render()))
def test_schema_files_are_current(name: str) -> None:
    path = SCHEMAS / name
    assert path.is_file(), f"{path} is missing: run `python -m feedaudit.schemas`"
    assert path.read_text("utf-8") == render()[name], f"{path} is stale: run `python -m feedaudit.schemas`"


def test_json_report_validates(fixtures_dir: Path) -> None:
    feeds = sorted(str(p) for p in (fixtures_dir / "feeds").rglob("*.xml"))
    result = CliRunner().invoke(main, ["check", *feeds, "--output-format", "json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    _validator("report.schema.json").validate(report)
    assert report["summary"]["feeds"] == len(feeds)


def test_report_schema_rejects_a_wrong_document() -> None:
    validator = _validator("report.schema.json")
    assert not validator.is_valid({"tool": "feedaudit"})
    assert not validator.is_valid({"tool": "feedaudit", "version": "1", "feeds": [], "findings": [], "summary": {}})


def test_config_schema_accepts_real_settings_and_rejects_unknown_keys() -> None:
    validator = _validator("config.schema.json")
    good = {
        "select": ["ALL"],
        "ignore": ["FD005"],
        "fail-on": "error",
        "per-offer-ignores": {"TEST-*": ["ID"]},
        "rules": {"ID002": {"severity": "warning"}},
        "baseline": "feedaudit-baseline.json",
    }
    validator.validate(good)
    assert not validator.is_valid({**good, "selct": ["ALL"]})
    assert not validator.is_valid({**good, "fail-on": "fatal"})


def _schemas(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "feedaudit.schemas", *args], cwd=cwd, capture_output=True, text=True, check=False
    )


def test_schemas_module_has_a_real_command_line(tmp_path: Path) -> None:
    helped = _schemas("--help", cwd=tmp_path)
    assert helped.returncode == 0
    assert helped.stdout.startswith("usage: python -m feedaudit.schemas")
    assert list(tmp_path.iterdir()) == []  # no directory named --help, nor anything else
    wrong = _schemas("--bogus", cwd=tmp_path)
    assert wrong.returncode == 2
    assert list(tmp_path.iterdir()) == []
    written = _schemas("out", cwd=tmp_path)
    assert sorted(written.stdout.split()) == ["out/config.schema.json", "out/report.schema.json"]
    assert (tmp_path / "out" / "report.schema.json").read_text("utf-8") == render()["report.schema.json"]
