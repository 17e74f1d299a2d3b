"""`html`: one self-contained HTML page (inline style, no scripts, nothing fetched) for people.

A summary line and the counts per rule come first, then a table of findings per feed. Every piece of
text, most of which comes from the feed, is HTML-escaped.
"""

from __future__ import annotations

from html import escape
from itertools import groupby

from feedaudit._version import __version__
from feedaudit.model import Finding
from feedaudit.report.base import Reporter, Summary
from feedaudit.report.text import closing_line
from feedaudit.rules import registered_rules

STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem; color: #1b1b1b; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 2rem; word-break: break-all; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
th, td { text-align: left; vertical-align: top; padding: .3rem .5rem; border-bottom: 1px solid #ddd; }
th { background: #f4f4f4; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
code { font-size: .95em; } .value { color: #555; word-break: break-all; }
.error { color: #b00020; font-weight: 600; } .warning { color: #a05a00; font-weight: 600; } .info { color: #0b5394; }
""".strip()


def _e(text: object) -> str:
    return escape("" if text is None else str(text), quote=True)


def _finding_row(finding: Finding, link: str | None) -> str:
    rule = registered_rules().get(finding.code)
    code = _e(finding.code)
    if rule is not None:
        title = f"{rule.name}: feedaudit rules {rule.code}"
        code = (
            f'<a href="{_e(link)}" title="{_e(title)}">{code}</a>'
            if link
            else f'<abbr title="{_e(title)}">{code}</abbr>'
        )
    where = "" if not finding.line else str(finding.line) + (f":{finding.column}" if finding.column else "")
    detail = ""
    if finding.value is not None:
        detail = f'<div class="value">{_e(finding.field or "value")}: {_e(finding.value)}</div>'
    if finding.expected is not None or finding.actual is not None:
        detail += f'<div class="value">expected {_e(finding.expected)}, found {_e(finding.actual)}</div>'
    severity = finding.severity.value
    return (
        f'<tr><td class="num">{_e(where)}</td><td>{code}</td><td class="{severity}">{severity}</td>'
        f"<td>{_e(finding.message)}{detail}</td><td>{_e(finding.offer_id)}</td></tr>"
    )


class HtmlReporter(Reporter):
    name = "html"

    def finish(self, summary: Summary) -> None:
        parts = [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>feedaudit report</title><style>{STYLE}</style></head><body>",
            "<h1>feedaudit report</h1>",
            f"<p>{_e(closing_line(summary))}</p>",
        ]
        if summary.by_code:
            parts.append("<table><thead><tr><th>count</th><th>code</th><th>name</th><th>feeds</th></tr></thead><tbody>")
            parts += [
                f'<tr><td class="num">{count}</td><td>{_e(code)}</td><td><code>{_e(name)}</code></td>'
                f'<td class="num">{summary.feeds_with(code)}</td></tr>'
                for count, code, name in summary.statistics()
            ]
            parts.append("</tbody></table>")
        by_source = {source: list(group) for source, group in groupby(self.sorted_findings(), key=lambda f: f.source)}
        offers = {feed.source: feed.offers for feed in summary.feeds}
        for source in [*offers, *(s for s in by_source if s not in offers)]:
            rows = by_source.get(source, [])
            parts.append(f"<h2>{_e(source)}</h2>")
            count = offers.get(source)
            noun = "finding" if len(rows) == 1 else "findings"
            parts.append(f"<p>{'' if count is None else f'{count:,} offers, '}{len(rows):,} {noun}</p>")
            if not rows:
                continue
            parts.append(
                "<table><thead><tr><th>line</th><th>code</th><th>severity</th><th>message</th><th>offer</th></tr>"
                "</thead><tbody>"
            )
            parts += [_finding_row(finding, self.rule_url(finding.code)) for finding in rows]
            parts.append("</tbody></table>")
        parts.append(f"<footer><p>feedaudit {_e(__version__)}</p></footer></body></html>")
        self.out.write("\n".join(parts) + "\n")
