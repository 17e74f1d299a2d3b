"""`csv`: one row per finding, streamed as found; cells a spreadsheet would run as a formula are neutralised.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, so opening
the report in a spreadsheet never evaluates text that came from a feed (CSV injection). Numbers the
report itself writes (line, column) are left alone. With `--statistics` the rows are `count,code,name,feeds`.
"""

from __future__ import annotations

import csv
from typing import TextIO

from feedaudit.model import Finding
from feedaudit.report.base import Reporter, Summary

COLUMNS = (
    "source",
    "line",
    "column",
    "code",
    "name",
    "severity",
    "offer_id",
    "field",
    "value",
    "message",
    "expected",
    "actual",
    "url",
    "fingerprint",
)
LINK_COLUMN = "rule_url"  # only when a docs URL is configured
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: object) -> object:
    """Prefix text a spreadsheet would treat as a formula with `'`; leave other cells as they are."""
    if isinstance(cell, str) and cell.startswith(_FORMULA_START):
        return "'" + cell
    return cell


class CsvReporter(Reporter):
    name = "csv"
    streaming = True
    has_statistics = True

    def __init__(self, out: TextIO, *, statistics: bool = False, docs_url: str | None = None) -> None:
        super().__init__(out, statistics=statistics, docs_url=docs_url)
        self._writer = csv.writer(self.out)
        self._header = False
        self.columns = (*COLUMNS, LINK_COLUMN) if docs_url else COLUMNS

    def _row(self, cells: tuple[object, ...]) -> None:
        self._writer.writerow([neutralise("" if cell is None else cell) for cell in cells])

    def add(self, finding: Finding) -> None:
        if self.statistics:
            return
        if not self._header:
            self._header = True
            self._writer.writerow(self.columns)
        cells: tuple[object, ...] = (
            finding.source,
            finding.line,
            finding.column,
            finding.code,
            finding.name,
            finding.severity.value,
            finding.offer_id,
            finding.field,
            finding.value,
            finding.message,
            finding.expected,
            finding.actual,
            finding.url,
            finding.fingerprint,
        )
        self._row((*cells, self.rule_url(finding.code)) if self.docs_url else cells)

    def finish(self, summary: Summary) -> None:
        if self.statistics:
            self._writer.writerow(("count", "code", "name", "feeds"))
            for count, code, name in summary.statistics():
                self._row((count, code, name, summary.feeds_with(code)))
        elif not self._header:
            self._writer.writerow(self.columns)
