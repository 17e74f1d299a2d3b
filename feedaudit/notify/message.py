"""The report e-mail of a run (or of one shop's feeds): text and HTML parts, and every finding as CSV.

The message is `multipart/mixed[ multipart/alternative[text/plain, text/html], text/csv ]`, built with
`email.message.EmailMessage` in that order (`set_content`, `add_alternative`, `add_attachment`).
Both bodies carry the same content: a summary table (counts by rule and severity, open / new /
resolved) and the worst findings; the CSV attachment holds every finding with its status, written
by the report's own CSV writer (`feedaudit.report.csv.SafeCsvWriter`: every cell quoted, formulas
neutralised). Everything taken from a feed goes through `feedaudit.report.safe` first: headers are
built only from `header` text (one line, shortened: a shop name with CR/LF cannot add a header or
stop the message), the bodies from `human` text (then HTML-escaped in the HTML part).
"""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from feedaudit.history.delta import RunDelta
from feedaudit.model import Finding, Severity
from feedaudit.notify.settings import EmailSettings
from feedaudit.report.csv import SafeCsvWriter
from feedaudit.report.safe import MESSAGE_LIMIT, header, human, one_line

CSV_FILENAME = "feedaudit-findings.csv"
CSV_COLUMNS = (
    "status",
    "severity",
    "code",
    "name",
    "source",
    "line",
    "offer_id",
    "field",
    "message",
    "value",
    "expected",
    "actual",
    "url",
    "fingerprint",
)
_SEVERITIES = (Severity.ERROR, Severity.WARNING, Severity.INFO)


@dataclass(frozen=True, slots=True)
class Shop:
    """Whom a message is about: a display name and the feeds it covers."""

    name: str
    sources: tuple[str, ...]
    offers: int


@dataclass(frozen=True, slots=True)
class _Row:
    """One line of the summary table."""

    code: str
    name: str
    severity: str
    open: int
    new: int
    resolved: int


@dataclass(frozen=True, slots=True)
class _Listed:
    status: str
    finding: Finding


def subject(shop: Shop, delta: RunDelta, prefix: str = "[feedaudit]") -> str:
    counts = f"{len(delta.new)} new, {len(delta.resolved)} resolved, {len(delta.current)} open"
    return one_line(f"{prefix} {header(shop.name)}: {counts}".strip())


