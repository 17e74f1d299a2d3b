"""Streaming records out of a feed: memory stays flat even when the feed is broken."""

from __future__ import annotations

import io

import pytest

from feedaudit.feeds.controls import ControlCharacters
from feedaudit.feeds.limits import ReadLimits
from feedaudit.feeds.xmlstream import RecordStream, SemicolonGuard
from feedaudit.model import FeedIssue, FeedIssueKind

OFFER = b'<offer id="%d"><name>Plain name %d</name><description>Plain text, no entities</description></offer>\n'


class CountingStream:
    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)
        self.read_bytes = 0

    def read(self, size: int = -1, /) -> bytes:
        chunk = self._data.read(size)
        self.read_bytes += len(chunk)
        return chunk


def _feed(first_name: bytes, offers: int = 20_000) -> bytes:
    first = b'<offer id="0"><name>' + first_name + b"</name></offer>\n"
    body = b"".join(OFFER % (n, n) for n in range(1, offers))
    return b"<yml_catalog><shop><offers>\n" + first + body + b"</offers></shop></yml_catalog>\n"


def test_a_bare_ampersand_does_not_make_the_parser_read_ahead() -> None:
    data = _feed(b"Tom & Jerry")
    assert b";" not in data
    stream = CountingStream(data)
    records = RecordStream(stream, "feed.xml", ("offer",))
    seen = 0
    issues = []
    for item in records:
        if isinstance(item, FeedIssue):
            issues.append(item)
            continue
        seen += 1
        if seen == 2:
            # without the guard libxml2 waits for a ';' and reads (and builds) the whole feed first
            assert stream.read_bytes < 256 * 1024 < len(data)
        records.release(item)
    assert seen == 20_000
    assert [(i.line, i.detail) for i in issues] == [(2, "xmlParseEntityRef: no name")]
    assert issues[0].message.startswith("a bare '&' in the text")


def test_guard_leaves_well_formed_feeds_byte_for_byte() -> None:
    data = _feed(b"Tom &amp; Jerry")
    guard = SemicolonGuard(io.BytesIO(data), ("offer",))
    out = b"".join(iter(lambda: guard.read(32768), b""))
    assert out == data


@pytest.mark.parametrize(("name", "guarded"), [(b"Tom & Jerry", True), (b"R&D", True), (b"AT&T &amp; Co", False)])
def test_guard_adds_only_a_comment_between_records(name: bytes, guarded: bool) -> None:
    data = _feed(name, offers=2000)
    guard = SemicolonGuard(io.BytesIO(data), ("offer",))
    out = b"".join(iter(lambda: guard.read(32768), b""))
    if not guarded:  # the `;` of `&amp;` already ends the parser's wait
        assert out == data
        return
    assert out.replace(b"<!--;-->", b"") == data
    assert out.count(b"\n") == data.count(b"\n")
    assert b"</offer><!--;-->\n" in out


class _Blocks:
    """A stream handing out its bytes a few at a time."""

    def __init__(self, data: bytes, size: int) -> None:
        self._data, self._size = data, size

    def read(self, size: int = -1, /) -> bytes:
        block, self._data = self._data[: self._size], self._data[self._size :]
        return block


def test_control_characters_become_spaces_with_their_place_across_blocks() -> None:
    data = '<?xml version="1.0"?>\n<a>Ціна\x03\n 1\x1f2</a>\n'.encode()
    stream = ControlCharacters(_Blocks(data, 5))
    read = b"".join(iter(lambda: stream.read(5), b""))
    assert read == data.replace(b"\x03", b" ").replace(b"\x1f", b" ")
    assert (stream.reports, stream.replaced) == ([(2, 8, 3), (3, 3, 31)], 2)


def test_control_characters_are_left_alone_in_an_encoding_where_they_may_be_part_of_a_character() -> None:
    data = b'<?xml version="1.0" encoding="ISO-2022-JP"?>\n<a>\x1b$B\x1b(B</a>\n'
    stream = ControlCharacters(_Blocks(data, 1000))
    assert (stream.read(1000), stream.replaced) == (data, 0)
    single_byte = ControlCharacters(_Blocks(b'<?xml version="1.0" encoding="windows-1251"?><a>\xd6\x02</a>', 1000))
    assert single_byte.read(1000).endswith(b"<a>\xd6 </a>")
    assert single_byte.reports == [(1, 50, 2)]


def test_a_control_character_is_reported_when_a_cap_ends_the_feed() -> None:
    body = b'<offer id="1"><name>A\x02</name><description>' + b"x" * 500_000 + b"</description></offer>\n"
    feed = io.BytesIO(b"<yml_catalog><shop><offers>\n" + body + b"</offers></shop></yml_catalog>\n")
    items = list(RecordStream(feed, "feed.xml", ("offer",), limits=ReadLimits(max_field_bytes=1024)))
    assert [(i.kind, i.line) for i in items if isinstance(i, FeedIssue)] == [
        (FeedIssueKind.ENCODING, 2),
        (FeedIssueKind.SIZE_LIMIT, 2),
    ]
