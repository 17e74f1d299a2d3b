"""`github`: GitHub Actions workflow commands, one annotation per finding (`::error file=…,line=…::…`).

Severities map to `error`, `warning` and `notice`. Property values and messages are escaped as the
workflow-command syntax requires, after the text from the feed is made safe to show
(`feedaudit.report.safe.human`: one line, no controls, long values shortened). When
`GITHUB_STEP_SUMMARY` names a file (as it does inside a GitHub Actions job), a Markdown summary of the
run (counts per rule) is appended to it, because GitHub shows only a limited number of annotations per step.
"""

from __future__ import annotations

import os
from pathlib import Path

from feedaudit.model import Finding, Severity
from feedaudit.report.base import Reporter, Summary
from feedaudit.report.safe import MESSAGE_LIMIT, human
from feedaudit.report.text import closing_line, offer_note

LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(finding: Finding) -> str:
    properties = [f"file={escape_property(human(finding.source))}"]
    if finding.line:
        properties.append(f"line={finding.line}")
        if finding.column:
            properties.append(f"col={finding.column}")
    properties.append(f"title={escape_property(f'{finding.code} {finding.name}')}")
    message = human(finding.message, MESSAGE_LIMIT) + offer_note(finding)
    return f"::{LEVELS[finding.severity]} {','.join(properties)}::{escape_data(message)}"


class GithubReporter(Reporter):
    name = "github"
    streaming = True

    def add(self, finding: Finding) -> None:
        self.out.write(annotation(finding) + "\n")

    def finish(self, summary: Summary) -> None:
        target = os.environ.get("GITHUB_STEP_SUMMARY")
        if target:
            with Path(target).open("a", encoding="utf-8") as out:
                out.write(step_summary(summary))


def step_summary(summary: Summary) -> str:
    lines = ["### feedaudit", "", closing_line(summary), ""]
    if summary.by_code:
        lines += ["| count | code | name | feeds |", "|---:|---|---|---:|"]
        lines += [
            f"| {count} | {human(code)} | `{human(name)}` | {summary.feeds_with(code)} |"
            for count, code, name in summary.statistics()
        ]
        lines.append("")
    return "\n".join(lines) + "\n"
