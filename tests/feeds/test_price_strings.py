"""Real-world price strings as feeds write them, each with what a person reads in it (price_strings.tsv).

The table is the contract of `feedaudit.feeds.prices.read_price`: an amount is read exactly, an
ambiguous text carries both readings and no amount, and words, ranges and non-prices give no amount.
There are no silent misreads: a row expecting anything but an amount must not yield one.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from feedaudit.feeds.prices import PriceKind, read_price

TABLE = Path(__file__).with_name("price_strings.tsv")


def _rows() -> list[tuple[str, str, str, str]]:
    rows = []
    for line in TABLE.read_text("utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        text, hint, expected, note = line.split("\t")
        rows.append((text, hint, expected, note))
    return rows


ROWS = _rows()


def _kind(expected: str) -> str:
    return "amount" if expected[0].isdigit() or expected[0] == "-" else expected.split(":", maxsplit=1)[0]


def test_the_table_is_large_and_varied() -> None:
    kinds = {
        expected.split(":", maxsplit=1)[0] if not expected[0].isdigit() and expected[0] != "-" else "amount"
        for _, _, expected, _ in ROWS
    }
    assert len(ROWS) >= 300
    assert kinds == {"amount", "ambiguous", "not-a-price", "placeholder", "range"}


@pytest.mark.parametrize(("text", "hint", "expected", "note"), ROWS, ids=[f"{i}:{r[0]!r}" for i, r in enumerate(ROWS)])
def test_price_string(text: str, hint: str, expected: str, note: str) -> None:
    reading = read_price(text, hint or None)
    if expected.startswith("ambiguous:"):
        grouped, decimal = (Decimal(v) for v in expected.removeprefix("ambiguous:").split("|"))
        assert (reading.kind, reading.amount, reading.readings) == (PriceKind.AMBIGUOUS, None, (grouped, decimal))
    elif expected in {"not-a-price", "placeholder", "range"}:
        assert (reading.kind.value, reading.amount) == (expected, None), note
    else:
        assert reading.kind is PriceKind.AMOUNT, note
        assert reading.amount == Decimal(expected), note
