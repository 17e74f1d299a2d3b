"""Where each record starts on its line, for feeds that put several records on one line.

libxml2 gives an element its line but no column, so a minified feed (everything on line 2) would
point every finding at "line 2". `StartTags` sits between the feed's bytes and the parser: it
passes the bytes through untouched and notes, for every record start tag (`<offer`, `<item`,
`<entry`, with or without a namespace prefix) outside comments and CDATA sections, its line and
column (1-based, in characters, as libxml2 counts them). Only start tags that share their line with
other markup are noted; a record that begins its own line needs no column, and pretty-printed feeds
keep their plain `file:line` locations.

`column_of` pairs the noted starts with the records the parser yields, in order, and gives a column
only when the line it noted is the line the parser gives the record, so a feed the parser had to
repair never gets a column from the wrong record. Columns are counted for UTF-8 and single-byte
encodings (windows-1251, ISO 8859, KOI8, ASCII); other encodings get none.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable

from feedaudit.feeds.source import Readable

_LOOKAHEAD = 128  # longest start tag prefix looked for (`<` + namespace prefix + name + one byte)
_UNFINISHED = re.compile(rb"<(?:[\w.:-]*|!-?|!\[[A-Z]*\[?)")  # a token that may go on in the next read
_CONTINUATION = bytes(range(0x80, 0xC0))  # UTF-8 continuation bytes: not characters of their own
_DECLARED = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_SINGLE_BYTE = ("windows-", "cp125", "iso-8859", "iso8859", "latin", "koi8", "us-ascii", "ascii", "cp866")
_ENDS = {b"<!--": b"-->", b"<![CDATA[": b"]]>"}
_BOM = b"\xef\xbb\xbf"


class StartTags:
    """A `read(n)` stream that notes where record start tags begin (see the module docstring)."""

    def __init__(self, stream: Readable, names: Iterable[str]) -> None:
        self._stream = stream
        alternatives = b"|".join(re.escape(name.encode()) for name in sorted(set(names)))
        self._token = re.compile(rb"<!--|<!\[CDATA\[|<(?:[A-Za-z_][\w.-]*:)?(?:" + alternatives + rb")(?=[\s/>])")
        self._starts: deque[tuple[int, int]] = deque()  # (line, column) of start tags not first on their line
        self._carry = b""  # bytes read but not scanned yet (a token may continue in the next read)
        self._line = 1
        self._column = 0  # characters on the current line before the scan position
        self._blank = True  # only white space so far on the current line
        self._mark = 0  # where in the buffer being scanned the line and column were last brought up to date
        self._until: bytes | None = None  # the end of the comment or CDATA section being skipped
        self._chars: bool | None = None  # count characters (UTF-8) or bytes; None: not known yet
        self._enabled = True

    def read(self, size: int = -1, /) -> bytes:
        data = self._stream.read(size)
        if self._enabled:
            self._scan(data)
        return data

    def column_of(self, line: int | None) -> int | None:
        """The column of the next record the parser yields, which it puts on `line`."""
        starts = self._starts
        if not starts or line is None:
            return None
        while len(starts) > 1 and starts[0][0] < line and starts[1][0] <= line:
            starts.popleft()  # a start the parser made no record of (a repaired feed)
        if starts[0][0] > line:
            return None  # this record's start tag begins its line: not noted
        start_line, column = starts.popleft()
        return column if start_line == line else None

    # -- scanning ---------------------------------------------------------------------------------

    def _scan(self, data: bytes) -> None:
        final = not data
        buffer = self._carry + data if self._carry else data
        position = 0
        if self._chars is None:
            if len(buffer) < 256 and b">" not in buffer and not final:
                self._carry = buffer
                return
            self._decide(buffer)
            if not self._enabled:
                self._carry = b""
                return
            if buffer.startswith(_BOM):
                position = len(_BOM)  # not a character of line 1
        self._mark = position
        limit = len(buffer) if final else _scannable(buffer)
        search = self._token.search
        while position < limit:
            if self._until is not None:
                end = buffer.find(self._until, position)
                if end < 0:
                    position = len(buffer) if final else max(position, len(buffer) - len(self._until) + 1)
                    break
                position = end + len(self._until)
                self._until = None
                continue
            match = search(buffer, position)
            if match is None or match.start() >= limit:
                position = limit
                break
            token = match.group()
            position = match.end()
            if token in _ENDS:
                self._until = _ENDS[token]
                continue
            self._catch_up(buffer, match.start())
            if not self._blank:
                self._starts.append((self._line, self._column + 1))
            self._blank = False
            self._column += len(token)  # ASCII
            self._mark = position
        self._catch_up(buffer, position)
        self._carry = buffer[position:]

    def _catch_up(self, buffer: bytes, end: int) -> None:
        """Move the line and column from the last mark to `end`."""
        start = self._mark
        if end <= start:
            return
        newlines = buffer.count(b"\n", start, end)
        if newlines:
            self._line += newlines
            start = buffer.rfind(b"\n", start, end) + 1
            self._column = 0
            self._blank = True
        segment = buffer[start:end]
        if self._blank and segment and not segment.isspace():
            self._blank = False
        self._column += len(segment.translate(None, _CONTINUATION)) if self._chars else len(segment)
        self._mark = end

    def _decide(self, head: bytes) -> None:
        """Pick how to count columns from the feed's first bytes."""
        if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head[:4]:
            self._enabled = False  # UTF-16/32: no columns
            return
        match = _DECLARED.match(head.removeprefix(_BOM))
        encoding = match.group(1).decode("ascii").lower() if match else "utf-8"
        if encoding in {"utf-8", "utf8"}:
            self._chars = True
        elif encoding.startswith(_SINGLE_BYTE):
            self._chars = False
        else:
            self._enabled = False


def _scannable(buffer: bytes) -> int:
    """How much of `buffer` can be scanned now: all but a token the next read may complete."""
    last = buffer.rfind(b"<", max(0, len(buffer) - _LOOKAHEAD))
    if last >= 0 and _UNFINISHED.fullmatch(buffer, last):
        return last
    return len(buffer)
