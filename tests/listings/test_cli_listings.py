"""`feedaudit check --listings` and `feedaudit listing` against the bundled pages on a loopback server."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from feedaudit.cli import main
from tests.listings.shopserver import Reply, ShopServer, running

PAGES = Path(__file__).resolve().parents[2] / "fixtures" / "pages"


@pytest.fixture
def shop() -> Iterator[ShopServer]:
    server = ShopServer("127.0.0.1")
    for page in PAGES.glob("*.html"):
        server.routes[f"/{page.name}"] = Reply(200, page.read_bytes(), {"Content-Type": "text/html"})
    with running(server):
        yield server


def workdir(tmp_path: Path, shop: ShopServer, listings: str = "") -> Path:
    feed = (PAGES / "feed.xml").read_text("utf-8").replace("demo-shop.invalid", f"127.0.0.1:{shop.port}")
    (tmp_path / "feed.xml").write_text(feed, "utf-8")
    (tmp_path / "feedaudit.toml").write_text(f"[listings]\nrate = 1000\nper-host = 4\n{listings}", "utf-8")
    return tmp_path


def run(args: list[str], cwd: Path, stdin: str | None = None) -> tuple[int, str]:
    with contextlib.chdir(cwd):
        result = CliRunner().invoke(main, args, input=stdin)
    return result.exit_code, result.output


def test_check_with_listings_reports_page_faults(tmp_path: Path, shop: ShopServer) -> None:
    code, output = run(
        ["check", "feed.xml", "--listings", "--allow-private", "--select", "LS"], workdir(tmp_path, shop)
    )
    assert code == 1
    lines = output.splitlines()
    assert "feed.xml:18: LS006 [error] page price 1299 differs from the feed price 1199 (json-ld) [offer KO150F]" in (
        lines
    )
    assert any("LS008 [warning] page says refurbished, the feed new" in line for line in lines)
    assert any("LS007 [error] page says out of stock, the feed in stock" in x and "REBEL-71" in x for x in lines)
    assert any("LS003 [error] page shows a placeholder in its price area: 'Ціну уточнюйте'" in line for line in lines)
    assert any("LS002 [error] page is gone (HTTP 404) [offer OLD-1]" in line for line in lines)
    assert not any("410291234" in line for line in lines)  # the Rozetka-like page agrees with its offer
    assert lines[-1] == "Found 10 problems (7 errors, 3 warnings) in 7 offers in 1 feed."


def test_feed_urls_on_private_addresses_are_refused_without_the_flag(tmp_path: Path, shop: ShopServer) -> None:
    code, output = run(["check", "feed.xml", "--listings", "--select", "LS"], workdir(tmp_path, shop))
    assert code == 1
    assert output.count("LS001 [error] page could not be fetched: refused to connect to 127.0.0.1") == 7
    assert shop.log == []


def test_sample_fetches_a_deterministic_subset(tmp_path: Path, shop: ShopServer) -> None:
    args = ["check", "feed.xml", "--listings", "--allow-private", "--sample", "3", "--seed", "5", "--select", "LS"]
    run(args, workdir(tmp_path, shop))
    first = sorted(p for p in shop.paths() if p != "/robots.txt")
    shop.log.clear()
    run(args, workdir(tmp_path, shop))
    second = sorted(p for p in shop.paths() if p != "/robots.txt")
    assert len(first) == 3
    assert first == second


def test_listings_can_be_enabled_in_the_configuration(tmp_path: Path, shop: ShopServer) -> None:
    cwd = workdir(tmp_path, shop, 'enabled = true\nallow-private = ["127.0.0.1"]\n')
    code, output = run(["check", "feed.xml", "--select", "LS002"], cwd)
    assert code == 1
    assert output.splitlines()[0].endswith("LS002 [error] page is gone (HTTP 404) [offer OLD-1]")


def test_listing_command_audits_pages_without_a_feed(tmp_path: Path, shop: ShopServer) -> None:
    urls = "\n".join(shop.url(f"/{name}") for name in ("prom.html", "placeholder.html", "gone.html"))
    code, output = run(
        ["listing", "-", "--allow-private", "--output-format", "json"], workdir(tmp_path, shop), stdin=urls
    )
    assert code == 1
    report = json.loads(output)
    found = [(f["code"], f["url"].rsplit("/", 1)[-1]) for f in report["findings"]]
    assert sorted(found) == [
        ("LS002", "gone.html"),
        ("LS003", "placeholder.html"),
        ("LS003", "placeholder.html"),
        ("LS004", "placeholder.html"),
    ]


def test_listing_command_exit_code_is_zero_for_a_clean_page(tmp_path: Path, shop: ShopServer) -> None:
    code, output = run(["listing", shop.url("/prom.html"), "--allow-private"], workdir(tmp_path, shop))
    assert code == 0
    assert output.strip() == "All checks passed: 1 page."


def test_bad_sample_is_a_usage_error(tmp_path: Path, shop: ShopServer) -> None:
    code, output = run(["check", "feed.xml", "--listings", "--sample", "lots"], workdir(tmp_path, shop))
    assert code == 2
    assert "neither a count" in output
