"""The HTML report: shop, feed date and run time up top, what to fix per rule, then the products.

The browser tests render the page in a real headless Chromium (Debian's `chromium`) and read back what
it built; they skip when no Chromium is installed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import html

from feedaudit.cli import main
from tests.listings.shopserver import Reply, ShopServer, running

CHROMIUM = next((path for name in ("chromium", "chromium-browser") if (path := shutil.which(name))), None)
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="no chromium installed (apt-get install chromium)")


def _report(tmp_path: Path, *feeds: Path) -> Path:
    page = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["check", *map(str, feeds), "--output-format", "html", "-o", str(page), "-q"])
    assert result.exit_code == 1, result.output
    return page


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, check=True)


def _cells(row: html.HtmlElement) -> list[str]:
    return [" ".join(" ".join(cell.itertext()).split()) for cell in row.xpath("./td")]


def test_the_page_says_which_shop_feed_and_run(fixtures_dir: Path, tmp_path: Path) -> None:
    text = _report(tmp_path, fixtures_dir / "feeds" / "prom.xml").read_text("utf-8")
    page = html.fromstring(text)
    assert page.findtext(".//title") == "feedaudit report: Побутова техніка Дніпро"
    meta = " ".join(" ".join(p.text_content().split()) for p in page.xpath('//p[@class="meta"]'))
    assert "Побутова техніка Дніпро" in meta
    assert "feed dated 2026-11-20 09:00" in meta
    assert "5 offers" in meta
    assert re.search(r"Audited \d{4}-\d\d-\d\d \d\d:\d\d UTC", meta)
    # self-contained: nothing is fetched, nothing runs
    assert not page.xpath("//script | //link | //img | //iframe | //*[@src]")


def test_what_to_fix_is_one_row_per_rule_worst_first_with_a_bar(fixtures_dir: Path, tmp_path: Path) -> None:
    page = html.fromstring(_report(tmp_path, fixtures_dir / "feeds" / "prom.xml").read_text("utf-8"))
    [table] = page.xpath('//h2[@id="fix"]/following-sibling::table[1]')
    rows = [_cells(row) for row in table.xpath("./tbody/tr")]
    assert [row[0] for row in rows] == ["error"] * 5 + ["warning"] * 2 + ["info"]
    assert rows[0][1:4] == [
        "PH002 sentinel-price",
        "A price is a sentinel number (0, 1, 9999, 99999…) rather than a real price",
        "2",
    ]
    widths = [bar.get("style") for bar in table.xpath(".//div[contains(@class, 'bar')]")]
    assert widths[0] == "width: 100.0%"
    assert widths[1:] == ["width: 50.0%"] * 7


def test_products_by_name_id_and_line_worst_first(fixtures_dir: Path, tmp_path: Path) -> None:
    page = html.fromstring(_report(tmp_path, fixtures_dir / "feeds" / "prom.xml").read_text("utf-8"))
    [table] = page.xpath('//h2[@id="products"]/following-sibling::table[1]')
    rows = [_cells(row) for row in table.xpath("./tbody/tr")]
    assert [row[:3] for row in rows] == [
        ["Електрочайник Philips HD9350", "KT-1002", "34"],
        ["Пилосос Samsung VC07 (б/в, після ремонту)", "VC-2001", "45"],
        ["Пилосос Rowenta RO3950", "VC-2001", "57"],
        ["Смартфон Xiaomi Redmi Note 13 8/256GB", "(none)", "69"],
    ]
    assert "PH002 price 0 is a sentinel" in rows[0][3]
    assert "price: 0" in rows[0][3]


def test_text_from_the_feed_is_escaped(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_text(
        '<yml_catalog date="&lt;img src=x&gt;"><shop><name>&lt;b&gt;Shop&lt;/b&gt;</name><offers>\n'
        "<offer><price>0</price><name>&lt;script&gt;alert(1)&lt;/script&gt;</name></offer>\n"
        "</offers></shop></yml_catalog>\n",
        "utf-8",
    )
    text = _report(tmp_path, feed).read_text("utf-8")
    assert "<script" not in text
    assert "<img" not in text
    assert "<b>Shop" not in text
    page = html.fromstring(text)
    assert "<script>alert(1)</script>" in page.text_content()  # shown as text, not run


@needs_chromium
def test_chromium_renders_the_report(fixtures_dir: Path, tmp_path: Path) -> None:
    feeds = fixtures_dir / "feeds"
    page = _report(tmp_path, feeds / "prom.xml", feeds / "hotline.xml", feeds / "broken" / "truncated.xml")
    dom = html.fromstring(_chromium(tmp_path, "--dump-dom", page.as_uri()).stdout)

    # what the browser built from the page, not only what was written
    assert dom.findtext(".//h1") == "feedaudit report"
    meta = [" ".join(p.text_content().split()) for p in dom.xpath('//p[@class="meta"]')]
    assert any("Побутова техніка Дніпро" in m and "feed dated 2026-11-20 09:00" in m for m in meta)
    assert any("Фото-Світ" in m and "feed dated 2026-11-20 12:00" in m for m in meta)
    fix_rows = dom.xpath('//h2[@id="fix"]/following-sibling::table[1]/tbody/tr')
    assert [_cells(row)[1].split()[0] for row in fix_rows][:2] == ["FD001", "PH002"]
    assert all(row.xpath(".//div[contains(@class, 'bar')]") for row in fix_rows)
    sections = [" ".join(h.text_content().split()) for h in dom.xpath("//h3")]
    assert sections[0] == "Побутова техніка Дніпро · " + str(feeds / "prom.xml")
    whole_feed = dom.xpath("//p[b='The feed as a whole']/following-sibling::table[1]/tbody/tr")
    assert any("a bare '&' in the text" in _cells(row)[1] for row in whole_feed)
    products = [_cells(row)[0] for row in dom.xpath("//table[thead/tr/th='product']/tbody/tr")]
    assert "Електрочайник Philips HD9350" in products
    assert not dom.xpath("//script")

    screenshot = tmp_path / "report.png"
    _chromium(tmp_path, "--hide-scrollbars", "--window-size=1200,1600", f"--screenshot={screenshot}", page.as_uri())
    data = screenshot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1200, 1600)


def test_pages_audited_on_their_own_are_listed_without_a_feed(tmp_path: Path) -> None:
    pages = Path(__file__).resolve().parents[2] / "fixtures" / "pages"
    server = ShopServer("127.0.0.1")
    server.routes["/placeholder.html"] = Reply(
        200, (pages / "placeholder.html").read_bytes(), {"Content-Type": "text/html"}
    )
    page = tmp_path / "pages.html"
    with running(server):
        args = ["listing", server.url("/placeholder.html"), "--allow-private", "--output-format", "html", "-o"]
        result = CliRunner().invoke(main, [*args, str(page)])
    assert result.exit_code == 1, result.output
    dom = html.fromstring(page.read_text("utf-8"))
    assert dom.xpath("//p[not(@class)]/b/text()") == ["Findings"]  # no feed, so no "feed as a whole"
    rows = [_cells(row) for row in dom.xpath("//p[b='Findings']/following-sibling::table[1]/tbody/tr")]
    assert rows
    assert all("LS00" in row[1] for row in rows)
