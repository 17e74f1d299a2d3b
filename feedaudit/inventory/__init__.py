"""The shop's inventory: read from a file or a database into a compact lookup offers are matched against.

    inventory = load_inventory("stock.csv", InventorySettings(match_on="vendor-code"))
    item = inventory.match(offer)          # InventoryItem | None

`InventoryLookup` is what a run and the IV / LS rules read from an inventory; `Inventory` implements it,
and any object that implements it (a shop's own ERP client, say) can be passed instead.

Sources: CSV / TSV (`csvfile`), XLSX (`xlsx`), JSON and JSON Lines (`jsonfile`), and SQLAlchemy URLs
(`sql`). The format is told from the file name, else from the first bytes. Columns are mapped by
`columns` (explicit names, then the uk/ru/en vocabulary). Anything that stops the inventory from being
used raises `InventoryError` with a one-line reason; cells that are merely wrong become issues the IV
rules report.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence, Set
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

from feedaudit.errors import InventoryError
from feedaudit.inventory.columns import map_columns
from feedaudit.inventory.csvfile import open_csv
from feedaudit.inventory.jsonfile import open_json, open_json_lines
from feedaudit.inventory.settings import InventorySettings, MatchOn, parse_column_map
from feedaudit.inventory.store import Inventory, InventoryIssue, IssueKind, normalise_key
from feedaudit.inventory.table import Table
from feedaudit.model import InventoryItem, Offer

__all__ = [
    "LOOKUP_MEMBERS",
    "Inventory",
    "InventoryIssue",
    "InventoryLookup",
    "InventorySettings",
    "IssueKind",
    "MatchOn",
    "detect_format",
    "load_inventory",
    "normalise_key",
    "parse_column_map",
]


class InventoryLookup(Protocol):
    """The shop's truth, keyed the way the run matches offers to it: everything the IV and LS rules read.

    `match` is a pure lookup; the run keeps which keys a feed's offers matched (`RuleContext.matched`)
    and asks `missing` for the rows left out, so one lookup serves any number of feeds and processes.
    """

    @property
    def source(self) -> str: ...  # how findings name the inventory (a file name or a database URL)

    @property
    def match_on(self) -> MatchOn: ...  # the offer field matched: "id", "vendor-code" or "barcode"

    @property
    def duplicates(self) -> Mapping[str, Sequence[int]]: ...  # key -> the rows holding it (first is used)

    @property
    def issues(self) -> Sequence[InventoryIssue]: ...  # unusable cells, as many as are kept

    @property
    def issue_count(self) -> int: ...  # unusable cells in all

    def key_of(self, offer: Offer) -> str | None:
        """The offer's value of the matched field, normalised like the inventory's keys."""
        ...

    def match(self, offer: Offer) -> InventoryItem | None:
        """The row for the offer (its `key` is the inventory's key), or None."""
        ...

    def missing(self, matched: Set[str]) -> Iterator[InventoryItem]:
        """The rows whose key is not in `matched`, in inventory order."""
        ...


LOOKUP_MEMBERS = ("source", "match_on", "duplicates", "issues", "issue_count", "key_of", "match", "missing")

URL_PATTERN = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)
FORMATS_BY_SUFFIX = {
    ".csv": "csv",
    ".tsv": "csv",
    ".tab": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".xls": "xlsx",  # refused by the reader with a clear reason
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".db": "sqlite",
    ".sqlite": "sqlite",
    ".sqlite3": "sqlite",
}


def load_inventory(src: str | Path, options: InventorySettings | None = None) -> Inventory:
    """Read an inventory file or database (see the module docstring) into an `Inventory`."""
    options = options or InventorySettings()
    text = str(src)
    if isinstance(src, str) and URL_PATTERN.match(src):
        if src.casefold().startswith(("http://", "https://", "ftp://")):
            raise InventoryError(f"{src}: inventories are read from files or databases; download it first")
        from feedaudit.inventory import sql  # noqa: PLC0415 (SQLAlchemy loads only when a database is used)

        return _load(sql.open_sql(src, table=options.table, query=options.query), sql.shown_url(src), options)
    path = Path(text)
    if not path.exists():
        raise InventoryError(f"{text}: no such file")
    if path.is_dir():
        raise InventoryError(f"{text}: a directory, not an inventory file")
    kind = detect_format(path)
    if kind == "sqlite":
        return load_inventory(f"sqlite:///{path}", options)
    return _load(_open_file(path, text, kind, options), text, options)


def detect_format(path: Path) -> str:
    """csv | xlsx | json | jsonl | sqlite, from the suffix, else from the first bytes."""
    kind = FORMATS_BY_SUFFIX.get(path.suffix.casefold())
    if kind is not None:
        return kind
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError as exc:
        raise InventoryError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"SQLite format 3\x00"):
        return "sqlite"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"["):
        return "json"
    if stripped.startswith(b"{"):
        first_line = stripped.split(b"\n", 1)[0].strip()
        return "jsonl" if first_line.endswith(b"}") else "json"
    return "csv"


def _open_file(path: Path, shown: str, kind: str, options: InventorySettings) -> AbstractContextManager[Table]:
    if kind == "xlsx":
        from feedaudit.inventory import xlsx  # noqa: PLC0415 (openpyxl loads only when a workbook is read)

        return xlsx.open_xlsx(path, shown, sheet=options.sheet)
    if kind == "json":
        return open_json(path, shown, key=options.table)
    if kind == "jsonl":
        return open_json_lines(path, shown)
    return open_csv(path, shown, delimiter=options.delimiter, encoding=options.encoding)


def _load(opener: AbstractContextManager[Table], shown: str, options: InventorySettings) -> Inventory:
    with opener as table:
        columns = map_columns(table.headers, options.columns, options.match_on, shown)
        inventory = Inventory(shown, options.match_on, columns)
        inventory.load(table.rows, table.first_row, options.currency, text=table.text)
    return inventory.finish()
