"""`feedaudit check --inventory …` and the `[inventory]` section, end to end through the command line."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from feedaudit.cli import main
from tests.inventory.conftest import INVENTORY_FIXTURES

FEED = str(INVENTORY_FIXTURES / "feed.xml")


def check(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["check", FEED, *args])
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout


def codes(out: str) -> list[str]:
    return [line.split(": ", 1)[1].split(" ", 1)[0] for line in out.splitlines() if ": IV" in line]


def test_inventory_option_reports_drift() -> None:
    code, out = check("--inventory", str(INVENTORY_FIXTURES / "stock.csv"), "--select", "IV")
    assert code == 1
    assert codes(out).count("IV001") == 2
    assert "feed.xml:20: IV001 [error] price 1299 UAH differs from the inventory's 1499 UAH by -13.3%" in out
    assert "Found 11 problems (3 errors, 8 warnings) in 7 offers in 1 feed." in out


def test_price_tolerance_on_the_command_line() -> None:
    _, out = check("--inventory", str(INVENTORY_FIXTURES / "stock.csv"), "--select", "IV001", "--price-tolerance", "5%")
    assert codes(out) == ["IV001"]  # 300 USD against 289.13 USD (+3.8 %) now passes; -13.3 % does not
    _, out = check(
        "--inventory", str(INVENTORY_FIXTURES / "stock.csv"), "--select", "IV001", "--price-tolerance", "200"
    )
    assert codes(out) == []


def test_inventory_map_and_match_on(tmp_path: Path) -> None:
    stock = tmp_path / "export.csv"
    stock.write_text("Код 1С;Ціна роздріб;Залишок на складі\nTWK3A011;1299;12\nHD9350/90;999;4\n", "utf-8")
    code, out = check(
        "--inventory",
        str(stock),
        "--inventory-map",
        "key=Код 1С,price=Ціна роздріб,quantity=Залишок на складі",
        "--match-on",
        "vendor-code",
        "--select",
        "IV001,IV004",
    )
    assert code == 1
    assert "IV001 [error] price 899 UAH differs from the inventory's 999 UAH" in out
    assert "IV004 [warning] vendor code 'VC07M2110SB' has no row in" in out


def test_inventory_section_in_the_configuration_file(tmp_path: Path) -> None:
    config = tmp_path / "feedaudit.toml"
    config.write_text(
        f'select = ["IV"]\n[inventory]\nsource = "{INVENTORY_FIXTURES / "stock.tsv"}"\n'
        'columns = { price = "Price", status = "Status" }\n'
        "[rules.IV001]\npercent = 5\n[rules.IV003]\nabsolute = 2\n",
        "utf-8",
    )
    code, out = check("--config", str(config))
    assert code == 1
    assert codes(out).count("IV001") == 1
    assert codes(out).count("IV003") == 1  # 5 against 3 is within 2; 4 against 0 is not


def test_no_inventory_means_no_iv_findings() -> None:
    code, out = check("--select", "IV")
    assert code == 0
    assert "All checks passed" in out


def test_unknown_inventory_key_in_the_configuration_file(tmp_path: Path) -> None:
    config = tmp_path / "feedaudit.toml"
    config.write_text('[inventory]\nsource = "stock.csv"\nsheets = "x"\n', "utf-8")
    result = CliRunner().invoke(main, ["check", FEED, "--config", str(config)])
    assert result.exit_code == 2
    assert "inventory.sheets: unknown key" in result.stderr


def test_each_feed_is_compared_on_its_own(tmp_path: Path) -> None:
    stock = tmp_path / "stock.csv"
    stock.write_text("sku;qty\nA;1\nB;1\n", "utf-8")
    feeds = []
    for name, offer in (("a.xml", "A"), ("b.xml", "B")):
        feed = tmp_path / name
        feed.write_text(
            f'<yml_catalog><shop><offers><offer id="{offer}"><price>1</price></offer></offers></shop></yml_catalog>',
            "utf-8",
        )
        feeds.append(str(feed))
    result = CliRunner().invoke(main, ["check", *feeds, "--inventory", str(stock), "--select", "IV005"])
    missing = [line for line in result.stdout.splitlines() if "IV005" in line]
    assert len(missing) == 2
    assert missing[0].startswith(feeds[0])
    assert "'B'" in missing[0]
    assert missing[1].startswith(feeds[1])
    assert "'A'" in missing[1]
