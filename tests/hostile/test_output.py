"""Hostile text in reports: controls and bidi characters, forged lines, CSV formulas, huge values.

Feeds and findings are made here, small, at test time. Each format is run the way a user runs it
(`feedaudit check` on a real file, or the reporter over real findings).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from click.testing import CliRunner

from feedaudit.cli import main
from feedaudit.model import FeedInfo, Finding, Severity, Shop
from feedaudit.report import REPORTERS, FeedSummary, Summary
from feedaudit.report.csv import neutralise
from feedaudit.report.safe import DATA_LIMIT, VALUE_LIMIT, OneLineFormatter, human, one_line, shorten

# What must never reach a terminal, a CI log or a reader's screen as it is.
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
HOSTILE_ID = "A-1\nfeed.xml:1: ID001 forged finding\x1b]0;owned\x07\u202egnp.exe\u2028\x9b31m"
FORMULA = "x;=cmd|' /C calc'!A0"
HUGE = 1 << 20
HUMAN_FORMATS = ("concise", "grouped", "github", "junit", "html", "csv")


def hostile_feed(path: Path, *, huge_id: bool = False) -> Path:
    """A YML feed whose offer ids and texts are written with character references."""
    offer_id = "".join(f"&#{ord(c)};" if ord(c) < 32 or ord(c) > 126 else c for c in HOSTILE_ID)
    long_id = "L" * HUGE if huge_id else "L-2"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<yml_catalog date="2026-11-20 10:00"><shop>\n'
        "<name>Shop&#x202E;&#27;[2J</name><url>https://shop.example.ua</url>\n"
        '<currencies><currency id="UAH" rate="1"/></currencies>\n'
        '<categories><category id="1">Category</category></categories><offers>\n'
        f'<offer id="{offer_id}" available="true"><url>https://shop.example.ua/p/1</url>'
        "<price>x;=cmd|' /C calc'!A0</price><currencyId>UAH</currencyId><categoryId>1</categoryId>"
        "<name>Name&#x2066;&#10;line</name></offer>\n"
        f'<offer id="{offer_id}" available="true"><url>https://shop.example.ua/p/2</url>'
        "<price> =1+1</price><currencyId>UAH</currencyId><categoryId>1</categoryId><name>N</name></offer>\n"
        f'<offer id="{long_id}" available="true"><url>https://shop.example.ua/p/3</url>'
        "<price>10</price><currencyId>UAH</currencyId><categoryId>1</categoryId><name>N</name></offer>\n"
        f'<offer id="{long_id}" available="true"><url>https://shop.example.ua/p/4</url>'
        "<price>11</price><currencyId>UAH</currencyId><categoryId>1</categoryId><name>N</name></offer>\n"
        "</offers></shop></yml_catalog>\n",
        encoding="utf-8",
    )
    return path


def run(*args: str) -> str:
    result = CliRunner().invoke(main, ["check", *args, "--exit-zero"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def findings_of(feed: Path) -> list[dict[str, object]]:
    return list(json.loads(run(str(feed), "--output-format", "json"))["findings"])


def hostile_finding(**changes: object) -> Finding:
    values: dict[str, object] = {
        "code": "ID002",
        "name": "duplicate-offer-id",
        "severity": Severity.ERROR,
        "message": f"offer id {HOSTILE_ID} is used again",
        "source": "feed\x1b[2J.xml",
        "line": 3,
        "offer_id": HOSTILE_ID,
        "field": "offer_id",
        "value": FORMULA,
    } | changes
    return Finding(**values)  # type: ignore[arg-type]


def report(name: str, findings: list[Finding]) -> tuple[str, list[Finding]]:
    out = io.StringIO()
    reporter = REPORTERS[name](out)
    summary = Summary()
    for finding in findings:
        summary.count(finding)
        reporter.add(finding)
    summary.add_feed(FeedSummary.of(FeedInfo(source="feed\x1b[2J.xml", shop=Shop(name="Shop\r\nBcc: x@y"), offers=4)))
    reporter.finish(summary)
    return out.getvalue(), reporter.findings


# -- controls, bidi, forged lines -------------------------------------------------------------------


@pytest.mark.parametrize("name", HUMAN_FORMATS)
def test_no_control_or_bidi_character_reaches_a_human_format(tmp_path: Path, name: str) -> None:
    feed = hostile_feed(tmp_path / "feed.xml")
    assert any(f["offer_id"] == HOSTILE_ID for f in findings_of(feed))  # the reader kept it as it was
    text = run(str(feed), "--output-format", name)
    assert "A-1" in text
    assert not UNSAFE.findall(text)


@pytest.mark.parametrize("name", ["concise", "grouped", "github", "csv"])
def test_one_physical_line_per_finding(tmp_path: Path, name: str) -> None:
    feed = hostile_feed(tmp_path / "feed.xml")
    count = len(findings_of(feed))
    lines = run(str(feed), "--output-format", name).splitlines()
    forged = [line for line in lines if line.startswith("feed.xml:1: ID001")]
    assert not forged
    if name == "concise":
        assert len(lines) == count + 1  # and the closing line
    elif name == "grouped":
        assert len([line for line in lines if line.startswith("  ")]) == count
    elif name == "github":
        assert len(lines) == count
        assert all(line.startswith("::") for line in lines)
    else:
        assert len(lines) == count + 1  # and the header
        assert len(list(csv.reader(lines))) == count + 1


def test_junit_text_is_one_line_per_field() -> None:
    text, _ = report("junit", [hostile_finding()])
    root = ET.fromstring(text)
    [case] = root.iter("testcase")
    [failure] = case.iter("failure")
    assert "\n" not in case.get("name", "")
    assert "\n" not in failure.get("message", "")
    details = (failure.text or "").splitlines()
    assert [line.split(":")[0] for line in details[1:]] == ["severity", "field", "value"]
    assert not UNSAFE.findall(text)


def test_json_keeps_the_value_and_escapes_it(tmp_path: Path) -> None:
    feed = hostile_feed(tmp_path / "feed.xml")
    text = run(str(feed), "--output-format", "jsonl")
    assert not UNSAFE.findall(text)  # written as JSON escapes, even U+2028 and the C1 controls
    records = [json.loads(line) for line in text.splitlines()]
    assert HOSTILE_ID in {record["offer_id"] for record in records}
    for name in ("json", "sarif"):
        document = run(str(feed), "--output-format", name)
        assert not UNSAFE.findall(document)
        as_json = json.dumps(HOSTILE_ID, ensure_ascii=False)
        assert as_json in json.dumps(json.loads(document), ensure_ascii=False)  # the value as it was


def test_a_lone_surrogate_still_makes_a_utf8_report() -> None:
    finding = hostile_finding(offer_id="smile \ud83d", message="offer id 'smile \ud83d' is used again")
    for name in REPORTERS:
        text, _ = report(name, [finding])
        text.encode("utf-8")  # what writing the report file does; a lone surrogate would raise
        assert "smile" in text


def test_log_lines_are_one_line() -> None:
    formatter = OneLineFormatter("%(levelname)s %(message)s")
    record = logging.LogRecord("feedaudit", logging.INFO, __file__, 1, "e-mail: %s queued", (HOSTILE_ID,), None)
    line = formatter.format(record)
    assert "\n" not in line
    assert not UNSAFE.findall(line)
    assert line.startswith("INFO e-mail: A-1\\nfeed.xml")


# -- CSV ----------------------------------------------------------------------------------------------


def split_like_a_spreadsheet(line: str, separator: str) -> list[str]:
    """Cells as a spreadsheet reads a line with `separator` as its list separator (quotes toggle)."""
    cells: list[str] = []
    cell: list[str] = []
    quoted = False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif char == separator and not quoted:
            cells.append("".join(cell))
            cell = []
        else:
            cell.append(char)
    cells.append("".join(cell))
    return cells


@pytest.mark.parametrize("separator", [",", ";", "\t"])
def test_csv_never_starts_a_cell_with_a_formula(tmp_path: Path, separator: str) -> None:
    feed = hostile_feed(tmp_path / "feed.xml")
    text = run(str(feed), "--output-format", "csv")
    assert FORMULA in text
    for line in text.splitlines():
        for cell in split_like_a_spreadsheet(line, separator):
            assert not cell.lstrip().startswith(("=", "+", "-", "@")), (separator, cell)


def test_csv_quotes_every_cell_and_neutralises_formulas(tmp_path: Path) -> None:
    feed = hostile_feed(tmp_path / "feed.xml")
    text = run(str(feed), "--output-format", "csv", "--select", "PR")
    rows = list(csv.reader(io.StringIO(text)))
    assert all(line.startswith('"') and line.endswith('"') for line in text.splitlines())
    values = {row[8] for row in rows[1:]}
    assert {FORMULA, "'=1+1"} <= values


def test_neutralise() -> None:
    cells = ("=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx", " =1", "\n\t@x", "ok", "1-2", "a=b")
    assert [neutralise(c) for c in cells] == [
        "'=1+2",
        "'+1",
        "'-1",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
        "' =1",
        "'\n\t@x",
        "ok",
        "1-2",
        "a=b",
    ]


# -- long values --------------------------------------------------------------------------------------


def test_shorten_names_the_original_length() -> None:
    text = "x" * HUGE
    short = shorten(text)
    assert short == "x" * VALUE_LIMIT + f"… [{HUGE:,} chars]"
    assert shorten(shorten(text, DATA_LIMIT)) == short  # shortening a capped value keeps the length
    assert human("a\nb" * 1000).startswith("a\\nb")
    assert len(human("a\nb" * 1000)) < 2 * VALUE_LIMIT
    assert one_line("plain") == "plain"


@pytest.mark.parametrize("name", sorted(REPORTERS))
def test_a_huge_value_is_not_copied_into_the_report(name: str) -> None:
    huge = "L" * HUGE
    findings = [hostile_finding(offer_id=huge, message=f"offer id {huge!r} is used again", line=n) for n in (1, 2)]
    text, kept = report(name, findings)
    assert len(text) < 40_000  # two findings, each field at most DATA_LIMIT characters
    assert f"{HUGE:,} chars" in text
    assert all(len(f.offer_id or "") < DATA_LIMIT + 40 and len(f.message) < DATA_LIMIT + 40 for f in kept)


def test_json_keeps_a_long_value_up_to_the_cap(tmp_path: Path) -> None:
    feed = hostile_feed(tmp_path / "feed.xml", huge_id=True)
    records = [json.loads(line) for line in run(str(feed), "--output-format", "jsonl").splitlines()]
    long_ids = {r["offer_id"] for r in records if str(r["offer_id"]).startswith("LLL")}
    assert long_ids == {"L" * DATA_LIMIT + f"… [{HUGE:,} chars]"}
    concise = run(str(feed), "--output-format", "concise")
    assert max(len(line) for line in concise.splitlines()) < 2_000


def test_an_error_line_is_one_line_with_nothing_for_the_terminal(tmp_path: Path) -> None:
    feed = hostile_feed(tmp_path / "feed.xml")
    config = tmp_path / "no\x1b[2Jne\n.toml"
    result = CliRunner().invoke(main, ["check", str(feed), "--config", str(config)])
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("feedaudit: error: cannot read configuration ")
    assert "no\\x1b[2Jne\\n.toml" in line
    assert not UNSAFE.findall(line)
