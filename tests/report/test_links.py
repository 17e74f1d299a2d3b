"""Rule links go where the documentation really is: nowhere by default (and `feedaudit rules CODE` prints
it), or to docs/rules.md published at the configured docs URL, at the id GitHub gives each rule heading."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from feedaudit.cli import main
from feedaudit.rules import registered_rules
from tests.conftest import ROOT

DOCS = "https://docs.shop.example/feedaudit/rules.md"


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=env)


@pytest.fixture
def prom(fixtures_dir: Path) -> str:
    return str(fixtures_dir / "feeds" / "prom.xml")


def github_heading_id(heading: str) -> str:
    """GitHub's heading ids: lower case, punctuation other than '-' and '_' dropped, spaces to '-'."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_anchor_is_the_id_of_the_rule_heading_in_rules_md() -> None:
    text = (ROOT / "docs" / "rules.md").read_text("utf-8")
    ids = {github_heading_id(h) for h in re.findall(r"^#{1,6} (.+)$", text, re.M)}
    for rule in registered_rules().values():
        assert rule.anchor in ids
    for target in re.findall(r"\]\(#([^)]+)\)", text):  # the catalogue table's links resolve too
        assert target in ids


@pytest.mark.parametrize("output_format", ["json", "jsonl", "csv", "sarif", "html"])
def test_no_links_unless_a_docs_url_is_configured(prom: str, output_format: str) -> None:
    report = run("check", prom, "--output-format", output_format).stdout
    assert "github.com" not in report
    assert "rule_url" not in report
    assert "helpUri" not in report
    assert "informationUri" not in report
    assert "href=" not in report


def test_links_with_the_option_the_variable_or_the_configuration(prom: str, tmp_path: Path) -> None:
    config = tmp_path / "feedaudit.toml"
    config.write_text(f'docs-url = "{DOCS}"\n', "utf-8")
    for args, env in (
        (["--docs-url", DOCS], None),
        ([], {"FEEDAUDIT_DOCS_URL": DOCS}),
        (["--config", str(config)], None),
    ):
        report = json.loads(run("check", prom, "--output-format", "json", *args, env=env).stdout)
        urls = {(f["code"], f["rule_url"]) for f in report["findings"]}
        assert ("PH002", f"{DOCS}#ph002-sentinel-price") in urls
        assert ("WR001", f"{DOCS}#wr001-missing-warranty") in urls


def test_every_format_links_to_the_same_place(prom: str) -> None:
    expected = f"{DOCS}#id002-duplicate-offer-id"
    line = run("check", prom, "--select", "ID002", "--output-format", "jsonl", "--docs-url", DOCS).stdout
    assert json.loads(line.splitlines()[0])["rule_url"] == expected
    rows = list(csv.DictReader(io.StringIO(run("check", prom, "--output-format", "csv", "--docs-url", DOCS).stdout)))
    assert {r["rule_url"] for r in rows if r["code"] == "ID002"} == {expected}
    sarif = json.loads(run("check", prom, "--output-format", "sarif", "--docs-url", DOCS).stdout)
    driver = sarif["runs"][0]["tool"]["driver"]
    assert driver["informationUri"] == DOCS
    assert {r["id"]: r["helpUri"] for r in driver["rules"]}["ID002"] == expected
    html = run("check", prom, "--output-format", "html", "--docs-url", DOCS).stdout
    assert f'href="{expected}"' in html
    rules = json.loads(run("rules", "ID002", "--output-format", "json", "--docs-url", DOCS).stdout)
    assert rules[0]["url"] == expected


def test_a_docs_url_must_be_a_web_address(prom: str) -> None:
    result = run("check", prom, "--docs-url", "docs/rules.md")
    assert result.exit_code == 2
    assert result.stderr.startswith("feedaudit: error: command line: docs_url: ")
    assert result.stderr.endswith("'docs/rules.md' is not an http(s) URL (where docs/rules.md is published)\n")
