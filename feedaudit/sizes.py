"""Byte sizes as people write them: `10MB`, `512 KiB`, `8GiB`, or a plain number of bytes.

Decimal units are powers of 1000 (kB, MB, GB, TB), binary ones powers of 1024 (KiB, MiB, GiB, TiB);
units are case-insensitive and may be separated from the number by a space. Every configuration key
and command-line option that takes a byte size uses `ByteCount` / `parse_size`.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BeforeValidator, Field, WithJsonSchema

UNITS = {
    "b": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "tb": 1000**4,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
    "tib": 1024**4,
}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$", re.IGNORECASE)
PATTERN = r"^\s*\d+(\.\d+)?\s*(([kKmMgGtT][iI]?)?[bB])?\s*$"


def parse_size(text: str) -> int:
    """`'10MB'` → 10_000_000, `'1.5 GiB'` → 1_610_612_736, `'4096'` → 4096; `ValueError` otherwise."""
    match = _SIZE.match(text)
    unit = (match.group(2) or "b").lower() if match else ""
    if match is None or unit not in UNITS:
        raise ValueError(f"{text!r} is not a size: give bytes (4096) or a number with a unit (10MB, 512KiB, 2GiB)")
    return int(float(match.group(1)) * UNITS[unit])


def _from_text(value: object) -> object:
    return parse_size(value) if isinstance(value, str) else value


ByteCount = Annotated[
    int,
    BeforeValidator(_from_text),
    Field(gt=0),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "exclusiveMinimum": 0},
                {"type": "string", "pattern": PATTERN},
            ]
        }
    ),
]
"""A byte size in a settings model: an integer, or a string with a unit; always a positive `int` once read."""
