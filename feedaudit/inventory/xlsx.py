"""XLSX inventories, read with openpyxl in read-only mode (rows stream; the workbook is not held whole).

The worksheet is the one named in `[inventory] sheet`, or the first. Cells come typed (numbers, dates);
formulas give their last computed value. A file openpyxl cannot read (not a zip, an old binary .xls,
a damaged workbook, broken XML inside) is an `InventoryError` with openpyxl's reason.

An XLSX file is a zip archive, and openpyxl unpacks its parts as it goes: the sizes the archive declares
(which unpacking holds it to) are checked first, so a part that would unpack to gigabytes (a zip bomb)
is refused before anything is unpacked.
"""

from __future__ import annotations

import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from feedaudit.errors import InventoryError
from feedaudit.inventory.table import Table, split_header

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary .xls
MAX_PART_BYTES = 128 * 1024**2  # one unpacked part (a worksheet, the shared strings)
MAX_UNPACKED_BYTES = 512 * 1024**2  # all parts together
MAX_RATIO = 100  # unpacked / packed size of a part; real worksheets pack 5-20 to 1
RATIO_FROM_BYTES = 1024**2  # parts smaller than this may pack as tightly as they like
# What openpyxl raises on a damaged workbook: a bad zip, missing parts, values it cannot use, broken XML
# (ElementTree's ParseError and lxml's XMLSyntaxError are both SyntaxErrors).
DAMAGED = (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError, SyntaxError)


@contextmanager
def open_xlsx(path: Path, source: str, *, sheet: str | None) -> Iterator[Table]:
    try:
        with path.open("rb") as handle:
            magic = handle.read(8)
    except OSError as exc:
        raise InventoryError(f"{source}: cannot read: {exc.strerror or exc}") from exc
    if magic == OLE_MAGIC:
        raise InventoryError(f"{source}: an Excel 97-2003 (.xls) workbook; save it as .xlsx or .csv")
    check_parts(path, source)
    # The file is opened here, not by openpyxl: on a damaged workbook openpyxl raises with its own handle
    # left open, to be closed whenever the garbage collector gets to it.
    with path.open("rb") as stream, warnings.catch_warnings():
        # openpyxl warns about workbook features it ignores (data validation, styles): not the user's concern
        warnings.simplefilter("ignore")
        try:
            workbook = openpyxl.load_workbook(stream, read_only=True, data_only=True)
        except (InvalidFileException, *DAMAGED) as exc:
            raise InventoryError(f"{source}: cannot read as an XLSX workbook: {exc or exc.__class__.__name__}") from exc
        try:
            if sheet is not None:
                if sheet not in workbook.sheetnames:
                    raise InventoryError(
                        f"{source}: no worksheet {sheet!r} (worksheets: {', '.join(workbook.sheetnames)})"
                    )
                worksheet: Any = workbook[sheet]
            else:
                worksheet = workbook.worksheets[0]
            try:
                yield split_header(worksheet.iter_rows(values_only=True), source)
            except DAMAGED as exc:
                raise InventoryError(f"{source}: the workbook is damaged: {exc or exc.__class__.__name__}") from exc
        finally:
            workbook.close()


def check_parts(path: Path, source: str) -> None:
    """Refuse a workbook whose parts would unpack to more than the caps (see the module docstring)."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a readable zip: openpyxl says so in its own words
    total = 0
    for part in parts:
        total += part.file_size
        if part.file_size > MAX_PART_BYTES:
            raise InventoryError(
                f"{source}: the workbook part {part.filename} unpacks to {part.file_size:,} bytes, "
                f"more than the {MAX_PART_BYTES:,}-byte limit; save the inventory as CSV"
            )
        if part.file_size > RATIO_FROM_BYTES and part.file_size > MAX_RATIO * max(part.compress_size, 1):
            raise InventoryError(
                f"{source}: the workbook part {part.filename} unpacks {part.file_size // max(part.compress_size, 1):,} "
                f"times its packed size (more than {MAX_RATIO} times): a zip bomb, not a spreadsheet"
            )
    if total > MAX_UNPACKED_BYTES:
        raise InventoryError(
            f"{source}: the workbook unpacks to {total:,} bytes, more than the {MAX_UNPACKED_BYTES:,}-byte limit; "
            "save the inventory as CSV"
        )
