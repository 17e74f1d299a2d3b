"""Broken and hostile feeds: every one is a finding with a location, never a traceback or a leak."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from feedaudit.cli import main
from feedaudit.model import FeedIssueKind
from tests.feeds.conftest import read, yml
from tests.loopback import Route, serve


def test_truncated_feed_reports_line_and_column_and_keeps_the_offers(feeds_dir: Path) -> None:
    got = read(feeds_dir / "broken" / "truncated.xml")
    assert [(i.kind, i.line, i.column) for i in got.issues] == [
        (FeedIssueKind.NOT_WELL_FORMED, 7, 89),  # the bare "&"
        (FeedIssueKind.NOT_WELL_FORMED, 8, 80),
        (FeedIssueKind.NOT_WELL_FORMED, 8, 80),
    ]
    assert [(o.offer_id, o.line, o.price_text) for o in got.offers] == [
        ("1", 6, "100"),
        ("2", 7, "200"),
        ("3", 8, "300"),
    ]


def test_empty_file(feeds_dir: Path) -> None:
    got = read(feeds_dir / "broken" / "empty.xml")
    assert [(i.kind, i.line) for i in got.issues] == [(FeedIssueKind.NOT_WELL_FORMED, 1)]
    assert not got.offers


def test_feed_without_offers_has_no_issue_but_no_offers(feeds_dir: Path) -> None:
    got = read(feeds_dir / "broken" / "no-offers.xml")
    assert (got.issues, got.offers, got.feed.dialect) == ([], [], got.feed.dialect)
    result = CliRunner().invoke(main, ["check", str(feeds_dir / "broken" / "no-offers.xml"), "--select", "FD"])
    assert "FD005" in result.stdout


def test_sitemap_names_its_root(feeds_dir: Path) -> None:
    got = read(feeds_dir / "broken" / "sitemap.xml")
    assert [i.kind for i in got.issues] == [FeedIssueKind.UNKNOWN_DIALECT]
    assert "{http://www.sitemaps.org/schemas/sitemap/0.9}urlset" in got.issues[0].message


def test_declared_windows_1251_over_utf8(feeds_dir: Path) -> None:
    got = read(feeds_dir / "broken" / "declared-cp1251-is-utf8.xml")
    assert [(i.kind, i.line) for i in got.issues] == [(FeedIssueKind.ENCODING, 1)]
    assert "windows-1251" in got.issues[0].message
    assert len(got.offers) == 1


def test_declared_utf8_over_windows_1251(feeds_dir: Path) -> None:
    got = read(feeds_dir / "broken" / "declared-utf8-is-cp1251.xml")
    assert [(i.kind, i.line) for i in got.issues] == [(FeedIssueKind.ENCODING, 4)]
    assert [o.offer_id for o in got.offers] == ["1"]


def test_utf8_bom_is_accepted(write_feed: Callable[..., Path]) -> None:
    path = write_feed(
        "\ufeff" + '<?xml version="1.0" encoding="UTF-8"?>\n' + yml('<offer id="1"><price>1</price></offer>')
    )
    got = read(path)
    assert not got.issues
    assert [(o.offer_id, o.line) for o in got.offers] == [("1", 3)]


def test_html_error_page_is_an_unknown_dialect(write_feed: Callable[..., Path]) -> None:
    got = read(write_feed("<!DOCTYPE html>\n<html><body><h1>502 Bad Gateway</h1></body></html>\n"))
    assert [i.kind for i in got.issues] == [FeedIssueKind.UNKNOWN_DIALECT]
    assert "<html>" in got.issues[0].message


@pytest.mark.parametrize("root", ["rss", 'feed xmlns="http://www.w3.org/2005/Atom"'])
def test_google_feed_without_the_g_namespace_says_what_to_add(write_feed: Callable[..., Path], root: str) -> None:
    name = root.split(maxsplit=1)[0]
    got = read(
        write_feed(
            f'<?xml version="1.0"?>\n<{root}>\n<channel><item><g:id>1</g:id><g:price>10 UAH</g:price></item>'
            f"</channel>\n</{name}>\n"
        )
    )
    assert [(i.kind, i.line) for i in got.issues] == [(FeedIssueKind.UNKNOWN_DIALECT, 1)]
    assert "<g:id> uses the prefix g: that no xmlns:g declares" in got.issues[0].message
    assert 'xmlns:g="http://base.google.com/ns/1.0"' in got.issues[0].message
    assert not got.offers


def test_not_xml_at_all(write_feed: Callable[..., Path]) -> None:
    got = read(write_feed("id;price\n1;10\n"))
    assert [i.kind for i in got.issues] == [FeedIssueKind.NOT_WELL_FORMED]


def test_billion_laughs_is_a_finding_and_ends(feeds_dir: Path) -> None:
    got = read(feeds_dir / "broken" / "billion-laughs.xml")
    assert [i.kind for i in got.issues] == [FeedIssueKind.HOSTILE]
    assert "amplification" in got.issues[0].message
    assert all(len(o.name or "") < 1000 for o in got.offers)


@pytest.mark.parametrize("output_format", ["concise", "json", "csv", "sarif", "html", "junit", "github"])
def test_xxe_never_reads_the_local_file(tmp_path: Path, output_format: str) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET-7f3a9c", "utf-8")
    feed = tmp_path / "xxe.xml"
    feed.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<!DOCTYPE yml_catalog [<!ENTITY secret SYSTEM "{secret.as_uri()}">\n'
        f'<!ENTITY % remote SYSTEM "{secret.as_uri()}"> %remote;]>\n'
        "<yml_catalog><shop><name>&secret;</name><offers>\n"
        '<offer id="1"><price>10</price><name>Leak &secret; here</name><description>&secret;</description></offer>\n'
        '<offer id="1"><price>&secret;</price></offer>\n'
        "</offers></shop></yml_catalog>\n",
        "utf-8",
    )
    result = CliRunner().invoke(main, ["check", str(feed), "--output-format", output_format])
    assert result.exit_code == 1, result.output
    assert "TOPSECRET" not in result.output
    assert "FD007" in result.output
    got = read(feed)
    assert [o.name for o in got.offers] == ["Leak &secret; here", None]
    assert "TOPSECRET" not in repr(got)


def test_xxe_over_the_network_sends_no_request(write_feed: Callable[..., Path]) -> None:
    with serve({"/secret": Route(b"TOPSECRET")}) as server:
        path = write_feed(
            f'<!DOCTYPE yml_catalog [<!ENTITY e SYSTEM "{server.url("/secret")}">]>\n'
            + yml('<offer id="1"><price>10</price><name>&e;</name></offer>')
        )
        got = read(path)
        requests = list(server.requests)
    assert requests == []
    assert FeedIssueKind.HOSTILE in [i.kind for i in got.issues]
    assert "TOPSECRET" not in repr(got)


def test_jsonl_report_of_a_broken_feed_is_valid_json(feeds_dir: Path) -> None:
    result = CliRunner().invoke(
        main, ["check", str(feeds_dir / "broken" / "truncated.xml"), "--output-format", "jsonl"]
    )
    findings = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(f["code"], f["line"], f["column"]) for f in findings if f["code"] == "FD001"] == [
        ("FD001", 7, 89),
        ("FD001", 8, 80),
        ("FD001", 8, 80),
    ]


def test_an_offer_the_parser_makes_of_a_broken_line_is_no_offer(write_feed: Callable[..., Path]) -> None:
    offers = (
        '<offer id="1">\n  <offer id>1264389767</offer id>\n  <price>10</price>\n  <name>Шина</name>\n</offer>\n'
        '<offer id="2">\n  <price>20</price>\n  <offer id>1239552071</offer id>\n  <name>Диск</name>\n</offer>\n'
        "<offer id></offer>\n"  # an empty offer whose only markup is broken
        '<offer id="3"><price>30</price></offer>'
    )
    got = read(write_feed(yml(offers)))
    assert [(o.offer_id, o.line, o.price_text, o.name) for o in got.offers] == [
        ("1", 2, "10", "Шина"),
        ("2", 7, "20", "Диск"),
        ("3", 13, "30", None),
    ]
    assert {i.line for i in got.issues} == {3, 9, 12}  # each broken line is still reported
    assert got.feed.offers == 3


def test_empty_offers_are_offers_where_the_parser_repaired_nothing(write_feed: Callable[..., Path]) -> None:
    # well-formed: an empty offer, an offer without attributes and one inside another are all read
    got = read(write_feed(yml('<offer id="5"/>\n<offer/>\n<offer id="6"><offer>x</offer></offer>')))
    assert (got.issues, [o.offer_id for o in got.offers]) == ([], ["5", None, None, "6"])
    # not well-formed elsewhere (a bare `&`): the empty offers away from the fault are still read
    broken = read(write_feed(yml('<offer id="1"><name>A & B</name></offer>\n<offer id="5"/>\n<offer/>')))
    assert [i.line for i in broken.issues] == [2]
    assert [o.offer_id for o in broken.offers] == ["1", "5", None]


def test_corpus_feed_with_a_broken_line_in_every_offer(corpus_dir: Path) -> None:
    got = read(corpus_dir / "sunlist-testxml" / "incorrect-feeds" / "stringCouldNotBeParsedAsXML.xml")
    assert len(got.offers) == got.feed.offers == 255
    assert all(o.offer_id and o.price is not None for o in got.offers)
    assert got.issues  # the broken lines are reported


def test_a_control_character_in_cdata_is_reported_once_and_the_offer_is_read_whole(
    write_feed: Callable[..., Path],
) -> None:
    offers = (
        '<offer id="1">\n<description><![CDATA[<div><p>Чаша\x03 3,5 л</p></div>]]></description>\n'
        '<param name="Гарантія, міс">24</param>\n</offer>\n'
        '<offer id="2"><name>Cup\x0b</name><price>10</price></offer>'
    )
    got = read(write_feed(yml(offers)))
    assert [(i.kind, i.line, i.column, i.message) for i in got.issues] == [
        (FeedIssueKind.ENCODING, 3, 35, "a control character XML does not allow (code 3): remove it from the text"),
        (FeedIssueKind.ENCODING, 6, 24, "a control character XML does not allow (code 11): remove it from the text"),
    ]
    first, second = got.offers
    assert (first.description, first.warranty_months) == ("<div><p>Чаша  3,5 л</p></div>", Decimal(24))
    assert (second.name, second.price_text) == ("Cup", "10")


def test_control_characters_past_the_first_twenty_are_counted(write_feed: Callable[..., Path]) -> None:
    got = read(write_feed(yml('<offer id="1"><name>' + "a\x01" * 25 + "</name></offer>")))
    assert [i.message for i in got.issues][20:] == ["5 more control characters not shown (each read as a space)"]
    assert len(got.issues) == 21
    assert got.offers[0].name == "a " * 24 + "a"


def test_corpus_control_character_inside_cdata(corpus_dir: Path) -> None:
    got = read(corpus_dir / "sunlist-testxml" / "stage" / "cdata_not_closed.xml")
    assert [(i.kind, i.line) for i in got.issues if i.line == 398] == [(FeedIssueKind.ENCODING, 398)]
    assert got.offer("853763-01").warranty_months == Decimal(24)  # its params after the description are read
