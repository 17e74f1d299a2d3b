"""CSV and TSV inventories: encoding and delimiter detection, then a streaming `csv.reader`.

The encoding is told from a byte-order mark (UTF-8, UTF-16 as Excel's "Unicode text" writes it) or
from whether the first 64 KiB decode as UTF-8; anything else is read as windows-1251, the encoding of
Ukrainian and Russian spreadsheet exports. The delimiter is the one of `,` `;` tab `|` that splits the
first records into the same number (more than one) of columns.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from feedaudit.errors import InventoryError
from feedaudit.inventory.table import Table, split_header

SAMPLE_BYTES = 64 * 1024
SAMPLE_RECORDS = 20
DELIMITERS = (",", ";", "\t", "|")
_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "|"}


def detect_encoding(sample: bytes) -> str:
    """`utf-8-sig`, `utf-16`, `utf-8` or `cp1251`."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        return "cp1251"
    return "utf-8"


def detect_delimiter(text: str, *, truncated: bool, prefer: str | None = None) -> str | None:
    """The delimiter that gives the first records one consistent width above one column, or None."""
    best: str | None = None
    best_score: tuple[float, int, int, int] | None = None
    for rank, delimiter in enumerate(DELIMITERS):
        widths = []
        for record in csv.reader(io.StringIO(text), delimiter=delimiter):
            if any(cell.strip() for cell in record):
                widths.append(len(record))
            if len(widths) > SAMPLE_RECORDS:
                break
        if truncated and len(widths) > 1 and len(widths) <= SAMPLE_RECORDS:
            widths.pop()  # the sample may end inside the last record
        if not widths or widths[0] < 2:
            continue
        consistent = sum(1 for w in widths if w == widths[0]) / len(widths)
        score = (consistent, 1 if delimiter == prefer else 0, widths[0], -rank)
        if best_score is None or score > best_score:
            best, best_score = delimiter, score
    return best


@contextmanager
def open_csv(path: Path, source: str, *, delimiter: str | None, encoding: str | None) -> Iterator[Table]:
    try:
        with path.open("rb") as handle:
            sample = handle.read(SAMPLE_BYTES)
            truncated = bool(handle.read(1))
    except OSError as exc:
        raise InventoryError(f"{source}: cannot read: {exc.strerror or exc}") from exc
    encoding = encoding or detect_encoding(sample)
    try:
        text = codecs.getincrementaldecoder(encoding)(errors="strict").decode(sample, final=not truncated)
    except (UnicodeDecodeError, LookupError) as exc:
        raise InventoryError(f"{source}: not readable as {encoding}: {exc}") from exc
    if not text.strip("\ufeff \t\r\n"):
        raise InventoryError(f"{source}: the inventory is empty")
    if delimiter is None:
        prefer = "\t" if path.suffix.casefold() == ".tsv" else None
        delimiter = detect_delimiter(text, truncated=truncated, prefer=prefer)
        if delimiter is None:
            first = text.lstrip("\ufeff").splitlines()[0][:120]
            raise InventoryError(
                f"{source}: cannot tell the column delimiter: the header {first!r} splits into one column on "
                "comma, semicolon, tab and |; set `delimiter` in [inventory]"
            )
    before = _stamp(path)
    handle_text = path.open("r", encoding=encoding, errors="strict", newline="")
    lines = _Lines(handle_text)
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        table = split_header(reader, source)
        table.text = True
        if len(table.headers) < 2:
            raise InventoryError(
                f"{source}: the header {table.headers[0]!r} is one column when split on "
                f"{_NAMES.get(delimiter, delimiter)}; is that the right delimiter?"
            )
        table.rows = _whole_rows(table.rows, lines, len(table.headers), source, path, before, delimiter)
        yield table
    except UnicodeDecodeError as exc:
        where = _first_undecodable_line(path, encoding)
        raise InventoryError(
            f"{source}: line {where} is not valid {encoding} ({exc.reason}); save the file as UTF-8"
        ) from exc
    except csv.Error as exc:
        raise InventoryError(f"{source}: line {reader.line_num}: {exc}") from exc
    finally:
        handle_text.close()


class _Lines:
    """The lines of a text file, keeping those of the record the csv reader is in."""

    def __init__(self, handle: Iterable[str]) -> None:
        self._lines = iter(handle)
        self.record: list[str] = []

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.record.append(line)
        return line


def _whole_rows(
    rows: Iterable[Sequence[str]],
    lines: _Lines,
    width: int,
    source: str,
    path: Path,
    before: tuple[int, int],
    delimiter: str,
) -> Iterator[Sequence[str]]:
    """The data rows; at the end, an error if the file changed while it was read or was cut off."""
    last: Sequence[str] | None = None
    raw_lines: list[str] = []
    for row in rows:
        # the reader reads no further than the row it hands over: the lines read so far are that row's
        last, raw_lines, lines.record = row, lines.record, []
        yield row
    if _stamp(path) != before:
        raise InventoryError(
            f"{source}: the file changed while it was read; read it again once it is written completely"
        )
    raw = "".join(raw_lines)
    if last is None or not raw:
        return
    if _records(raw, delimiter) == _records(raw + "\nX", delimiter):  # a new line went into a cell
        raise InventoryError(f'{source}: the file ends inside a quoted cell (a " is not closed); was it cut off?')
    if not raw.endswith(("\n", "\r")) and 0 < len(last) < width:
        raise InventoryError(
            f"{source}: the file ends in the middle of a row ({len(last)} of {width} cells, no line end); "
            "was it cut off?"
        )


def _records(text: str, delimiter: str) -> int:
    return sum(1 for _ in csv.reader(io.StringIO(text), delimiter=delimiter))


def _stamp(path: Path) -> tuple[int, int]:
    try:
        status = path.stat()
    except OSError:
        return (-1, -1)
    return (status.st_size, status.st_mtime_ns)


def _first_undecodable_line(path: Path, encoding: str) -> int | str:
    """The number of the first line that does not decode (the text reader decodes ahead in blocks)."""
    if encoding.startswith("utf-16"):
        return "?"
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                line.decode(encoding)
            except UnicodeDecodeError:
                return number
    return "?"
