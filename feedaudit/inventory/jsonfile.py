"""JSON and JSON Lines inventories: one object per row, its keys are the headers.

A JSON file holds a list of objects, or an object with one list of objects in it (`{"items": [...]}`,
or the key named in `[inventory] table`). A JSON Lines file holds one object per line and is streamed;
its headers are the keys of the first 1,000 objects. Broken JSON, or JSON nested deeper than the parser
goes, is an `InventoryError` with its line.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from feedaudit.errors import InventoryError
from feedaudit.inventory.table import Table

HEADER_LOOKAHEAD = 1000
TOO_DEEP = "JSON nested too deeply to read (lists or objects inside one another hundreds of levels down)"


@contextmanager
def open_json(path: Path, source: str, *, key: str | None) -> Iterator[Table]:
    try:
        text = path.read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InventoryError(f"{source}: cannot read: {exc}") from exc
    if not text.strip():
        raise InventoryError(f"{source}: the inventory is empty")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InventoryError(f"{source}: line {exc.lineno} column {exc.colno}: not valid JSON: {exc.msg}") from exc
    except RecursionError:
        raise InventoryError(f"{source}: {TOO_DEEP}") from None
    records = _records(data, source, key)
    for number, record in enumerate(records, start=1):
        if not isinstance(record, Mapping):
            raise InventoryError(f"{source}: record {number} is not an object")
    headers = _headers(records)
    yield Table(headers=headers, rows=_cells(records, headers), first_row=1)


@contextmanager
def open_json_lines(path: Path, source: str) -> Iterator[Table]:
    try:
        handle = path.open("r", encoding="utf-8-sig")
    except OSError as exc:
        raise InventoryError(f"{source}: cannot read: {exc.strerror or exc}") from exc
    with handle:
        records = _parse_lines(handle, source)
        head = list(itertools.islice(records, HEADER_LOOKAHEAD))
        if not head:
            raise InventoryError(f"{source}: the inventory is empty")
        headers = _headers(head)
        try:
            yield Table(headers=headers, rows=_cells(itertools.chain(head, records), headers), first_row=1)
        except UnicodeDecodeError as exc:
            raise InventoryError(f"{source}: not valid UTF-8: {exc.reason}") from exc


def _records(data: Any, source: str, key: str | None) -> list[Any]:
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        if key is not None:
            if not isinstance(data.get(key), list):
                raise InventoryError(f"{source}: no list under {key!r} (keys: {', '.join(map(str, data))})")
            return list(data[key])
        lists = [name for name, value in data.items() if isinstance(value, list)]
        if len(lists) == 1:
            return list(data[lists[0]])
        raise InventoryError(
            f"{source}: expected a list of objects, or an object holding one list; "
            f"found an object with keys {', '.join(map(str, data)) or 'none'} (name the list with `table`)"
        )
    raise InventoryError(f"{source}: expected a list of objects, found {type(data).__name__}")


def _parse_lines(lines: Iterable[str], source: str) -> Iterator[Mapping[str, Any] | None]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            yield None  # keeps row numbers equal to line numbers
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InventoryError(f"{source}: line {number}: not valid JSON: {exc.msg}") from exc
        except RecursionError:
            raise InventoryError(f"{source}: line {number}: {TOO_DEEP}") from None
        if not isinstance(record, Mapping):
            raise InventoryError(f"{source}: line {number} is not an object")
        yield record


def _headers(records: Iterable[Mapping[str, Any] | None]) -> list[str]:
    seen: dict[str, None] = {}
    for record in records:
        if record is not None:
            for name in record:
                seen.setdefault(str(name), None)
    return list(seen)


def _cells(records: Iterable[Mapping[str, Any] | None], headers: Sequence[str]) -> Iterator[Sequence[Any]]:
    for record in records:
        yield () if record is None else [record.get(name) for name in headers]
