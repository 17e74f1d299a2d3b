"""Cutting a large local feed into byte ranges at record boundaries, and reading one range as a document.

A range starts at a record's start tag (`<offer`, `<item`, `<entry`) that begins a line (after
indentation) right after the previous record's end tag, so every range is a run of whole records and
starts a line. Feeds without such a place (everything on one line) are not split. `RangeReader`
hands the XML parser, for one range:

    the feed's head     every byte before the first record: declaration, DOCTYPE, shop data
    padding             comments holding nothing but newlines, then a newline and the range's own
                        indentation, so that the range's first line has its line number and its
                        columns from the file (the parser drops comments; at most 1 MiB each, so
                        the parser never buffers more than that)
    the range's bytes
    closing tags        for the elements the head left open, unless the range runs to the end

The parser then sees a well-formed document in which each record sits under the same elements and on
the same line as in the feed, and the dialect reader reads it as it reads the whole feed.

Boundaries are found by a byte search, so a record-like text inside a comment or CDATA section could in
principle be taken for one; the ranges around such a false boundary are not well-formed, and the run
(`feedaudit.parallel.run`) reads the feed from the first range with a parser error to its end in one
piece, which is exactly what a one-process audit would see.
"""

from __future__ import annotations

import os
import re
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from lxml import etree

from feedaudit.model import Dialect

RECORD_NAMES: dict[Dialect, tuple[bytes, ...]] = {
    Dialect.YML: (b"offer",),
    Dialect.HOTLINE: (b"item",),
    Dialect.GOOGLE: (b"item", b"entry"),
    Dialect.META: (b"item", b"entry"),
}
MAX_HEAD = 16 * 1024**2  # a head bigger than this (a huge category tree) is not worth splitting
BLOCK = 4 * 1024**2
PAD_NEWLINES = 1024**2  # newlines per padding comment
_NAME = rb"(?:[A-Za-z_][\w.-]*:)?"


@dataclass(frozen=True, slots=True)
class Layout:
    """What every range of one feed needs besides its own bytes."""

    path: str
    source: str  # the feed as the user named it (findings carry it)
    dialect: Dialect
    head: bytes  # every byte before the first record
    head_newlines: int
    tail: bytes  # end tags of the elements open at the first record, innermost first
    record: bytes  # the record's tag as written: b"offer", b"g:item"
    first_record_end: int  # byte offset just past the first record's end tag
    size: int


@dataclass(frozen=True, slots=True)
class Range:
    """Bytes [start, end) of the feed; `newlines_before` = newlines in [0, start)."""

    start: int
    end: int
    newlines_before: int
    last: bool  # runs to the end of the file (so it carries the feed's own closing tags)
    indent: bytes = b""  # the spaces and tabs before `start` on its line


def find_layout(path: str, source: str, dialect: Dialect) -> Layout | None:
    """The head, tail and record tag of a feed, or None when it cannot be split safely."""
    names = RECORD_NAMES.get(dialect)
    if not names:
        return None
    start_tag = re.compile(rb"<(" + _NAME + rb"(?:" + b"|".join(names) + rb"))[\s/>]")
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        buffer = b""
        match = None
        while match is None:
            block = handle.read(BLOCK)
            if not block or len(buffer) > MAX_HEAD:
                return None
            searched = max(len(buffer) - 64, 0)
            buffer += block
            match = start_tag.search(buffer, searched)
        start = match.start()
        record = match.group(1)
        end_tag = re.compile(rb"</" + re.escape(record) + rb"\s*>")
        end = end_tag.search(buffer, start)
        while end is None:
            block = handle.read(BLOCK)
            if not block or len(buffer) > MAX_HEAD:
                return None
            searched = max(len(buffer) - 64, start)
            buffer += block
            end = end_tag.search(buffer, searched)
    head = buffer[:start]
    open_elements = _open_elements(head + buffer[start : end.end()], record)
    if not open_elements:
        return None
    tail = b"".join(b"</" + name + b">" for name in reversed(open_elements))
    return Layout(path, source, dialect, head, head.count(b"\n"), tail, record, end.end(), size)


