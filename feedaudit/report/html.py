"""`html`: one self-contained page a shop owner can forward: which products, what to fix, how bad.

The page opens with the shop, the feed (source, dialect, the date the feed gives itself) and the time
of the run, and the verdict in counts. "What to fix" follows: one row per rule that fired, worst
first, with its severity, a bar of its count and the rule's summary. Then "Products": every offer with
a finding, by name, id and line, worst first, each with its findings and the values at fault; what
concerns the feed as a whole comes before them.

Self-contained: inline style, no script, nothing fetched (no stylesheet, image or font); rule codes
link to the rules' documentation only when a docs URL is configured. Every piece of
text, most of which comes from the feed, is made safe to show (`feedaudit.report.safe.human`) and
HTML-escaped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape
from typing import TextIO

from feedaudit._version import __version__
from feedaudit.model import Finding, Severity
from feedaudit.report.base import FeedSummary, Reporter, Summary
from feedaudit.report.safe import MESSAGE_LIMIT, human
from feedaudit.report.text import closing_line
from feedaudit.rules import registered_rules

STYLE = """
:root { --error: #b3261e; --warning: #9a5b00; --info: #1f5fa8; --line: #e2e2e2; --muted: #5c5c5c; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #1b1b1b;
  background: #fafafa; }
main { max-width: 72rem; margin: 0 auto; padding: 1.5rem 2rem 3rem; background: #fff; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; } h2 { font-size: 1.15rem; margin: 2rem 0 .5rem; }
h3 { font-size: 1rem; margin: 1.5rem 0 .5rem; word-break: break-all; }
.meta { color: var(--muted); margin: .15rem 0; } .meta b { color: #1b1b1b; font-weight: 600; }
.verdict { font-size: 1.05rem; margin: 1rem 0 .5rem; }
.counts { display: flex; flex-wrap: wrap; gap: .75rem; margin: .75rem 0 0; padding: 0; list-style: none; }
.counts li { border: 1px solid var(--line); border-radius: 6px; padding: .4rem .9rem; min-width: 7.5rem; }
.counts .n { display: block; font-size: 1.4rem; font-weight: 700; font-variant-numeric: tabular-nums; }
.counts .error .n { color: var(--error); } .counts .warning .n { color: var(--warning); }
.counts .info .n { color: var(--info); }
table { border-collapse: collapse; width: 100%; margin: .25rem 0 1rem; }
th, td { text-align: left; vertical-align: top; padding: .35rem .5rem; border-bottom: 1px solid var(--line); }
th { background: #f3f3f3; font-weight: 600; white-space: nowrap; }
th.num, td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.barcell { width: 28%; } .bar { height: .8rem; border-radius: 2px; min-width: 2px; }
.bar.error, .sev.error { background: var(--error); } .bar.warning, .sev.warning { background: var(--warning); }
.bar.info, .sev.info { background: var(--info); }
.sev { display: inline-block; font-size: .75rem; font-weight: 700; text-transform: uppercase; letter-spacing: .03em;
  padding: .05rem .4rem; border-radius: 3px; color: #fff; white-space: nowrap; }
code { font: .9em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.product { font-weight: 600; } .muted { color: var(--muted); }
ul.findings { margin: 0; padding: 0; list-style: none; } ul.findings li { margin: 0 0 .35rem; }
.value { color: var(--muted); word-break: break-all; font-size: .92em; }
footer { color: var(--muted); margin-top: 2rem; font-size: .9em; }
@media print { body { background: #fff; } main { padding: 0; } }
""".strip()

_ORDER = (Severity.ERROR, Severity.WARNING, Severity.INFO)


def _e(text: object) -> str:
    return escape(human(text, MESSAGE_LIMIT), quote=True)


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


@dataclass(slots=True)
class _Product:
    """The findings of one offer (or of the feed itself, when `offer_id` and `name` are both None)."""

    offer_id: str | None
    name: str | None
    findings: list[Finding] = field(default_factory=list)

    @property
    def worst(self) -> Severity:
        return max((f.severity for f in self.findings), key=lambda s: s.rank)

    @property
    def line(self) -> int | None:
        return min((f.line for f in self.findings if f.line), default=None)

    @property
    def where(self) -> str:
        first = min((f for f in self.findings if f.line), key=lambda f: (f.line or 0, f.column or 0), default=None)
        if first is None:
            return ""
        return f"{first.line}:{first.column}" if first.column else str(first.line)


def _products(findings: Iterable[Finding]) -> tuple[_Product | None, list[_Product]]:
    """The feed's own findings, and one entry per offer, worst first then in feed order."""
    feed: _Product | None = None
    products: dict[tuple[str | None, str | None], _Product] = {}
    for finding in findings:
        if finding.offer_id is None and finding.offer_name is None:
            feed = feed or _Product(None, None)
            feed.findings.append(finding)
            continue
        key = (finding.offer_id, finding.offer_name)
        products.setdefault(key, _Product(*key)).findings.append(finding)
    ordered = sorted(products.values(), key=lambda p: (-p.worst.rank, p.line or 0, p.offer_id or ""))
    return feed, ordered


def _severity(severity: Severity) -> str:
    return f'<span class="sev {severity.value}">{severity.value}</span>'


def _finding_item(finding: Finding, link: str | None) -> str:
    rule = registered_rules().get(finding.code)
    title = f"{finding.name}: see `feedaudit rules {finding.code}`" if rule is not None else finding.name
    code = f'<code title="{_e(title)}">{_e(finding.code)}</code>'
    if link:
        code = f'<a href="{_e(link)}">{code}</a>'
    parts = [f"{_severity(finding.severity)} {code} {_e(finding.message)}"]
    if finding.value is not None:
        parts.append(f'<div class="value">{_e(finding.field or "value")}: {_e(finding.value)}</div>')
    if finding.expected is not None or finding.actual is not None:
        parts.append(f'<div class="value">expected {_e(finding.expected)}, found {_e(finding.actual)}</div>')
    if finding.detail:
        parts.append(f'<div class="value">parser: {_e(finding.detail)}</div>')
    return "<li>" + "".join(parts) + "</li>"


class HtmlReporter(Reporter):
    name = "html"
    media_type = "text/html; charset=utf-8"
    extension = "html"

    def __init__(
        self, out: TextIO, *, statistics: bool = False, verbose: bool = False, docs_url: str | None = None
    ) -> None:
        super().__init__(out, statistics=statistics, verbose=verbose, docs_url=docs_url)
        self.started_at = datetime.now(UTC)

    def finish(self, summary: Summary) -> None:
        by_source: dict[str, list[Finding]] = {}
        for finding in self.sorted_findings():
            by_source.setdefault(finding.source, []).append(finding)
        feeds = {feed.source: feed for feed in summary.feeds}
        sources = [*feeds, *(s for s in by_source if s not in feeds)]
        parts = [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{_e(self._title(summary))}</title><style>{STYLE}</style></head><body><main>",
            *self._header(summary),
            *self._fixes(summary),
            '<h2 id="products">Products</h2>' if summary.total else "",
        ]
        for source in sources:
            parts += self._feed_section(source, feeds.get(source), by_source.get(source, []), many=len(sources) > 1)
        parts.append(
            f"<footer><p>feedaudit {_e(__version__)} · the documentation of a rule: "
            "<code>feedaudit rules CODE</code></p></footer></main></body></html>"
        )
        self.out.write("\n".join(p for p in parts if p) + "\n")

    @staticmethod
    def _title(summary: Summary) -> str:
        names = [f.shop_name or f.source for f in summary.feeds]
        return "feedaudit report" + (f": {names[0]}" if len(names) == 1 else "")

    def _header(self, summary: Summary) -> list[str]:
        parts = ["<header>", f"<h1>{_e(self._title(summary))}</h1>"]
        for feed in summary.feeds:
            facts = [f"<b>{_e(feed.shop_name)}</b>" if feed.shop_name else "", f"<code>{_e(feed.source)}</code>"]
            if feed.dialect:
                facts.append(
                    _e(feed.dialect + (f" ({feed.flavour})" if feed.flavour and feed.flavour != feed.dialect else ""))
                )
            if feed.feed_date:
                facts.append(f"feed dated <b>{_e(feed.feed_date)}</b>")
            facts.append(_count(feed.offers, "offer"))
            parts.append(f'<p class="meta">Feed: {" · ".join(f for f in facts if f)}</p>')
        run = self.started_at.strftime("%Y-%m-%d %H:%M UTC")
        parts.append(f'<p class="meta">Audited <b>{_e(run)}</b> in {summary.elapsed:.1f} s</p>')
        parts.append(f'<p class="verdict">{_e(closing_line(summary))}</p>')
        if summary.total:
            offers_hit = len(
                {(f.source, f.offer_id, f.offer_name) for f in self.findings if f.offer_id or f.offer_name}
            )
            cards = [
                f'<li class="{s.value}"><span class="n">{summary.by_severity[s.value]:,}</span>'
                f"{'errors' if s is Severity.ERROR else 'warnings' if s is Severity.WARNING else 'info'}</li>"
                for s in _ORDER
            ]
            cards.append(
                f'<li><span class="n">{offers_hit:,}</span>of {_count(summary.offers, "offer")} with a finding</li>'
            )
            parts.append(f'<ul class="counts">{"".join(cards)}</ul>')
        parts.append("</header>")
        return parts

    def _fixes(self, summary: Summary) -> list[str]:
        if not summary.by_code:
            return []
        worst: dict[str, Severity] = {}
        for finding in self.findings:
            if finding.code not in worst or finding.severity.rank > worst[finding.code].rank:
                worst[finding.code] = finding.severity
        rows = sorted(summary.statistics(), key=lambda row: (-worst.get(row[1], Severity.INFO).rank, -row[0], row[1]))
        top = max(count for count, _, _ in rows)
        catalogue = registered_rules()
        many = len(summary.feeds) > 1
        parts = [
            '<h2 id="fix">What to fix</h2>',
            "<table><thead><tr><th>severity</th><th>rule</th><th>what is wrong</th>"
            '<th class="num">findings</th><th></th>'
            + ('<th class="num">feeds</th>' if many else "")
            + "</tr></thead><tbody>",
        ]
        for count, code, name in rows:
            severity = worst.get(code, Severity.INFO)
            rule = catalogue.get(code)
            width = max(1.0, 100.0 * count / top)
            parts.append(
                f"<tr><td>{_severity(severity)}</td><td><code>{_e(code)}</code><br>"
                f'<span class="muted">{_e(name)}</span></td><td>{_e(rule.summary if rule else name)}</td>'
                f'<td class="num">{count:,}</td>'
                f'<td class="barcell"><div class="bar {severity.value}" style="width: {width:.1f}%"></div></td>'
                + (f'<td class="num">{summary.feeds_with(code)}</td>' if many else "")
                + "</tr>"
            )
        parts.append("</tbody></table>")
        return parts

    def _feed_section(self, source: str, feed: FeedSummary | None, findings: list[Finding], *, many: bool) -> list[str]:
        parts = []
        if many:
            heading = f"{feed.shop_name} · {source}" if feed is not None and feed.shop_name else source
            parts.append(f"<h3>{_e(heading)}</h3>")
        if not findings:
            parts.append('<p class="muted">No findings.</p>' if many else "")
            return parts
        whole, products = _products(findings)
        if whole is not None:
            label = "The feed as a whole" if feed is not None else "Findings"  # no feed: live pages on their own
            parts.append(f"<p><b>{label}</b></p>")
            parts.append('<table><thead><tr><th class="num">line</th><th>findings</th></tr></thead><tbody>')
            for finding in whole.findings:
                where = f"{finding.line}:{finding.column}" if finding.line and finding.column else finding.line or ""
                item = _finding_item(finding, self.rule_url(finding.code))
                parts.append(f'<tr><td class="num">{_e(where)}</td><td><ul class="findings">{item}</ul></td></tr>')
            parts.append("</tbody></table>")
        if products:
            parts.append(
                f'<p class="muted">{_count(len(products), "product")} with findings, the worst first.</p>'
                "<table><thead><tr><th>product</th><th>offer id</th>"
                '<th class="num">line</th><th>findings</th></tr></thead><tbody>'
            )
            for product in products:
                name = (
                    f'<span class="product">{_e(product.name)}</span>'
                    if product.name
                    else '<span class="muted">(no name)</span>'
                )
                offer_id = (
                    f"<code>{_e(product.offer_id)}</code>"
                    if product.offer_id is not None
                    else '<span class="muted">(none)</span>'
                )
                items = "".join(_finding_item(f, self.rule_url(f.code)) for f in product.findings)
                parts.append(
                    f'<tr><td>{name}</td><td>{offer_id}</td><td class="num">{_e(product.where)}</td>'
                    f'<td><ul class="findings">{items}</ul></td></tr>'
                )
            parts.append("</tbody></table>")
        return parts
