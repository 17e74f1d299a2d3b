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
from collections.abc import Iterator
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
    handle_text = path.open("r", encoding=encoding, errors="strict", newline="")
    reader = csv.reader(handle_text, delimiter=delimiter)
    try:
        table = split_header(reader, source)
        table.text = True
        if len(table.headers) < 2:
            raise InventoryError(
                f"{source}: the header {table.headers[0]!r} is one column when split on "
                f"{_NAMES.get(delimiter, delimiter)}; is that the right delimiter?"
            )
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
