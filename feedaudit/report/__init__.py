"""Output formats. Each format is one module; `REPORTERS` maps the `--output-format` name to its class."""

from __future__ import annotations

from feedaudit.report.base import FeedSummary, Reporter, Summary
from feedaudit.report.csv import CsvReporter
from feedaudit.report.github import GithubReporter
from feedaudit.report.html import HtmlReporter
from feedaudit.report.json import JsonLinesReporter, JsonReporter
from feedaudit.report.junit import JunitReporter
from feedaudit.report.sarif import SarifReporter
from feedaudit.report.text import ConciseReporter, GroupedReporter

REPORTERS: dict[str, type[Reporter]] = {
    cls.name: cls
    for cls in (
        ConciseReporter,
        GroupedReporter,
        JsonReporter,
        JsonLinesReporter,
        CsvReporter,
        SarifReporter,
        JunitReporter,
        GithubReporter,
        HtmlReporter,
    )
}

__all__ = ["REPORTERS", "FeedSummary", "Reporter", "Summary"]
