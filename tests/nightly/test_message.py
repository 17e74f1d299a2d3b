"""The report message: headers, the text and HTML parts, the CSV attachment, escaping and neutralising."""

from __future__ import annotations

import csv
import io
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from feedaudit.history.delta import RunDelta
from feedaudit.model import Finding, Severity, fingerprint
from feedaudit.notify.message import CSV_COLUMNS, CSV_FILENAME, Shop, build_message, subject
from feedaudit.notify.settings import EmailSettings

SOURCE = "https://shop.example.ua/feed.xml"
SHOP = Shop("Побутова техніка <Дніпро>", (SOURCE,), 1234)


def finding(offer_id: str | None, code: str = "ID002", severity: Severity = Severity.ERROR, **extra: Any) -> Finding:
    return Finding(
        code=code,
        name={"ID002": "duplicate-offer-id", "PH001": "placeholder-price"}.get(code, "missing-offer-id"),
        severity=severity,
        message=extra.pop("message", f"offer id {offer_id!r} is used again"),
        source=SOURCE,
        line=extra.pop("line", 10),
        offer_id=offer_id,
        field="offer_id",
        fingerprint=fingerprint(SOURCE, offer_id, code, "offer_id"),
        **extra,
    )


MAIL = EmailSettings.model_validate(
    {"from": "audit@shop.example", "to": ["owner@shop.example", "ops@shop.example"], "worst-findings": 3}
)


def parse(message: EmailMessage) -> EmailMessage:
    parsed = BytesParser(policy=policy.default).parsebytes(message.as_bytes())
    assert isinstance(parsed, EmailMessage)
    return parsed


def parts(message: EmailMessage) -> tuple[str, str, list[dict[str, str]]]:
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    [attachment] = list(message.iter_attachments())
    assert text is not None
    assert html is not None
    assert isinstance(attachment, EmailMessage)
    assert attachment.get_filename() == CSV_FILENAME
    assert attachment.get_content_type() == "text/csv"
    rows = list(csv.DictReader(io.StringIO(attachment.get_content())))
    return text.get_content(), html.get_content(), rows


def delta() -> RunDelta:
    return RunDelta(
        run_id=7,
        new=[finding('=HYPERLINK("http://evil")'), finding("W1", "PH001", Severity.WARNING)],
        still_open=[finding("<script>alert(1)</script>"), finding("W2", "PH001", Severity.WARNING)],
        resolved=[finding("FIXED")],
        carried_over=[],
    )


def test_headers_and_structure() -> None:
    message = parse(build_message(SHOP, delta(), MAIL))
    assert message["From"] == "audit@shop.example"
    assert message["To"] == "owner@shop.example, ops@shop.example"
    assert message["Subject"] == "[feedaudit] Побутова техніка <Дніпро>: 2 new, 1 resolved, 4 open"
    assert message["Message-ID"].startswith("<")
    assert message["Message-ID"].endswith("@shop.example>")
    assert message["Date"]
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "multipart/mixed"
    alternative = next(iter(message.iter_parts()))
    assert alternative.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in alternative.iter_parts()] == ["text/plain", "text/html"]


def test_text_part_has_the_summary_and_the_worst_findings_first() -> None:
    text, _, _ = parts(parse(build_message(SHOP, delta(), MAIL)))
    assert "2 new, 1 resolved, 2 still open (4 open now)." in text
    assert "Run 7 at " in text
    assert "1 feed, 1,234 offers." in text
    table = [line.split() for line in text.splitlines() if line.startswith(("ID002", "PH001", "All"))]
    assert table == [
        ["ID002", "duplicate-offer-id", "error", "2", "1", "1"],
        ["PH001", "placeholder-price", "warning", "2", "1", "0"],
        ["All", "errors", "2", "1", "1"],
        ["All", "warnings", "2", "1", "0"],
    ]
    listed = text.split("Worst findings (3 of 4):\n")[1].split("\n\n")[0].splitlines()
    assert [line.split()[:3] for line in listed] == [
        ["NEW", "error", "ID002"],
        ["OPEN", "error", "ID002"],
        ["NEW", "warning", "PH001"],
    ]
    assert "Resolved (1 of 1):" in text
    assert "'FIXED'" in text
    assert f"Every finding is in the attached {CSV_FILENAME}." in text


def test_html_part_escapes_what_came_from_the_feed() -> None:
    _, html, _ = parts(parse(build_message(SHOP, delta(), MAIL)))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Побутова техніка &lt;Дніпро&gt;" in html
    assert "<th " in html
    assert ">Resolved</th>" in html
    assert html.count("<tr>") == 1 + 2 + 2 + 1 + 3 + 1 + 1  # summary, totals, worst, resolved tables


def test_csv_attachment_has_every_finding_with_its_status_and_no_formulas() -> None:
    _, _, rows = parts(parse(build_message(SHOP, delta(), MAIL)))
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert [(r["status"], r["code"], r["offer_id"]) for r in rows] == [
        ("new", "ID002", '\'=HYPERLINK("http://evil")'),
        ("new", "PH001", "W1"),
        ("open", "ID002", "<script>alert(1)</script>"),
        ("open", "PH001", "W2"),
        ("resolved", "ID002", "FIXED"),
    ]
    assert rows[0]["message"] == "offer id '=HYPERLINK(\"http://evil\")' is used again"
    assert rows[0]["line"] == "10"
    assert rows[0]["fingerprint"] == fingerprint(SOURCE, '=HYPERLINK("http://evil")', "ID002", "offer_id")


def test_csv_keeps_cyrillic() -> None:
    with_cyrillic = RunDelta(1, new=[finding("Ц-1", message="ціну уточнюйте")])
    _, _, rows = parts(parse(build_message(SHOP, with_cyrillic, MAIL)))
    assert rows[0]["offer_id"] == "Ц-1"
    assert rows[0]["message"] == "ціну уточнюйте"


def test_a_run_with_nothing_to_report_still_makes_a_readable_message() -> None:
    text, html, rows = parts(parse(build_message(SHOP, RunDelta(3), MAIL)))
    assert "No findings." in text
    assert "No findings." in html
    assert rows == []
    assert subject(SHOP, RunDelta(3), "") == "Побутова техніка <Дніпро>: 0 new, 0 resolved, 0 open"


def test_carried_over_findings_are_explained() -> None:
    outage = RunDelta(4, new=[finding(None, "FD003")], carried_over=[finding("A"), finding("B")])
    text, _, rows = parts(parse(build_message(SHOP, outage, MAIL)))
    assert "2 earlier findings of feeds that could not be read to the end stay open" in text
    assert [r["status"] for r in rows] == ["new", "unverified", "unverified"]


def test_per_source_split() -> None:
    other = Finding("ID001", "missing-offer-id", Severity.ERROR, "offer has no id", "other.xml", fingerprint="x")
    mixed = RunDelta(5, new=[finding("A"), other], resolved=[finding("B")])
    mine = mixed.for_source(SOURCE)
    theirs = mixed.for_source("other.xml")
    assert (len(mine.new), len(mine.resolved), mine.changed) == (1, 1, True)
    assert (theirs.new, theirs.resolved) == ([other], [])
    assert mixed.sources() == [SOURCE, "other.xml"]