def build_message(
    shop: Shop,
    delta: RunDelta,
    settings: EmailSettings,
    *,
    started: datetime | None = None,
) -> EmailMessage:
    """The complete message for `shop`, addressed as `settings` say, ready to send or to store."""
    if settings.sender is None or not settings.to:
        raise ValueError("a report e-mail needs [email] from and to")
    started = started or datetime.now(UTC)
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = ", ".join(settings.recipients(shop.sources))
    message["Subject"] = subject(shop, delta, settings.subject_prefix)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid("feedaudit", domain=settings.sender.rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"
    message["X-Feedaudit-Run"] = str(delta.run_id)
    rows = summary_rows(delta)
    listed = worst_findings(delta, settings.worst_findings)
    message.set_content(text_body(shop, delta, rows, listed, started))
    message.add_alternative(html_body(shop, delta, rows, listed, started), subtype="html")
    message.add_attachment(findings_csv(delta), subtype="csv", filename=CSV_FILENAME)
    return message


# -- content ---------------------------------------------------------------------------------------


def summary_rows(delta: RunDelta) -> list[_Row]:
    """Counts per rule (with its severity): open now, new this run, resolved this run."""
    counts: dict[tuple[str, str, str], list[int]] = {}
    for column, findings in enumerate((delta.current, delta.new, delta.resolved)):
        for f in findings:
            counts.setdefault((f.code, f.name, f.severity.value), [0, 0, 0])[column] += 1
    rank = {s.value: s.rank for s in Severity}
    ordered = sorted(counts.items(), key=lambda item: (-rank[item[0][2]], item[0][0]))
    return [_Row(code, name, severity, *numbers) for (code, name, severity), numbers in ordered]


def severity_totals(rows: Sequence[_Row]) -> list[_Row]:
    totals = []
    for severity in _SEVERITIES:
        mine = [r for r in rows if r.severity == severity.value]
        if mine:
            totals.append(
                _Row(
                    "",
                    f"{severity.value}s" if severity is not Severity.INFO else "info",
                    severity.value,
                    sum(r.open for r in mine),
                    sum(r.new for r in mine),
                    sum(r.resolved for r in mine),
                )
            )
    return totals


def worst_findings(delta: RunDelta, limit: int) -> list[_Listed]:
    """The `limit` worst current findings: highest severity first, new before still open."""
    candidates = [_Listed("new", f) for f in delta.new] + [_Listed("open", f) for f in delta.still_open]
    candidates.sort(key=lambda item: (-item.finding.severity.rank, item.status != "new", item.finding.sort_key))
    return candidates[:limit]


def _where(finding: Finding) -> str:
    return f"{human(finding.source)}:{finding.line}" if finding.line else human(finding.source)


def _text_line(finding: Finding) -> str:
    offer = f" [offer {human(finding.offer_id)}]" if finding.offer_id is not None else ""
    return f"{finding.severity.value:<7}  {finding.code}  {_where(finding)}  {_message(finding)}{offer}"


def _message(finding: Finding) -> str:
    return human(finding.message, MESSAGE_LIMIT)


def _headline(shop: Shop, delta: RunDelta) -> str:
    return (
        f"{len(delta.new)} new, {len(delta.resolved)} resolved, {len(delta.still_open)} still open "
        f"({len(delta.current)} open now)."
    )


def _scope(shop: Shop, run_id: int, started: datetime) -> str:
    feeds = len(shop.sources)
    when = started.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"Run {run_id} at {when}: {feeds} feed{'s' if feeds != 1 else ''}, {shop.offers:,} offers."


def text_body(shop: Shop, delta: RunDelta, rows: Sequence[_Row], listed: Sequence[_Listed], started: datetime) -> str:
    lines = [f"feedaudit report for {human(shop.name)}", _scope(shop, delta.run_id, started)]
    lines += [f"  {human(source)}" for source in shop.sources]
    lines += ["", _headline(shop, delta), ""]
    if rows:
        width = max(len(f"{human(r.code)} {human(r.name)}") for r in rows)
        width = max(width, len("Rule"))
        lines.append(f"{'Rule':<{width}}  {'Severity':<8}  {'Open':>5}  {'New':>5}  {'Resolved':>8}")
        for r in [*rows, *severity_totals(rows)]:
            label = f"{human(r.code)} {human(r.name)}" if r.code else f"All {r.name}"
            severity = r.severity if r.code else ""
            lines.append(f"{label:<{width}}  {severity:<8}  {r.open:>5}  {r.new:>5}  {r.resolved:>8}")
        lines.append("")
    else:
        lines += ["No findings.", ""]
    if listed:
        lines.append(f"Worst findings ({len(listed)} of {len(delta.current)}):")
        lines += [f"  {item.status.upper():<4}  {_text_line(item.finding)}" for item in listed]
        lines.append("")
    if delta.resolved:
        shown = delta.resolved[: max(len(listed), 10)]
        lines.append(f"Resolved ({len(shown)} of {len(delta.resolved)}):")
        lines += [f"  {_text_line(f)}" for f in shown]
        lines.append("")
    if delta.carried_over:
        lines += [_carried_note(delta), ""]
    lines.append(f"Every finding is in the attached {CSV_FILENAME}.")
    return "\n".join(lines) + "\n"


def _carried_note(delta: RunDelta) -> str:
    n = len(delta.carried_over)
    return (
        f"{n} earlier finding{'s' if n != 1 else ''} of feeds that could not be read to the end "
        "stay open until those feeds can be read again."
    )


_STYLE_TABLE = 'style="border-collapse:collapse;font-family:sans-serif;font-size:14px"'
_STYLE_CELL = 'style="border:1px solid #ccc;padding:4px 8px"'
_STYLE_NUM = 'style="border:1px solid #ccc;padding:4px 8px;text-align:right"'


def _cells(values: Sequence[object], *, numeric_from: int | None = None, tag: str = "td") -> str:
    parts = []
    for i, value in enumerate(values):
        style = _STYLE_NUM if numeric_from is not None and i >= numeric_from else _STYLE_CELL
        parts.append(f"<{tag} {style}>{html.escape(human(value, MESSAGE_LIMIT))}</{tag}>")
    return "<tr>" + "".join(parts) + "</tr>"


def html_body(shop: Shop, delta: RunDelta, rows: Sequence[_Row], listed: Sequence[_Listed], started: datetime) -> str:
    e = html.escape
    out = [
        "<!DOCTYPE html>",
        '<html><head><meta charset="utf-8"></head><body style="font-family:sans-serif">',
        f"<h2>feedaudit report for {e(human(shop.name))}</h2>",
        f"<p>{e(_scope(shop, delta.run_id, started))}<br>{'<br>'.join(e(human(s)) for s in shop.sources)}</p>",
        f"<p><strong>{e(_headline(shop, delta))}</strong></p>",
    ]
    if rows:
        out.append(f"<table {_STYLE_TABLE}>")
        out.append(_cells(("Rule", "Name", "Severity", "Open", "New", "Resolved"), tag="th"))
        out += [_cells((r.code, r.name, r.severity, r.open, r.new, r.resolved), numeric_from=3) for r in rows]
        out += [_cells(("All", r.name, "", r.open, r.new, r.resolved), numeric_from=3) for r in severity_totals(rows)]
        out.append("</table>")
    else:
        out.append("<p>No findings.</p>")
    if listed:
        out.append(f"<h3>Worst findings ({len(listed)} of {len(delta.current)})</h3>")
        out.append(f"<table {_STYLE_TABLE}>")
        out.append(_cells(("Status", "Severity", "Rule", "Where", "Offer", "Message"), tag="th"))
        for item in listed:
            f = item.finding
            out.append(_cells((item.status, f.severity.value, f.code, _where(f), f.offer_id or "", f.message)))
        out.append("</table>")
    if delta.resolved:
        shown = delta.resolved[: max(len(listed), 10)]
        out.append(f"<h3>Resolved ({len(shown)} of {len(delta.resolved)})</h3>")
        out.append(f"<table {_STYLE_TABLE}>")
        out.append(_cells(("Severity", "Rule", "Where", "Offer", "Message"), tag="th"))
        out += [_cells((f.severity.value, f.code, _where(f), f.offer_id or "", f.message)) for f in shown]
        out.append("</table>")
    if delta.carried_over:
        out.append(f"<p>{e(_carried_note(delta))}</p>")
    out.append(f"<p>Every finding is in the attached <code>{CSV_FILENAME}</code>.</p>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def findings_csv(delta: RunDelta) -> str:
    """Every finding of the run with its status (new, open, resolved, unverified), as CSV text."""
    buffer = io.StringIO()
    writer = SafeCsvWriter(buffer)
    writer.writerow(CSV_COLUMNS)
    groups = (("new", delta.new), ("open", delta.still_open), ("resolved", delta.resolved))
    for status, findings in (*groups, ("unverified", delta.carried_over)):
        for f in sorted(findings, key=lambda x: x.sort_key):
            writer.writerow(
                (
                    status,
                    f.severity.value,
                    f.code,
                    f.name,
                    f.source,
                    f.line,
                    f.offer_id,
                    f.field,
                    f.message,
                    f.value,
                    f.expected,
                    f.actual,
                    f.url,
                    f.fingerprint,
                )
            )
    return buffer.getvalue()
