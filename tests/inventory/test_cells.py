"""Inventory price cells are read by the one price parser (`feedaudit.feeds.prices`)."""

from __future__ import annotations

from feedaudit.inventory.cells import price_units, units_to_decimal


def test_price_cells_are_read_by_the_one_price_parser() -> None:
    assert units_to_decimal(price_units("$16,500") or 0) == 16500  # USD amounts have no three decimals
    assert units_to_decimal(price_units("12,990 грн") or 0) == 12990
    assert units_to_decimal(price_units("6 300 Р") or 0) == 6300
    assert price_units("16,500") is None  # 16 500 or 16.5: not guessed
    assert price_units("15.08.2017") is None
