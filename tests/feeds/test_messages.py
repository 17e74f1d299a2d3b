"""Parser errors in plain words, with the parser's own text kept as the detail (json, --verbose)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from feedaudit.cli import main
from feedaudit.feeds.messages import plain_message
from feedaudit.feeds.xmlstream import RecordStream
from feedaudit.model import FeedIssue

HEAD = b"<yml_catalog><shop><offers>\n"
TAIL = b"</offers></shop></yml_catalog>\n"


def _issues(body: bytes, *, head: bytes = HEAD) -> list[FeedIssue]:
    records = RecordStream(io.BytesIO(head + body + TAIL), "feed.xml", ("offer",))
    issues = []
    for item in records:
        if isinstance(item, FeedIssue):
            issues.append(item)
        else:
            records.release(item)
    return issues


# (what is broken, the offers, words the first issue's message must hold)
CASES = [
    ("bare ampersand", b'<offer id="1"><name>Tom & Jerry</name></offer>\n', ["a bare '&'", "'&amp;'"]),
    ("undeclared html entity", b'<offer id="1"><name>Sony&reg; TV</name></offer>\n', ["'&reg;'", "(®)", "'&#174;'"]),
    ("mismatched tag", b'<offer id="1"><name>Cup</nam></offer>\n', ["<name>", "line 2", "</nam>"]),
    ("control character", b'<offer id="1"><name>Cup\x0b</name></offer>\n', ["control character", "code 11"]),
    ("attribute without value", b"<offer id><name>Cup</name></offer>\n", ["attribute 'id' has no value"]),
    ("unquoted attribute", b"<offer id=1><name>Cup</name></offer>\n", ["without quotes"]),
    ("attribute given twice", b'<offer id="1" id="2"><name>Cup</name></offer>\n', ["'id' is given twice"]),
    ("less-than in text", b'<offer id="1"><name>1 < 2</name></offer>\n', ["a '<' that does not start"]),
    ("cdata never closed", b'<offer id="1"><name><![CDATA[Cup</name></offer>\n', ["never closed with ']]>'"]),
]


@pytest.mark.parametrize(("body", "words"), [(body, words) for _, body, words in CASES], ids=[c[0] for c in CASES])
def test_parser_errors_are_said_plainly_and_keep_the_parser_text(body: bytes, words: list[str]) -> None:
    issues = _issues(body)
    assert issues, "the broken feed gave no issue"
    first = issues[0]
    for word in words:
        assert word in first.message, first
    assert first.line is not None
    assert first.line >= 2
    assert first.detail  # libxml2's own words, whatever the release says
    assert first.detail not in first.message
    assert "xmlParse" not in first.message
    assert "EntityRef" not in first.message


def test_a_cut_off_feed_says_so() -> None:
    records = RecordStream(
        io.BytesIO(HEAD + b'<offer id="1"><name>Cup</name></offer>\n<offer id="2"><na'), "f", ("offer",)
    )
    messages = [item.message for item in records if isinstance(item, FeedIssue)]
    assert any("it looks cut off" in message for message in messages), messages


def test_bytes_in_another_encoding_are_explained() -> None:
    head = b'<?xml version="1.0" encoding="UTF-8"?>\n' + HEAD
    issues = _issues('<offer id="1"><name>Ковдра</name></offer>\n'.encode("windows-1251"), head=head)
    assert issues
    assert "invalid bytes" in issues[0].message
    assert "another encoding than its <?xml … encoding=…?> says" in issues[0].message


def test_an_unknown_kind_keeps_the_parser_text_behind_a_plain_lead_in() -> None:
    assert plain_message("ERR_SOMETHING_NEW", "Something odd happened") == (
        "the feed is not well-formed XML here (the parser says: something odd happened)"
    )
    assert plain_message(None, None).startswith("the feed is not well-formed XML here")


def test_json_carries_the_detail_and_verbose_text_shows_it(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_bytes(HEAD + b'<offer id="1"><price>1</price><name>Tom & Jerry</name></offer>\n' + TAIL)
    result = CliRunner().invoke(main, ["check", str(feed), "--select", "FD001", "--output-format", "json", "-q"])
    [finding] = json.loads(result.stdout)["findings"]
    assert finding["message"].startswith("a bare '&' in the text")
    assert finding["detail"] == "xmlParseEntityRef: no name"

    plain = CliRunner().invoke(main, ["check", str(feed), "--select", "FD001", "-q"]).stdout
    assert "a bare '&'" in plain
    assert "xmlParseEntityRef" not in plain
    verbose = CliRunner().invoke(main, ["check", str(feed), "--select", "FD001", "-q", "--verbose"]).stdout.splitlines()
    at = next(n for n, line in enumerate(verbose) if "FD001" in line)
    assert verbose[at + 1] == "    detail: xmlParseEntityRef: no name"
