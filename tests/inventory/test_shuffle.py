"""Property: the order of the inventory's rows never changes the findings (keys are unique)."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from feedaudit.config import Settings
from feedaudit.engine import Engine
from feedaudit.inventory import load_inventory
from tests.inventory.conftest import INVENTORY_FIXTURES, comparable

KEYS = [f"K-{n}" for n in range(12)]

rows = st.fixed_dictionaries(
    {
        "price": st.one_of(st.none(), st.integers(0, 50), st.sampled_from(["договірна", "-5", "12,50"])),
        "qty": st.one_of(st.none(), st.integers(0, 4), st.sampled_from(["-1", "2.5"])),
        "status": st.sampled_from(["", "В наявності", "Немає", "Під замовлення"]),
    }
)
offers = st.fixed_dictionaries(
    {
        "price": st.integers(0, 50),
        "qty": st.one_of(st.none(), st.integers(0, 4)),
        "available": st.sampled_from(["true", "false", None]),
    }
)


def feed_text(chosen: dict[str, dict[str, object]]) -> str:
    parts = []
    for key, fields in chosen.items():
        available = f' available="{fields["available"]}"' if fields["available"] is not None else ""
        quantity = f"<quantity_in_stock>{fields['qty']}</quantity_in_stock>" if fields["qty"] is not None else ""
        parts.append(f'<offer id="{key}"{available}><price>{fields["price"]}</price>{quantity}</offer>')
    return (
        '<yml_catalog><shop><currencies><currency id="UAH" rate="1"/></currencies><offers>\n'
        + "\n".join(parts)
        + "\n</offers></shop></yml_catalog>\n"
    )


def csv_text(inventory: list[tuple[str, dict[str, object]]]) -> str:
    def cell(value: object) -> str:
        return "" if value is None else str(value)

    body = "".join(f"{key};{cell(r['price'])};{cell(r['qty'])};{r['status']}\n" for key, r in inventory)
    return "Артикул;Ціна;Кількість;Наявність\n" + body


def findings(directory: Path, feed: str, stock: str) -> list[tuple[object, ...]]:
    (directory / "feed.xml").write_text(feed, "utf-8")
    (directory / "stock.csv").write_text(stock, "utf-8")
    engine = Engine(Settings(select=["IV"]), inventory=load_inventory(directory / "stock.csv"))
    return comparable(list(engine.audit_feed(str(directory / "feed.xml"))))


@settings(max_examples=40, deadline=None)
@given(
    inventory=st.dictionaries(st.sampled_from(KEYS), rows, min_size=1),
    feed=st.dictionaries(st.sampled_from(KEYS), offers, min_size=1),
    seed=st.integers(0, 2**32 - 1),
)
def test_shuffling_inventory_rows_never_changes_findings(
    inventory: dict[str, dict[str, object]], feed: dict[str, dict[str, object]], seed: int
) -> None:
    ordered = list(inventory.items())
    shuffled = ordered[:]
    random.Random(seed).shuffle(shuffled)
    with tempfile.TemporaryDirectory() as first, tempfile.TemporaryDirectory() as second:
        before = findings(Path(first), feed_text(feed), csv_text(ordered))
        after = findings(Path(second), feed_text(feed), csv_text(shuffled))
    assert before == after


def test_shuffled_fixture_inventory_gives_the_same_findings(tmp_path: Path) -> None:
    lines = (INVENTORY_FIXTURES / "stock.csv").read_text("utf-8").splitlines(keepends=True)
    header, body = lines[0], [line for line in lines[1:] if "(вітрина)" not in line]  # keys unique
    feed = (INVENTORY_FIXTURES / "feed.xml").read_text("utf-8")
    before = findings(tmp_path, feed, header + "".join(body))
    random.Random(5).shuffle(body)
    after = findings(tmp_path, feed, header + "".join(body))
    assert len(before) == 10
    assert before == after
