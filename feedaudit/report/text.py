"""Human-readable outputs: `concise` (one line per finding, streamed) and `grouped` (by source).

Every piece of text from a feed goes through `feedaudit.report.safe.human`: one physical line per
finding, nothing a terminal would act on, long values shortened.
"""

from __future__ import annotations

from itertools import groupby

from feedaudit.model import Finding
from feedaudit.report.base import Reporter, Summary
from feedaudit.report.safe import MESSAGE_LIMIT, human


def concise_line(finding: Finding) -> str:
    """`source:line[:column]: CODE [severity] message [offer id]`: ruff's concise shape, plus the severity
    (which a marketplace profile or the configuration may change from the rule's default)."""
    where = human(finding.source)
    if finding.line:
        where += f":{finding.line}"
        if finding.column:
            where += f":{finding.column}"
    message = human(finding.message, MESSAGE_LIMIT)
    return f"{where}: {finding.code} [{finding.severity.value}] {message}{offer_note(finding)}"


def offer_note(finding: Finding) -> str:
    """` [offer ID]` (made safe to show), or nothing for a finding without an offer."""
    return "" if finding.offer_id is None else f" [offer {human(finding.offer_id)}]"


def statistics_lines(summary: Summary) -> list[str]:
    """ruff's `count<TAB>code<TAB>name`; over several feeds a fourth column says in how many feeds."""
    if not summary.by_code:
        return []
    width = max(len(str(count)) for count, _, _ in summary.statistics())
    many = len(summary.feeds) > 1
    return [
        f"{count:>{width}}\t{human(code)}\t{human(name)}" + (f"\t{_feeds(summary.feeds_with(code))}" if many else "")
        for count, code, name in summary.statistics()
    ]


def _feeds(n: int) -> str:
    return f"{n} feed" if n == 1 else f"{n} feeds"


def closing_line(summary: Summary) -> str:
    feeds = len(summary.feeds)
    offers = summary.offers
    scope = f"{offers:,} offer{'s' if offers != 1 else ''} in {feeds} feed{'s' if feeds != 1 else ''}"
    if summary.pages and not feeds:
        scope = f"{summary.pages:,} page{'s' if summary.pages != 1 else ''}"
    if not summary.total:
        return f"All checks passed: {scope}.{baseline_note(summary)}"
    parts = [
        f"{n} {s}{'s' if n != 1 and s != 'info' else ''}"
        for s in ("error", "warning", "info")
        if (n := summary.by_severity[s])
    ]
    noun = "problem" if summary.total == 1 else "problems"
    return f"Found {summary.total:,} {noun} ({', '.join(parts)}) in {scope}.{baseline_note(summary)}"


def baseline_note(summary: Summary) -> str:
    n = summary.baseline_suppressed
    return f" {n:,} known {'finding' if n == 1 else 'findings'} left out (baseline)." if n else ""


class ConciseReporter(Reporter):
    name = "concise"
    streaming = True
    has_statistics = True

    def add(self, finding: Finding) -> None:
        if not self.statistics:
            self.out.write(concise_line(finding) + "\n")
            if self.verbose and finding.detail:
                self.out.write(f"    detail: {finding.detail}\n")

    def finish(self, summary: Summary) -> None:
        if self.statistics:
            for line in statistics_lines(summary):
                self.out.write(line + "\n")
        self.out.write(closing_line(summary) + "\n")


class GroupedReporter(Reporter):
    name = "grouped"
    has_statistics = True

    def add(self, finding: Finding) -> None:
        if not self.statistics:  # `--statistics` prints the counts instead of the findings
            super().add(finding)

    def finish(self, summary: Summary) -> None:
        for source, findings in groupby(self.sorted_findings(), key=lambda f: f.source):
            self.out.write(f"{human(source)}:\n")
            for finding in findings:
                where = f"{finding.line}" if finding.line else "-"
                if finding.column:
                    where += f":{finding.column}"
                message = human(finding.message, MESSAGE_LIMIT)
                self.out.write(
                    f"  {where:>8} {finding.code} [{finding.severity.value}] {message}{offer_note(finding)}\n"
                )
                if self.verbose and finding.detail:
                    self.out.write(f"  {'':>8} detail: {human(finding.detail, MESSAGE_LIMIT)}\n")
            self.out.write("\n")
        if self.statistics:
            for line in statistics_lines(summary):
                self.out.write(line + "\n")
        self.out.write(closing_line(summary) + "\n")
