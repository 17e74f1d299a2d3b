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
from feedaudit.rules import registered_rules

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
    "rule_url",
)
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

    def __init__(self, out: TextIO, *, statistics: bool = False, verbose: bool = False) -> None:
        super().__init__(out, statistics=statistics, verbose=verbose)
        self._writer = csv.writer(self.out)
        self._header = False

    def _row(self, cells: tuple[object, ...]) -> None:
        self._writer.writerow([neutralise("" if cell is None else cell) for cell in cells])

    def add(self, finding: Finding) -> None:
        if self.statistics:
            return
        if not self._header:
            self._header = True
            self._writer.writerow(COLUMNS)
        rule = registered_rules().get(finding.code)
        self._row(
            (
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
                rule.url if rule is not None else None,
            )
        )

    def finish(self, summary: Summary) -> None:
        if self.statistics:
            self._writer.writerow(("count", "code", "name", "feeds"))
            for count, code, name in summary.statistics():
                self._row((count, code, name, summary.feeds_with(code)))
        elif not self._header:
            self._writer.writerow(COLUMNS)