def _open_elements(document_start: bytes, record: bytes) -> list[bytes] | None:
    """The tags (as written) of the elements open where the first record starts; None if unsure.

    `document_start` runs from the first byte to the end of the first record. If the byte search took
    text inside a comment or CDATA section for the record, no such element starts and the answer is None.
    """
    parser = etree.XMLPullParser(
        events=("start", "end"), resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True
    )
    stack: list[bytes] = []
    try:
        parser.feed(document_start)
        for event, element in parser.read_events():
            assert isinstance(element, etree._Element)
            if event == "end":
                if not stack:
                    return None
                stack.pop()
                continue
            name = etree.QName(element).localname
            raw = f"{element.prefix}:{name}" if element.prefix else name
            if not raw.isascii():
                return None
            if raw.encode("ascii") == record:
                return stack or None
            stack.append(raw.encode("ascii"))
    except etree.XMLSyntaxError:
        return None
    return None


def ranges(layout: Layout, part_bytes: int) -> Iterator[Range]:
    """Consecutive ranges of about `part_bytes` covering every record, the last one to the end of the file.

    Lazy: each range is yielded as soon as its end is found, and the newlines before the next one are
    counted afterwards, so the work can start while the rest of the file is still being scanned.
    """
    with open(layout.path, "rb") as handle:
        start = len(layout.head)
        indent = b""
        newlines = layout.head_newlines
        while True:
            target = max(start + part_bytes, layout.first_record_end)
            near = max(target - 256, start + 1)  # a little before the target, to see the end tag before it
            cut = None if target + part_bytes // 2 >= layout.size else next_boundary(handle, near, layout.record)
            if cut is None:
                yield Range(start, layout.size, newlines, last=True, indent=indent)
                return
            yield Range(start, cut[0], newlines, last=False, indent=indent)
            newlines += _count_newlines(handle, start, cut[0])
            start, indent = cut


def next_boundary(handle: BinaryIO, position: int, record: bytes) -> tuple[int, bytes] | None:
    """The first record start at or after `position` that begins a line right after a record's end
    tag: (its offset, its indentation); None if there is none."""
    name = re.escape(record)
    boundary = re.compile(rb"</" + name + rb"\s*>[ \t\r]*\n([ \t]*)(<" + name + rb"[\s/>])")
    handle.seek(position)
    window = b""
    offset = position
    while True:
        block = handle.read(BLOCK // 4)
        if not block:
            return None
        window += block
        match = boundary.search(window)
        if match is not None:
            return offset + match.start(2), match.group(1)
        keep = min(len(window), 4096)  # an end tag and the spaces after it may straddle two blocks
        offset += len(window) - keep
        window = window[-keep:]


def _count_newlines(handle: BinaryIO, start: int, end: int) -> int:
    handle.seek(start)
    remaining = end - start
    count = 0
    while remaining > 0:
        block = handle.read(min(BLOCK, remaining))
        if not block:
            break
        remaining -= len(block)
        count += block.count(b"\n")
    return count


def probe_document(layout: Layout) -> bytes:
    """The head, the first record and the closing tags: a small document with the feed's shop data."""
    with open(layout.path, "rb") as handle:
        handle.seek(len(layout.head))
        first = handle.read(layout.first_record_end - len(layout.head))
    return layout.head + first + layout.tail


class RangeReader:
    """A `read(n)` stream of one range as a document of its own (see the module docstring)."""

    def __init__(self, layout: Layout, part: Range) -> None:
        self._layout = layout
        self._part = part
        self._blocks = self._generate()
        self._pending = b""
        self._offset = 0  # bytes of `_pending` already handed out (no re-slicing of the rest)

    def _generate(self) -> Generator[bytes, None, None]:
        layout, part = self._layout, self._part
        yield layout.head
        padding = part.newlines_before - layout.head_newlines - 1  # the last one comes with the indentation
        while padding > 0:
            count = min(padding, PAD_NEWLINES)
            yield b"<!--" + b"\n" * count + b"-->"
            padding -= count
        if part.newlines_before > layout.head_newlines:
            yield b"\n" + part.indent
        with open(layout.path, "rb") as handle:
            handle.seek(part.start)
            remaining = part.end - part.start
            while remaining > 0:
                block = handle.read(min(BLOCK // 16, remaining))
                if not block:
                    break
                remaining -= len(block)
                yield block
        if not part.last:
            yield layout.tail

    def read(self, size: int = -1, /) -> bytes:
        pending, offset = self._pending, self._offset
        if offset >= len(pending):
            pending, offset = next(self._blocks, b""), 0
        if size < 0 or offset + size >= len(pending):
            data = pending[offset:] if offset else pending
            self._pending, self._offset = b"", 0
            return data
        self._pending, self._offset = pending, offset + size
        return pending[offset : offset + size]

    def close(self) -> None:
        self._blocks.close()
