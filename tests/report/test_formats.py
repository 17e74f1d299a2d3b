"""Every output format, on real runs: shape, escaping, neutralised cells and SARIF structure."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from xml.etree import ElementTree as ET

import jsonschema
import pytest
from click.testing import CliRunner

from feedaudit.cli import main
from feedaudit.model import Finding, Severity
from feedaudit.report import REPORTERS, Summary
from feedaudit.report.csv import COLUMNS as CSV_COLUMNS
from feedaudit.report.github import annotation
from feedaudit.report.json import finding_model
from feedaudit.report.safe import json_text
from feedaudit.report.sarif import artifact_uri
from feedaudit.rules import registered_rules

# The parts of the SARIF 2.1.0 schema (sarif-schema-2.1.0.json) that feedaudit's output uses, with the
# same required keys, enums and minimums. The official file cannot be fetched here.
SARIF_SUBSET = {
    "type": "object",
    "required": ["version", "runs"],
    "properties": {
        "version": {"const": "2.1.0"},
        "$schema": {"type": "string"},
        "runs": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/run"}},
    },
    "$defs": {
        "message": {"type": "object", "anyOf": [{"required": ["text"]}, {"required": ["id"]}]},
        "region": {
            "type": "object",
            "properties": {
                "startLine": {"type": "integer", "minimum": 1},
                "startColumn": {"type": "integer", "minimum": 1},
            },
        },
        "physicalLocation": {
            "type": "object",
            "required": ["artifactLocation"],
            "properties": {
                "artifactLocation": {"type": "object", "required": ["uri"], "properties": {"uri": {"type": "string"}}},
                "region": {"$ref": "#/$defs/region"},
            },
        },
        "location": {
            "type": "object",
            "properties": {
                "id": {"type": "integer", "minimum": -1},
                "physicalLocation": {"$ref": "#/$defs/physicalLocation"},
                "logicalLocations": {"type": "array", "items": {"type": "object"}},
                "message": {"$ref": "#/$defs/message"},
            },
        },
        "descriptor": {
            "type": "object",
            "required": ["id"],
            "properties": {
                "id": {"type": "string"},
                "shortDescription": {"$ref": "#/$defs/message"},
                "fullDescription": {"$ref": "#/$defs/message"},
                "help": {"$ref": "#/$defs/message"},
                "helpUri": {"type": "string", "format": "uri"},
                "defaultConfiguration": {
                    "type": "object",
                    "properties": {"level": {"enum": ["none", "note", "warning", "error"]}},
                },
            },
        },
        "result": {
            "type": "object",
            "required": ["message"],
            "properties": {
                "ruleId": {"type": "string"},
                "ruleIndex": {"type": "integer", "minimum": -1},
                "level": {"enum": ["none", "note", "warning", "error"]},
                "message": {"$ref": "#/$defs/message"},
                "locations": {"type": "array", "items": {"$ref": "#/$defs/location"}},
                "relatedLocations": {"type": "array", "items": {"$ref": "#/$defs/location"}},
                "partialFingerprints": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        },
        "run": {
            "type": "object",
            "required": ["tool"],
            "properties": {
                "tool": {
                    "type": "object",
                    "required": ["driver"],
                    "properties": {
                        "driver": {
                            "type": "object",
                            "required": ["name"],
                            "properties": {"rules": {"type": "array", "items": {"$ref": "#/$defs/descriptor"}}},
                        }
                    },
                },
                "columnKind": {"enum": ["utf16CodeUnits", "unicodeCodePoints"]},
                "results": {"type": "array", "items": {"$ref": "#/$defs/result"}},
            },
        },
    },
}


def _run(*args: str) -> str:
    result = CliRunner().invoke(main, ["check", *args])
    assert result.exit_code in (0, 1), result.output
    return result.stdout


@pytest.fixture
def feeds(fixtures_dir: Path) -> list[str]:
    return [str(fixtures_dir / "feeds" / name) for name in ("prom.xml", "hotline.xml", "google.xml")]


def _json_findings(feeds: list[str]) -> list[dict[str, object]]:
    findings: list[dict[str, object]] = json.loads(_run(*feeds, "--output-format", "json"))["findings"]
    assert findings
    return findings


def test_every_format_is_registered() -> None:
    assert set(REPORTERS) == {"concise", "grouped", "json", "jsonl", "csv", "sarif", "junit", "github", "html"}
    assert {name: cls.name for name, cls in REPORTERS.items()} == {name: name for name in REPORTERS}


def test_sarif_structure_and_identity(feeds: list[str]) -> None:
    log = json.loads(_run(*feeds, "--output-format", "sarif"))
    jsonschema.Draft202012Validator(SARIF_SUBSET).validate(log)
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    catalogue = registered_rules()
    expected = _json_findings(feeds)
    assert len(run["results"]) == len(expected)
    for result, finding in zip(run["results"], expected, strict=True):
        rule = rules[result["ruleIndex"]]
        assert rule["id"] == result["ruleId"] == finding["code"]
        assert rule["help"]["text"].startswith(catalogue[rule["id"]].doc)  # full docs
        assert rule["help"]["text"].endswith(f"`feedaudit rules {rule['id']}` prints this documentation.")
        assert "helpUri" not in rule  # no docs URL configured: no invented link
        assert result["partialFingerprints"] == {"feedaudit/v1": finding["fingerprint"]}
        assert result["level"] == {"error": "error", "warning": "warning", "info": "note"}[str(finding["severity"])]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == artifact_uri(str(finding["source"]))
        assert location["artifactLocation"]["uri"].startswith("file:///")  # absolute paths become file URIs
        assert location.get("region", {}).get("startLine") == finding["line"]
        related = [r["physicalLocation"]["region"]["startLine"] for r in result.get("relatedLocations", [])]
        assert related == finding["related_lines"]
    duplicates = [r for r in run["results"] if r["ruleId"] == "ID002"]
    assert duplicates
    assert all(r["relatedLocations"] for r in duplicates)
    assert sorted(r["id"] for r in rules) == sorted({str(f["code"]) for f in expected})


def test_sarif_uri_of_absolute_path_and_url(tmp_path: Path) -> None:
    assert artifact_uri("https://shop.example/feed.xml") == "https://shop.example/feed.xml"
    assert artifact_uri("feeds/мій фід.xml") == "feeds/%D0%BC%D1%96%D0%B9%20%D1%84%D1%96%D0%B4.xml"
    assert artifact_uri(str(tmp_path / "a.xml")).startswith("file:///")
    assert artifact_uri("<stdin>") == "stdin"


def test_csv_rows_match_the_findings(feeds: list[str]) -> None:
    rows = list(csv.DictReader(io.StringIO(_run(*feeds, "--output-format", "csv"))))
    expected = _json_findings(feeds)
    # csv streams in feed order; json is sorted by source and line
    key = lambda r: (str(r["source"]), int(str(r["line"]) or 0), str(r["code"]))  # noqa: E731
    assert sorted((r["source"], r["line"], r["code"], r["offer_id"], r["fingerprint"]) for r in rows) == sorted(
        (f["source"], str(f["line"] or ""), f["code"], f["offer_id"] or "", f["fingerprint"]) for f in expected
    )
    assert "rule_url" not in rows[0]  # no docs URL configured: no link column
    assert sorted(rows, key=key)[0]["source"] == min(feeds)


def test_csv_neutralises_formula_cells(tmp_path: Path) -> None:
    feed = tmp_path / "formula.xml"
    feed.write_text(
        "<yml_catalog><shop><offers>\n"
        '<offer id="=HYPERLINK(&quot;http://x&quot;)"><price>1</price></offer>\n'
        '<offer id="=HYPERLINK(&quot;http://x&quot;)"><price>2</price></offer>\n'
        '<offer id="+1"><price>1</price></offer>\n<offer id="+1"><price>1</price></offer>\n'
        '<offer id="@SUM(A1)"><price>1</price></offer>\n<offer id="@SUM(A1)"><price>1</price></offer>\n'
        '<offer id="-2"><price>1</price></offer>\n<offer id="-2"><price>1</price></offer>\n'
        "</offers></shop></yml_catalog>\n",
        "utf-8",
    )
    rows = list(csv.DictReader(io.StringIO(_run(str(feed), "--output-format", "csv", "--select", "ID002"))))
    assert [r["offer_id"] for r in rows] == ['\'=HYPERLINK("http://x")', "'+1", "'@SUM(A1)", "'-2"]
    assert all(r["value"].startswith("'") for r in rows)
    assert [r["line"] for r in rows] == ["3", "5", "7", "9"]  # numbers are not touched


def test_csv_of_a_clean_run_is_just_the_header(fixtures_dir: Path) -> None:
    text = _run(str(fixtures_dir / "feeds" / "prom.xml"), "--output-format", "csv", "--select", "FD")
    assert text.splitlines() == [",".join(f'"{column}"' for column in CSV_COLUMNS)]


def test_junit_is_xml_with_a_failure_per_finding(feeds: list[str], fixtures_dir: Path) -> None:
    clean = str(fixtures_dir / "feeds" / "windows-1251.xml")
    root = ET.fromstring(_run(*feeds, clean, "--output-format", "junit", "--select", "ID001"))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [*feeds, clean]
    expected = _json_findings([*feeds, clean])
    failures = root.findall(".//failure")
    assert len(failures) == int(root.get("failures", "-1")) == len([f for f in expected if f["code"] == "ID001"])
    assert {f.get("type") for f in failures} == {"ID001"}
    passing = suites[-1].findall("testcase")
    assert [(c.get("name"), c.find("failure")) for c in passing] == [("feedaudit", None)]


def test_junit_survives_control_characters(tmp_path: Path) -> None:
    feed = tmp_path / "ctl.xml"
    feed.write_bytes(b"<yml_catalog><shop><offers>\n<offer id='a\x01b'><price>1</price></offer>\n</offers>")
    ET.fromstring(_run(str(feed), "--output-format", "junit"))  # parses: nothing XML cannot hold


def test_github_annotations(feeds: list[str]) -> None:
    lines = _run(*feeds, "--output-format", "github").splitlines()
    expected = _json_findings(feeds)
    assert len(lines) == len(expected)
    assert all(line.startswith(("::error file=", "::warning file=", "::notice file=")) for line in lines)
    assert "::error file=" + feeds[0].replace(":", "%3A").replace(",", "%2C") + ",line=57," in "\n".join(lines)


def test_github_escaping_and_levels() -> None:
    finding = Finding(
        code="ID002",
        name="duplicate-offer-id",
        severity=Severity.INFO,
        message="100% bad\nsecond line",
        source="shops/a,b:c.xml",
        line=3,
        column=7,
        offer_id="X",
    )
    assert annotation(finding) == (
        "::notice file=shops/a%2Cb%3Ac.xml,line=3,col=7,title=ID002 duplicate-offer-id"
        "::100%25 bad\\nsecond line [offer X]"  # one line: the break is shown, not taken
    )


def test_github_step_summary(feeds: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(target))
    _run(*feeds, "--output-format", "github", "--select", "ID")
    text = target.read_text("utf-8")
    assert text.startswith("### feedaudit")
    assert "| 2 | ID002 | `duplicate-offer-id` |" in text


def test_html_is_escaped_and_self_contained(tmp_path: Path) -> None:
    feed = tmp_path / "xss.xml"
    feed.write_text(
        "<yml_catalog><shop><offers>\n"
        '<offer id="&lt;script&gt;alert(1)&lt;/script&gt;"><price>1</price></offer>\n'
        '<offer id="&lt;script&gt;alert(1)&lt;/script&gt;"><price>1</price></offer>\n'
        "</offers></shop></yml_catalog>\n",
        "utf-8",
    )
    page = _run(str(feed), "--output-format", "html")
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<link" not in page
    assert 'src="' not in page  # no external resources
    assert "ID002" in page


def test_statistics_in_each_format(feeds: list[str]) -> None:
    feeds = [*feeds, "--select", "ID"]
    text = _run(*feeds, "--statistics")
    lines = text.splitlines()
    assert lines[:2] == ["2\tID001\tmissing-offer-id\t2 feeds", "2\tID002\tduplicate-offer-id\t2 feeds"]
    rows = json.loads(_run(*feeds, "--statistics", "--output-format", "json"))
    assert rows[1] == {"code": "ID002", "name": "duplicate-offer-id", "count": 2, "feeds": 2}
    jsonl = [json.loads(line) for line in _run(*feeds, "--statistics", "--output-format", "jsonl").splitlines()]
    assert jsonl == rows
    table = list(csv.reader(io.StringIO(_run(*feeds, "--statistics", "--output-format", "csv"))))
    assert table[0] == ["count", "code", "name", "feeds"]
    assert table[2] == ["2", "ID002", "duplicate-offer-id", "2"]
    assert _run(*feeds, "--statistics", "--output-format", "sarif") == text  # no statistics form: text


def test_reporters_agree_on_an_empty_run() -> None:
    for name, cls in REPORTERS.items():
        out = io.StringIO()
        reporter = cls(out)
        reporter.finish(Summary())
        if name in ("json", "sarif"):
            json.loads(out.getvalue())
        elif name == "junit":
            ET.fromstring(out.getvalue())


def test_json_lines_are_what_the_finding_model_writes() -> None:
    """jsonl writes plain records with `json.dumps`; each line must be the model's own serialisation."""
    awkward = Finding(
        code="PH001",
        name="placeholder-price",
        severity=Severity.ERROR,
        message='price "Ціну уточнюйте" \\ \t\n\x01\x7f \u2028 😀',
        source="/tmp/feed.xml",
        line=None,
        column=3,
        offer_id='a"b',
        field="price",
        value="</script>",
        url=None,
        expected=None,
        actual="\ud7ff",
        related_lines=(4, 7),
        fingerprint="0" * 16,
    )
    out = io.StringIO()
    reporter = REPORTERS["jsonl"](out)
    reporter.add(awkward)
    assert out.getvalue() == json_text(finding_model(awkward).model_dump_json(exclude={"rule_url"})) + "\n"
    assert "\u2028" not in out.getvalue()
    assert "\x7f" not in out.getvalue()
