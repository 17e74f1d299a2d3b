"""Baselines: write today's findings, then only new findings are reported; fixed ones drop out."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from feedaudit.baseline import BASELINE_VERSION, load_baseline
from feedaudit.cli import main
from feedaudit.errors import ConfigError


def _check(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["check", *args])
    return result.exit_code, result.stdout


@pytest.fixture
def feed(tmp_path: Path, fixtures_dir: Path) -> Path:
    path = tmp_path / "prom.xml"
    shutil.copy(fixtures_dir / "feeds" / "prom.xml", path)
    return path


def test_write_then_use_a_baseline(feed: Path, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    code, _ = _check(str(feed), "--select", "ID", "--write-baseline", str(baseline))
    assert code == 0  # writing a baseline accepts what is there
    data = json.loads(baseline.read_text("utf-8"))
    assert data["tool"] == "feedaudit"
    assert data["baseline-version"] == BASELINE_VERSION
    assert [(e["code"], e["offer_id"]) for e in data["findings"]] == [("ID001", None), ("ID002", "VC-2001")]

    code, out = _check(str(feed), "--select", "ID", "--baseline", str(baseline))
    assert code == 0
    assert out.splitlines() == ["All checks passed: 5 offers in 1 feed. 2 known findings left out (baseline)."]

    # the feed is reordered and grows a new fault: only the new one is reported
    text = feed.read_text("utf-8").replace('<offer id="KT-1002"', '<offer id="KT-1001"')
    feed.write_text("\n\n" + text, "utf-8")
    code, out = _check(str(feed), "--select", "ID", "--baseline", str(baseline), "--output-format", "json")
    assert code == 1
    report = json.loads(out)
    assert [(f["code"], f["offer_id"], f["line"]) for f in report["findings"]] == [("ID002", "KT-1001", 34)]
    assert report["summary"]["baseline_suppressed"] == 2


def test_rewriting_prunes_fixed_findings(feed: Path, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    _check(str(feed), "--select", "ID", "--write-baseline", str(baseline))
    feed.write_text(feed.read_text("utf-8").replace("<offer available", '<offer id="SM-3001" available'), "utf-8")
    _check(str(feed), "--select", "ID", "--baseline", str(baseline), "--write-baseline", str(baseline))
    entries = json.loads(baseline.read_text("utf-8"))["findings"]
    assert [e["code"] for e in entries] == ["ID002"]


def test_sarif_report_works_as_a_baseline(feed: Path, tmp_path: Path) -> None:
    sarif = tmp_path / "report.sarif"
    _check(str(feed), "--select", "ID", "--output-format", "sarif", "--output", str(sarif))
    assert len(load_baseline(sarif)) == 2
    code, out = _check(str(feed), "--select", "ID", "--baseline", str(sarif))
    assert (code, out.count("ID00")) == (0, 0)


def test_baseline_in_the_config_file(feed: Path, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    _check(str(feed), "--select", "ID", "--write-baseline", str(baseline))
    config = tmp_path / "feedaudit.toml"
    config.write_text(f'select = ["ID"]\nbaseline = "{baseline.as_posix()}"\n', "utf-8")
    assert _check(str(feed), "--config", str(config))[0] == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [("not json", "is not JSON"), ('{"something": "else"}', "neither a feedaudit baseline")],
)
def test_bad_baseline_is_a_config_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "baseline.json"
    path.write_text(text, "utf-8")
    with pytest.raises(ConfigError, match=message):
        load_baseline(path)


def test_missing_baseline_exits_2(feed: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["check", str(feed), "--baseline", str(tmp_path / "nope.json")])
    assert result.exit_code == 2
    assert result.stderr.startswith("feedaudit: error: cannot read baseline")
    assert len(result.stderr.splitlines()) == 1


def _idless_feed(*names: str, blank_lines: int = 0) -> str:
    offers = "".join(
        f'<offer available="true"><url>https://shop.example.ua/p/{n}</url><price>0</price><currencyId>UAH</currencyId>'
        f"<name>{n}</name><vendorCode>{n.upper()}</vendorCode></offer>\n"
        for n in names
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<yml_catalog date="2026-11-20 09:00"><shop><name>Shop</name>\n'
        + "\n" * blank_lines
        + "<offers>\n"
        + offers
        + "</offers></shop></yml_catalog>\n"
    )


def _reported(feed: Path, baseline: Path) -> list[tuple[str, int]]:
    _, out = _check(str(feed), "--select", "ID001,PR", "--baseline", str(baseline), "--output-format", "json")
    return sorted((f["code"], f["line"]) for f in json.loads(out)["findings"])


def test_offers_without_an_id_are_told_apart_by_their_content(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    baseline = tmp_path / "baseline.json"
    feed.write_text(_idless_feed("kettle"), "utf-8")
    _check(str(feed), "--select", "ID001,PR", "--write-baseline", str(baseline))
    accepted = json.loads(baseline.read_text("utf-8"))["findings"]
    assert {e["code"] for e in accepted} >= {"ID001"}
    assert {e["offer_name"] for e in accepted} == {"kettle"}

    # re-exported with lines shifted: the known offer stays known
    feed.write_text(_idless_feed("kettle", blank_lines=5), "utf-8")
    assert _reported(feed, baseline) == []

    # two new offers without an id: every one of their findings is reported, the known one's are not
    feed.write_text(_idless_feed("toaster", "kettle", "iron", blank_lines=3), "utf-8")
    reported = _reported(feed, baseline)
    assert reported
    assert {line for _, line in reported} == {7, 9}  # toaster and iron; kettle is on line 8
    assert len(reported) == 2 * len(accepted)


def test_a_second_identical_offer_without_an_id_is_new(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    baseline = tmp_path / "baseline.json"
    feed.write_text(_idless_feed("kettle", "kettle"), "utf-8")
    _check(str(feed), "--select", "ID001,PR", "--write-baseline", str(baseline))
    accepted = json.loads(baseline.read_text("utf-8"))["findings"]
    assert [e["code"] for e in accepted].count("ID001") == 2  # two offers, two accepted findings

    feed.write_text(_idless_feed("kettle", "kettle", "kettle"), "utf-8")
    reported = _reported(feed, baseline)
    assert [code for code, _ in reported].count("ID001") == 1  # the third copy is not hidden by the first two
    assert len(reported) == len(accepted) // 2
