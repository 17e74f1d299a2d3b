"""Checking the caps of `ReadLimits` while a feed streams into the XML parser.

lxml builds a whole record before the reader sees it, so a record with a hundred million children, a
field of a gigabyte or a list of millions of categories would be built whole first. `LimitGuard` sits
between the byte stream and the parser and, each time the parser asks for another block, looks at what
has been built so far: the elements being built on the path from the root, the record open now, and
the run of bytes since the last `<` or `>` (a field's text, or one tag with its attributes). The first
cap exceeded raises `ReadLimitError`, which the record stream turns into one FD006 finding with its
line; the records before it are audited as usual.
"""

from __future__ import annotations

from lxml import etree

from feedaudit.feeds.limits import ReadLimitError, ReadLimits
from feedaudit.feeds.source import Readable


class LimitGuard:
    """A readable stream that checks the tree being built against `ReadLimits` before each block.

    The record stream sets `root` (once known) and `record` (the record being built, or None).
    """

    def __init__(self, stream: Readable, limits: ReadLimits) -> None:
        self._stream = stream
        self._limits = limits
        self.root: etree._Element | None = None
        self.record: etree._Element | None = None
        self.reads = 0
        self._lines = 1
        self._run = 0  # bytes since the last `<` or `>`
        self._run_line = 1
        self._in_tag = False  # the run is inside a tag (it follows a `<`)
        self._equals = 0  # `=` signs in that tag so far
        self._exceeded: ReadLimitError | None = None

    def read(self, size: int = -1, /) -> bytes:
        if self.root is not None:
            self._check_path(self.root)
        if self.record is not None:
            self.check_record(self.record)
        if self._exceeded is not None:
            raise self._exceeded
        data = self._stream.read(size)
        self.reads += 1
        if data:
            cut = self._check_run(data)
            if cut is not None:
                if cut == 0:
                    assert self._exceeded is not None
                    raise self._exceeded
                data = data[:cut]  # what comes before the long run is read first; the error comes next
            self._lines += data.count(b"\n")
        return data

    def check_record(self, record: etree._Element) -> None:
        """Raise if a record holds more elements, or one of them more attributes, than allowed."""
        limits = self._limits
        for count, element in enumerate(record.iter(etree.Element), start=1):
            if count > limits.max_offer_elements:
                raise ReadLimitError(
                    f"the record at line {record.sourceline} holds more than {limits.max_offer_elements:,} "
                    "elements (max-offer-elements); it and the rest of the feed were not read",
                    record.sourceline,
                )
            if len(element.attrib) > limits.max_attributes:
                self._too_many_attributes(element)

    def _check_path(self, node: etree._Element) -> None:
        """The elements being built: the last child of the root, its last child, and so on."""
        limits = self._limits
        while True:
            children = len(node)
            if children > limits.max_children:
                raise ReadLimitError(
                    f"<{_local(node)}> at line {node.sourceline} has more than {limits.max_children:,} "
                    "child elements (max-children); the rest of the feed was not read",
                    node.sourceline,
                )
            if len(node.attrib) > limits.max_attributes:
                self._too_many_attributes(node)
            if not children:
                return
            node = node[-1]

    def _too_many_attributes(self, element: etree._Element) -> None:
        raise ReadLimitError(
            f"<{_local(element)}> at line {element.sourceline} has more than {self._limits.max_attributes:,} "
            "attributes (max-attributes); the rest of the feed was not read",
            element.sourceline,
        )

    def _check_run(self, data: bytes) -> int | None:
        """Check the bytes since the last `<` or `>`, and the `=` signs in a tag still open (one per
        attribute at least), against the caps before the parser gets them. When one is exceeded, note
        the error and say where the run began in `data` (0 when it began in an earlier block)."""
        limits = self._limits
        opening, closing = data.rfind(b"<"), data.rfind(b">")
        last = max(opening, closing)
        start = 0
        if last < 0:
            self._run += len(data)
            if self._in_tag:
                self._equals += data.count(b"=")
        else:
            first = min(i for i in (data.find(b"<"), data.find(b">")) if i >= 0)
            self._run += first
            if self._in_tag:
                self._equals += data.count(b"=", 0, first)
            if self._run <= limits.max_field_bytes and self._equals <= limits.max_attributes:
                start = last
                self._run = len(data) - last - 1
                self._run_line = self._lines + data.count(b"\n", 0, last)
                # a tag, not a comment, CDATA section or processing instruction
                self._in_tag = opening > closing and data[opening + 1 : opening + 2] not in (b"!", b"?")
                self._equals = data.count(b"=", last) if self._in_tag else 0
        if self._run > limits.max_field_bytes:
            self._exceeded = ReadLimitError(
                f"a field or tag from line {self._run_line} is longer than {limits.max_field_bytes:,} "
                "bytes (max-field-bytes); the rest of the feed was not read",
                self._run_line,
            )
        elif self._equals > limits.max_attributes:
            self._exceeded = ReadLimitError(
                f"a tag at line {self._run_line} has more than {limits.max_attributes:,} attributes "
                "(max-attributes); the rest of the feed was not read",
                self._run_line,
            )
        else:
            return None
        return start


def _local(element: etree._Element) -> str:
    tag = element.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else "?"
