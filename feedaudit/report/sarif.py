"""`sarif`: a SARIF 2.1.0 log for code-scanning tools (GitHub code scanning, Qodana, IDE viewers).

One run; `tool.driver.rules` holds every rule that fired with its full documentation (the rule
docstring, which `feedaudit rules CODE` also prints) and, when a docs URL is configured (`docs-url`,
`--docs-url` or `FEEDAUDIT_DOCS_URL`), a link to the rule in docs/rules.md as published there. Each
result carries the effective severity as `level` (`error`, `warning`, `note`), the feed line and
column, the offer id as a logical location, the other lines of the same fault (duplicate offer ids)
as `relatedLocations`, and the finding's fingerprint in `partialFingerprints["feedaudit/v1"]`: it
hashes source, offer identity, code and field but never the line, so a dismissed alert stays
dismissed when the feed is reordered. A SARIF report can also serve as a `--baseline` file. Text from
the feed is capped (`feedaudit.report.safe.bounded`); the message, which viewers show to people, is
also put on one line with no controls in it.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from feedaudit._version import __version__
from feedaudit.baseline import SARIF_FINGERPRINT
from feedaudit.feeds.source import is_url
from feedaudit.model import Finding, Severity
from feedaudit.report.base import Reporter, Summary
from feedaudit.report.safe import bounded, json_text, one_line
from feedaudit.rules import FAMILIES, Rule, registered_rules

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def artifact_uri(source: str) -> str:
    """A URI reference for a feed: URLs as they are, relative paths relative, absolute paths as file URIs."""
    if is_url(source):
        return source
    if source == "<stdin>":
        return "stdin"
    path = Path(source)
    if path.is_absolute():
        return path.as_uri()
    return quote(PurePosixPath(*path.parts).as_posix(), safe="/")


def _first_paragraph(doc: str, heading: str) -> str:
    start = doc.find(heading)
    if start < 0:
        return ""
    body = doc[start + len(heading) :].strip()
    return " ".join(body.split("\n\n")[0].split())


def rule_descriptor(rule: Rule, docs_url: str | None = None) -> dict[str, Any]:
    pointer = f"`feedaudit rules {rule.code}` prints this documentation."
    descriptor: dict[str, Any] = {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": _first_paragraph(rule.doc, "## What it does") or rule.summary},
        "help": {"text": f"{rule.doc}\n\n{pointer}", "markdown": f"{rule.doc}\n\n{pointer}"},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {"tags": [FAMILIES.get(rule.family, rule.family)], "scope": rule.scope.value},
    }
    link = rule.url(docs_url)
    if link is not None:
        descriptor["helpUri"] = link
    return descriptor


def _physical(finding: Finding, line: int | None, column: int | None) -> dict[str, Any]:
    location: dict[str, Any] = {"artifactLocation": {"uri": artifact_uri(finding.source)}}
    if line:
        region: dict[str, Any] = {"startLine": line}
        if column:
            region["startColumn"] = column
        location["region"] = region
    return location


def result(finding: Finding, rule_index: int) -> dict[str, Any]:
    finding = bounded(finding)
    location: dict[str, Any] = {"physicalLocation": _physical(finding, finding.line, finding.column)}
    if finding.offer_id is not None:
        location["logicalLocations"] = [
            {"name": finding.offer_id, "fullyQualifiedName": f"offer[{finding.offer_id}]", "kind": "element"}
        ]
    item: dict[str, Any] = {
        "ruleId": finding.code,
        "ruleIndex": rule_index,
        "level": LEVELS[finding.severity],
        "message": {"text": one_line(finding.message)},
        "locations": [location],
        "partialFingerprints": {SARIF_FINGERPRINT: finding.fingerprint},
    }
    if finding.related_lines:
        item["relatedLocations"] = [
            {
                "id": number,
                "physicalLocation": _physical(finding, line, None),
                "message": {"text": f"the same fault, line {line}"},
            }
            for number, line in enumerate(finding.related_lines, 1)
        ]
    properties = {
        key: value
        for key, value in (
            ("offerId", finding.offer_id),
            ("field", finding.field),
            ("value", finding.value),
            ("expected", finding.expected),
            ("actual", finding.actual),
            ("url", finding.url),
            ("detail", finding.detail),
        )
        if value is not None
    }
    if properties:
        item["properties"] = properties
    return item


def sarif_log(findings: list[Finding], docs_url: str | None = None) -> dict[str, Any]:
    catalogue = registered_rules()
    codes = sorted({finding.code for finding in findings})
    index = {code: number for number, code in enumerate(codes)}
    rules = [
        rule_descriptor(catalogue[code], docs_url)
        if code in catalogue
        else {"id": code, "shortDescription": {"text": code}}
        for code in codes
    ]
    driver: dict[str, Any] = {"name": "feedaudit", "version": __version__, "semanticVersion": __version__}
    if docs_url:
        driver["informationUri"] = docs_url
    driver["rules"] = rules
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {"driver": driver},
                "columnKind": "unicodeCodePoints",
                "results": [result(finding, index[finding.code]) for finding in findings],
            }
        ],
    }


class SarifReporter(Reporter):
    name = "sarif"
    media_type = "application/sarif+json"
    extension = "sarif"

    def finish(self, summary: Summary) -> None:
        log = sarif_log(self.sorted_findings(), self.docs_url)
        self.out.write(json_text(json.dumps(log, ensure_ascii=False, indent=2)) + "\n")
