"""Text no reader can crash on: surrogate references, forbidden characters beside entities, huge numbers,
and a long preamble before the root element."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from feedaudit.feeds import ReadLimits
from feedaudit.feeds.charrefs import SurrogateReferences
from feedaudit.feeds.values import iso_duration_months, parse_day_range, parse_decimal, parse_int
from feedaudit.inventory.cells import price_units, whole_number
from feedaudit.model import FeedIssueKind
from feedaudit.text import delivery_days, period_months, read_warranty
from tests.hostile.conftest import read, yml

GRIN = "\N{GRINNING FACE}"


def test_a_surrogate_pair_in_text_reads_as_its_character(tmp_path: Path) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(
        yml(
            '<offer id="1"><name>Чай &#55357;&#56832;</name><price>10</price></offer>\n'
            '<offer id="2"><name>Кава &#xD83D;&#xDE00;</name><price>20</price></offer>'
        )
    )
    got = read(path)
    assert [(o.offer_id, o.name) for o in got.offers] == [("1", f"Чай {GRIN}"), ("2", f"Кава {GRIN}")]
    issues = got.of_kind(FeedIssueKind.ENCODING)
    assert [i.line for i in issues] == [3, 4]
    assert "U+1F600" in issues[0].message


@pytest.mark.parametrize(
    "offer",
    [
        '<offer id="1&#xD83D;"><name>n</name><price>1</price></offer>',  # attribute value
        '<offer id="1"><name>n</name><price>1</price><param name="Колір&#56832;">x</param></offer>',
        '<offer id="1"><name>n</name><price>1</price><param name="Колір">x&#55357;</param></offer>',
        '<offer id="1"><name>n</name><price>1</price><picture>a</picture>&#55357;tail</offer>',  # a tail
        '<offer id="1"><name>n</name><price>1</price><description>&#x1F; &nbsp;&#xDBFF;</description></offer>',
        # in an attribute name: not well-formed, so what libxml2 recovers after it varies
        pytest.param('<offer id="1" a&#xD83D;="1"><name>n</name><price>1</price></offer>', id="attribute-name"),
    ],
)
def test_a_lone_surrogate_anywhere_is_a_replacement_character_and_a_finding(tmp_path: Path, offer: str) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(yml(offer + '\n<offer id="2"><name>next</name><price>2</price></offer>'))
    got = read(path)
    assert got.offers
    assert any(i.line == 3 and i.kind is not FeedIssueKind.SIZE_LIMIT for i in got.issues), got.issues
    texts = [(o.offer_id or "") + (o.name or "") + (o.description or "") for o in got.offers]
    texts += [p.name + p.value for o in got.offers for p in o.params]
    assert not any("\ud800" <= ch <= "\udfff" for text in texts for ch in text)


@pytest.mark.parametrize(
    ("feed", "field"),
    [
        (
            "<price><firmName>Shop</firmName><items><item><id>1</id><name>a&#55357;&#56832;</name>"
            "<priceRUAH>10</priceRUAH></item><item><id>2</id><name>b&#xDE00;</name>"
            "<priceRUAH>20</priceRUAH></item></items></price>",
            "name",
        ),
        (
            '<rss xmlns:g="http://base.google.com/ns/1.0" version="2.0"><channel><title>t</title>'
            "<item><g:id>1</g:id><title>a&#55357;&#56832;</title><g:price>10 UAH</g:price></item>"
            "<item><g:id>2</g:id><title>b&#xDE00;</title><g:price>20 UAH</g:price></item></channel></rss>",
            "name",
        ),
    ],
    ids=["hotline", "google"],
)
def test_every_reader_reads_surrogate_references(tmp_path: Path, feed: str, field: str) -> None:
    path = tmp_path / "feed.xml"
    path.write_text(feed, encoding="utf-8")
    got = read(path)
    assert [getattr(o, field) for o in got.offers] == [f"a{GRIN}", "b\ufffd"]
    assert len(got.of_kind(FeedIssueKind.ENCODING)) == 2


def test_a_utf16_feed_with_surrogate_references_is_read(tmp_path: Path) -> None:
    path = tmp_path / "feed.xml"
    text = yml('<offer id="1"><name>a&#55357;&#56832; b&#xD83D;</name><price>1</price></offer>').decode()
    path.write_bytes(text.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16"))
    got = read(path)
    assert [o.name for o in got.offers] == [f"a{GRIN} b\ufffd"]


class Trickle:
    """A stream handing out a few bytes at a time, so references are cut at every position."""

    def __init__(self, data: bytes, step: int) -> None:
        self._data = io.BytesIO(data)
        self._step = step

    def read(self, size: int = -1, /) -> bytes:
        return self._data.read(self._step)


@pytest.mark.parametrize("step", [1, 3, 7, 16])
def test_a_pair_cut_between_blocks_is_still_one_character(step: int) -> None:
    data = b"<r>" + b"x&#55357;&#56832;y&amp;&#xD83D;" * 5 + b"</r>"
    stream = SurrogateReferences(Trickle(data, step))
    out = b""
    while chunk := stream.read(step):
        out += chunk
    assert out == b"<r>" + b"x&#128512;y&amp;&#xFFFD;" * 5 + b"</r>"
    assert stream.rewritten == 10


def test_a_control_character_beside_an_undeclared_entity_keeps_the_text(tmp_path: Path) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(yml('<offer id="1"><name>Чай&#x1F; &nbsp;зелений</name><price>1</price></offer>'))
    got = read(path)
    assert [o.name for o in got.offers] == ["Чай\ufffd \u00a0зелений"]


HUGE_NUMBERS = ["9" * 29, "9" * 5000, "1" + "0" * 4400, "1e999999", "NaN", "Infinity", "-9" * 30, "0." + "0" * 50 + "1"]


@pytest.mark.parametrize("number", HUGE_NUMBERS)
@pytest.mark.parametrize(
    "parse",
    [
        lambda n: period_months(f"{n} місяців"),
        lambda n: period_months(f"{n} днів"),
        lambda n: period_months(n, Decimal(1)),
        lambda n: read_warranty(f"гарантія {n} років"),
        lambda n: delivery_days(f"доставка {n}-{n} днів"),
        lambda n: delivery_days(f"{n} год"),
        parse_decimal,
        parse_int,
        lambda n: iso_duration_months(f"P{n}Y"),
        lambda n: iso_duration_months(f"P1Y{n}D"),
        lambda n: parse_day_range(f"{n}-{n}"),
        parse_day_range,
        price_units,
        whole_number,
    ],
)
def test_no_number_is_too_big_to_read(parse: Any, number: str) -> None:
    value = parse(number)  # a value or None, never an exception
    if isinstance(value, Decimal):
        assert value.is_finite()
        assert value.adjusted() < 28


def test_a_29_digit_warranty_is_a_warranty_not_understood(tmp_path: Path) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(
        yml(
            f'<offer id="1"><name>n</name><price>1</price><param name="Гарантія">{"9" * 29} місяців</param></offer>\n'
            f'<offer id="2"><name>n</name><price>1</price><warranty>{"9" * 29}</warranty></offer>'
        )
    )
    got = read(path)
    assert [(o.offer_id, o.warranty_months) for o in got.offers] == [("1", None), ("2", None)]


def test_a_doctype_longer_than_the_first_block_still_finds_the_root(tmp_path: Path) -> None:
    padding = "<!-- a comment the exporter repeats -->\n" * 3000  # about 120 KB
    path = tmp_path / "feed.xml"
    path.write_bytes(yml('<offer id="1"><name>n</name><price>1</price></offer>', head=f"\n<!DOCTYPE x [\n{padding}]>"))
    got = read(path)
    assert [o.offer_id for o in got.offers] == ["1"]
    assert got.issues == []


def test_a_preamble_over_its_cap_is_a_clear_finding(tmp_path: Path) -> None:
    padding = "<!-- padding -->\n" * 20_000  # about 340 KB
    path = tmp_path / "feed.xml"
    path.write_bytes(yml('<offer id="1"><name>n</name><price>1</price></offer>', head=f"\n{padding}"))
    got = read(path, ReadLimits(max_preamble_bytes=256 * 1024))
    assert [(i.kind, i.line) for i in got.issues] == [(FeedIssueKind.SIZE_LIMIT, 1)]
    assert "max-preamble-bytes" in got.issues[0].message
    assert got.offers == []
