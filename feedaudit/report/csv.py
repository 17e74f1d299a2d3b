"""`csv`: one row per finding, streamed as found; the one CSV writer of feedaudit (the e-mail uses it too).

Every cell is quoted (`csv.QUOTE_ALL`), so a spreadsheet whose list separator is `;` or a tab never
splits a cell, and a cell a spreadsheet would run as a formula is neutralised as OWASP recommends: a
cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return, also after leading whitespace,
gets a leading `'` (CSV injection). Text from the feed is then put on one line with no controls in it
and capped (`feedaudit.report.safe`), so every finding is one physical line. Numbers the report itself
writes (line, column, counts) are left alone. With `--statistics` the rows are `count,code,name,feeds`.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import TextIO

from feedaudit.model import Finding
from feedaudit.report.base import Reporter, Summary
from feedaudit.report.safe import capped, one_line

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
_LEADING_SPACE = " \t\r\n\f\v\u00a0\u3000"


def neutralise(cell: str) -> str:
    """Prefix text a spreadsheet would treat as a formula (also after leading whitespace) with `'`."""
    if cell.startswith(_FORMULA_START) or cell.lstrip(_LEADING_SPACE).startswith(_FORMULA_START):
        return "'" + cell
    return cell


def safe_cell(cell: object) -> object:
    """A cell as the report writes it: text neutralised, on one line and capped; numbers as they are."""
    if cell is None:
        return ""
    if isinstance(cell, str):
        return one_line(neutralise(capped(cell)))
    return cell


class SafeCsvWriter:
    """`csv.writer` that quotes every cell and passes each one through `safe_cell`."""

    def __init__(self, out: TextIO, *, lineterminator: str = "\r\n") -> None:
        self._writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator=lineterminator)

    def writerow(self, cells: Iterable[object]) -> None:
        self._writer.writerow([safe_cell(cell) for cell in cells])


class CsvReporter(Reporter):
    name = "csv"
    media_type = "text/csv; charset=utf-8"
    extension = "csv"
    streaming = True
    has_statistics = True

    def __init__(
        self, out: TextIO, *, statistics: bool = False, verbose: bool = False, docs_url: str | None = None
    ) -> None:
        super().__init__(out, statistics=statistics, verbose=verbose, docs_url=docs_url)
        self._writer = SafeCsvWriter(self.out)
        self._header = False
        self.columns = (*COLUMNS, LINK_COLUMN) if docs_url else COLUMNS

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
        self._writer.writerow((*cells, self.rule_url(finding.code)) if self.docs_url else cells)

    def finish(self, summary: Summary) -> None:
        if self.statistics:
            self._writer.writerow(("count", "code", "name", "feeds"))
            for count, code, name in summary.statistics():
                self._writer.writerow((count, code, name, summary.feeds_with(code)))
        elif not self._header:
            self._writer.writerow(self.columns)
