"""Machine-readable outputs: `json` (one document with a summary) and `jsonl` (one finding per line).

The document shape is the pydantic `Report` model below; `schemas/report.schema.json` is generated
from it (`python -m feedaudit.schemas`), and a test keeps the two in step. Text keeps every character
(JSON escapes controls; DEL, C1, bidi controls and U+2028/9 are written as `\\u` escapes too, so one
finding is one line of jsonl for every reader), but each text field is capped at `feedaudit.report.safe.DATA_LIMIT`
characters: a longer one ends in `… [N chars]`, N its length in the feed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from feedaudit._version import __version__
from feedaudit.model import Finding
from feedaudit.report.base import Reporter, Summary
from feedaudit.report.safe import bounded, json_text


class FindingModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str
    name: str
    severity: str
    message: str
    source: str
    line: int | None
    column: int | None
    offer_id: str | None
    field: str | None
    value: str | None
    url: str | None
    expected: str | None
    actual: str | None
    related_lines: list[int]
    fingerprint: str
    detail: str | None  # technical detail behind the message (the XML parser's own words)
    rule_url: str | None = Field(
        default=None, description="Link to the rule's documentation; only when a docs URL is configured."
    )


class FeedModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: str
    dialect: str | None
    flavour: str | None
    flavour_signals: list[str] = Field(
        default_factory=list, description="what in the feed decided its flavour (marketplace)"
    )
    shop_name: str | None
    offers: int
    bytes_read: int
    findings: int
    by_code: dict[str, int]


class StatisticModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str
    name: str
    count: int
    feeds: int  # in how many feeds the rule found something


class SummaryModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    findings: int
    by_severity: dict[str, int]
    statistics: list[StatisticModel]
    offers: int
    feeds: int
    baseline_suppressed: int
    elapsed_seconds: float


class Report(BaseModel):
    """The `--output-format json` document."""

    model_config = ConfigDict(extra="forbid")

    tool: str
    version: str
    feeds: list[FeedModel]
    summary: SummaryModel
    findings: list[FindingModel]


def finding_record(finding: Finding, rule_url: str | None = None) -> dict[str, Any]:
    """A finding as the plain dict `FindingModel` describes (its fields, in its order); `rule_url` only if given."""
    finding = bounded(finding)
    record = {
        "code": finding.code,
        "name": finding.name,
        "severity": finding.severity.value,
        "message": finding.message,
        "source": finding.source,
        "line": finding.line,
        "column": finding.column,
        "offer_id": finding.offer_id,
        "field": finding.field,
        "value": finding.value,
        "url": finding.url,
        "expected": finding.expected,
        "actual": finding.actual,
        "related_lines": list(finding.related_lines),
        "fingerprint": finding.fingerprint,
        "detail": finding.detail,
    }
    if rule_url is not None:
        record["rule_url"] = rule_url
    return record


def finding_model(finding: Finding, rule_url: str | None = None) -> FindingModel:
    return FindingModel(**finding_record(finding, rule_url))


def report_model(
    findings: list[Finding], summary: Summary, rule_url: Callable[[str], str | None] = lambda code: None
) -> Report:
    return Report(
        tool="feedaudit",
        version=__version__,
        feeds=[FeedModel(**{k: getattr(f, k) for k in FeedModel.model_fields}) for f in summary.feeds],
        summary=SummaryModel(
            findings=summary.total,
            by_severity={s: summary.by_severity[s] for s in ("error", "warning", "info")},
            statistics=statistic_models(summary),
            offers=summary.offers,
            feeds=len(summary.feeds),
            baseline_suppressed=summary.baseline_suppressed,
            elapsed_seconds=round(summary.elapsed, 3),
        ),
        findings=[finding_model(f, rule_url(f.code)) for f in findings],
    )


def statistic_models(summary: Summary) -> list[StatisticModel]:
    return [
        StatisticModel(code=code, name=name, count=count, feeds=summary.feeds_with(code))
        for count, code, name in summary.statistics()
    ]


class JsonReporter(Reporter):
    """One document; with `--statistics`, ruff's list of `{code, name, count}` (plus `feeds`)."""

    name = "json"
    media_type = "application/json"
    extension = "json"
    has_statistics = True

    def add(self, finding: Finding) -> None:
        if not self.statistics:
            super().add(finding)

    def finish(self, summary: Summary) -> None:
        if self.statistics:
            rows = [model.model_dump() for model in statistic_models(summary)]
            self.out.write(json_text(json.dumps(rows, ensure_ascii=False, indent=2)) + "\n")
            return
        report = report_model(self.sorted_findings(), summary, self.rule_url)
        unlinked = None if self.docs_url else {"findings": {"__all__": {"rule_url"}}}  # no docs URL, no field
        self.out.write(json_text(report.model_dump_json(indent=2, exclude=unlinked)) + "\n")


class JsonLinesReporter(Reporter):
    """One finding per line as found; with `--statistics`, one `{code, name, count, feeds}` per line."""

    name = "jsonl"
    media_type = "application/x-ndjson"
    extension = "jsonl"
    streaming = True
    has_statistics = True

    def add(self, finding: Finding) -> None:
        if self.statistics:
            return
        # json.dumps of the plain record writes what `model_dump_json` would, at a third of the cost
        record = finding_record(finding, self.rule_url(finding.code))
        self.out.write(json_text(json.dumps(record, ensure_ascii=False, separators=(",", ":"))) + "\n")
        if self.live:
            self.out.flush()

    def finish(self, summary: Summary) -> None:
        if self.statistics:
            for model in statistic_models(summary):
                self.out.write(json_text(model.model_dump_json()) + "\n")
