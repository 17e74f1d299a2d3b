"""XLSX inventories, read with openpyxl in read-only mode (rows stream; the workbook is not held whole).

The worksheet is the one named in `[inventory] sheet`, or the first. Cells come typed (numbers, dates);
formulas give their last computed value. A file openpyxl cannot read (not a zip, an old binary .xls,
a damaged workbook) is an `InventoryError` with openpyxl's reason.
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


@contextmanager
def open_xlsx(path: Path, source: str, *, sheet: str | None) -> Iterator[Table]:
    try:
        with path.open("rb") as handle:
            magic = handle.read(8)
    except OSError as exc:
        raise InventoryError(f"{source}: cannot read: {exc.strerror or exc}") from exc
    if magic == OLE_MAGIC:
        raise InventoryError(f"{source}: an Excel 97-2003 (.xls) workbook; save it as .xlsx or .csv")
    with warnings.catch_warnings():
        # openpyxl warns about workbook features it ignores (data validation, styles): not the user's concern
        warnings.simplefilter("ignore")
        try:
            workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError, EOFError) as exc:
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
            except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError) as exc:
                raise InventoryError(f"{source}: the workbook is damaged: {exc or exc.__class__.__name__}") from exc
        finally:
            workbook.close()
