"""Byte ranges of a large feed (feedaudit.parallel.split): where they are cut and what the parser sees."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from bench.generate import generate
from feedaudit.model import Dialect
from feedaudit.parallel.split import RangeReader, find_layout, probe_document, ranges

FIXTURES = Path(__file__).resolve().parent.parent.parent / "fixtures" / "feeds"


def _read_all(reader: RangeReader) -> bytes:
    parts = []
    while chunk := reader.read(4096):
        parts.append(chunk)
    return b"".join(parts)


@pytest.mark.parametrize(("dialect", "record"), [("yml", b"offer"), ("hotline", b"item"), ("google", b"item")])
def test_ranges_cover_every_record_with_their_own_lines(tmp_path: Path, dialect: str, record: bytes) -> None:
    path = tmp_path / "feed.xml"
    manifest = generate(path, offers=120, dialect=dialect, seed=2, fault_rate=0)
    data = path.read_bytes()
    layout = find_layout(str(path), "feed.xml", Dialect(dialect))
    assert layout is not None
    assert layout.record == record
    parts = list(ranges(layout, 20_000))
    assert len(parts) > 5
    assert parts[0].start == len(layout.head)
    assert parts[-1].end == len(data)
    assert parts[-1].last
    assert not any(part.last for part in parts[:-1])
    offers = 0
    for previous, part in zip([None, *parts], parts, strict=False):
        if previous is not None:
            assert previous.end == part.start
        assert data[part.start :].startswith(b"<" + record)
        assert part.newlines_before == data.count(b"\n", 0, part.start)
        document = _read_all(RangeReader(layout, part))
        root = etree.fromstring(document, etree.XMLParser(remove_comments=True, huge_tree=True))
        records = list(root.iter(f"{{*}}{record.decode()}", record.decode()))
        assert records
        first_line = part.newlines_before + 1
        assert records[0].sourceline == first_line
        offers += len(records)
    assert offers == manifest.offers


def test_probe_document_is_the_head_and_first_record() -> None:
    layout = find_layout(str(FIXTURES / "prom.xml"), "prom.xml", Dialect.YML)
    assert layout is not None
    assert layout.tail == b"</offers></shop></yml_catalog>"
    root = etree.fromstring(probe_document(layout))
    assert [e.get("id") for e in root.iter("offer")] == ["KT-1001"]


def test_record_text_inside_a_comment_is_not_a_boundary(tmp_path: Path) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(
        b'<?xml version="1.0"?>\n<yml_catalog><shop><!-- <offer id="x"></offer> -->\n<offers>\n'
        b'<offer id="1"><price>1</price></offer>\n</offers></shop></yml_catalog>\n'
    )
    assert find_layout(str(path), "feed.xml", Dialect.YML) is None


def test_padding_is_bounded_comments(tmp_path: Path) -> None:
    path = tmp_path / "feed.xml"
    generate(path, offers=40, seed=4, fault_rate=0)
    layout = find_layout(str(path), "feed.xml", Dialect.YML)
    assert layout is not None
    last = list(ranges(layout, 10_000))[-1]
    blocks = []
    reader = RangeReader(layout, last)
    while block := reader.read(1 << 30):
        blocks.append(block)
    padding = [b for b in blocks if b.startswith(b"<!--")]
    assert padding
    assert all(len(b) <= (1 << 20) + 7 for b in padding)
    assert b"\n" + last.indent in blocks  # the range's first line keeps its columns
    assert sum(b.count(b"\n") for b in padding) + 1 == last.newlines_before - layout.head_newlines
