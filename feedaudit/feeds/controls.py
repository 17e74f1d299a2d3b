"""Control characters XML does not allow, taken out of the bytes before the XML parser sees them.

A C0 control character (U+0000 to U+001F but tab, line feed and carriage return) may not stand
anywhere in an XML document. libxml2 reports one and, recovering, mostly reads on; but inside a CDATA
section it loses its way: the section is taken as never closed, the closing tags after it as
misspelt, and the rest of the record is lost (a real feed lost an offer's params that way, and got
five parser errors that are not in the feed). `ControlCharacters` wraps the byte stream and replaces
each such byte by a space, which keeps every later line and column where it was, and reports each
one (the feed is still not valid XML), with its line and column.

This works on bytes, so it needs an encoding in which these bytes are always these characters: UTF-8
and the ASCII-based single-byte encodings (a UTF-16 or UTF-32 feed reaches it as UTF-8, see
`feedaudit.feeds.charrefs`). A feed declaring any other encoding passes through untouched, and its
control characters are left to the parser.
"""

from __future__ import annotations

import re

from feedaudit.feeds.source import Readable

MAX_REPORTS = 20
_CONTROL_BYTES = bytes((*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)))
_TO_SPACE = bytes.maketrans(_CONTROL_BYTES, b" " * len(_CONTROL_BYTES))
_CONTROL = re.compile(b"[" + re.escape(_CONTROL_BYTES) + b"]")
_DECLARED = re.compile(rb"""^(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_SINGLE_BYTE = ("windows-", "cp125", "iso-8859", "iso8859", "latin", "koi8", "us-ascii", "ascii", "cp866")
_CONTINUATION = bytes(range(0x80, 0xC0))  # UTF-8 continuation bytes: not characters of their own


class ControlCharacters:
    """A readable stream with control characters read as spaces (see the module docstring).

    `reports` collects `(line, column, code)` for each replaced character, up to MAX_REPORTS;
    `replaced` counts all of them.
    """

    def __init__(self, stream: Readable) -> None:
        self._stream = stream
        self._enabled: bool | None = None  # None: not known until the first bytes
        self._utf8 = True
        self._line = 1  # line of the first byte not yet handed out
        self._column = 0  # characters on that line before it
        self.reports: list[tuple[int, int, int]] = []
        self.replaced = 0

    def read(self, size: int = -1, /) -> bytes:
        data = self._stream.read(size)
        if not data:
            return data
        if self._enabled is None:
            self._decide(data)
        if not self._enabled:
            return data
        if len(data.translate(None, _CONTROL_BYTES)) != len(data):
            self._note(data)
            data = data.translate(_TO_SPACE)
        self._advance(data)
        return data

    def _decide(self, head: bytes) -> None:
        match = _DECLARED.match(head)
        encoding = match.group(1).decode("ascii").lower() if match else "utf-8"
        self._utf8 = encoding in ("utf-8", "utf8")
        self._enabled = self._utf8 or encoding.startswith(_SINGLE_BYTE)

    def _note(self, data: bytes) -> None:
        for match in _CONTROL.finditer(data):
            self.replaced += 1
            if len(self.reports) >= MAX_REPORTS:
                continue
            at = match.start()
            newline = data.rfind(b"\n", 0, at)
            line = self._line + data.count(b"\n", 0, at)
            before = self._width(data[newline + 1 : at]) if newline >= 0 else self._column + self._width(data[:at])
            self.reports.append((line, before + 1, data[at]))

    def _advance(self, data: bytes) -> None:
        newlines = data.count(b"\n")
        if newlines:
            self._line += newlines
            self._column = self._width(data[data.rfind(b"\n") + 1 :])
        else:
            self._column += self._width(data)

    def _width(self, segment: bytes) -> int:
        """Characters in `segment` (bytes, in a single-byte encoding)."""
        return len(segment.translate(None, _CONTINUATION)) if self._utf8 else len(segment)
