"""`junit`: JUnit XML for CI test tabs (Jenkins, GitLab): a test suite per feed, a failing test case per finding.

A feed without findings gets one passing test case, so the CI shows it was audited. Text from the feed
is made safe to show (`feedaudit.report.safe.human`: one line, no controls, long values shortened),
and characters XML 1.0 cannot hold are replaced, so a broken feed never makes a broken report.
"""

from __future__ import annotations

import re
from itertools import groupby
from xml.etree import ElementTree as ET

from feedaudit.model import Finding
from feedaudit.report.base import Reporter, Summary
from feedaudit.report.safe import MESSAGE_LIMIT, human
from feedaudit.report.text import concise_line, offer_note

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _details(finding: Finding) -> str:
    lines = [concise_line(finding), f"severity: {finding.severity.value}"]
    for label, value in (
        ("field", finding.field),
        ("value", finding.value),
        ("expected", finding.expected),
        ("actual", finding.actual),
    ):
        if value is not None:
            lines.append(f"{label}: {human(value)}")
    return xml_text("\n".join(lines))


class JunitReporter(Reporter):
    name = "junit"
    media_type = "application/xml"
    extension = "xml"

    def finish(self, summary: Summary) -> None:
        by_source = {source: list(group) for source, group in groupby(self.sorted_findings(), key=lambda f: f.source)}
        sources = [feed.source for feed in summary.feeds] + [
            s for s in by_source if s not in {f.source for f in summary.feeds}
        ]
        root = ET.Element(
            "testsuites",
            name="feedaudit",
            tests=str(sum(max(len(by_source.get(s, [])), 1) for s in sources)),
            failures=str(summary.total),
            errors="0",
            time=f"{summary.elapsed:.3f}",
        )
        for source in sources:
            findings = by_source.get(source, [])
            suite = ET.SubElement(
                root,
                "testsuite",
                name=xml_text(human(source)),
                tests=str(max(len(findings), 1)),
                failures=str(len(findings)),
                errors="0",
            )
            if not findings:
                ET.SubElement(suite, "testcase", name="feedaudit", classname=xml_text(human(source)))
            for finding in findings:
                name = f"{finding.code} {finding.name}{offer_note(finding)}"
                case = ET.SubElement(
                    suite,
                    "testcase",
                    name=xml_text(name),
                    classname=xml_text(human(source)),
                    file=xml_text(human(source)),
                    line=str(finding.line or 0),
                )
                if finding.column:
                    case.set("column", str(finding.column))
                failure = ET.SubElement(
                    case, "failure", message=xml_text(human(finding.message, MESSAGE_LIMIT)), type=finding.code
                )
                failure.text = _details(finding)
        ET.indent(root)
        self.out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        self.out.write(ET.tostring(root, encoding="unicode") + "\n")
