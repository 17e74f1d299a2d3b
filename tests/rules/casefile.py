"""Loading rule test cases from `tests/rules/cases/<CODE>.yml` and turning them into feeds.

A case file holds the cases of one rule code:

    rule: ID002
    cases:
      - name: unique_ids_pass          # test id becomes "ID002-unique_ids_pass"
        yml_offers: |                  # or hotline_items / google_items / atom_entries / feed (whole text)
          <offer id="1"><price>10</price></offer>
        expect: []                     # no finding of this rule
      - name: repeated_id_fails
        yml_offers: |
          <offer id="1"><price>10</price></offer>
          <offer id="1"><price>20</price></offer>
        settings: {profile: prom}      # optional Settings keys (kebab-case, as in feedaudit.toml)
        encoding: windows-1251         # optional: how to encode a `feed:` text (default UTF-8);
                                       # `feed: !!binary <base64>` gives raw bytes
        expect:
          - {line: 2, offer_id: "1", field: offer_id}   # keys given are compared; count must match

Line numbers in `expect` count from the first line of the offers block (templates put it on line 1).

Inventory (IV) cases add the shop's inventory, and may set `[inventory]` options under `settings`:

      - name: price_drift_fails
        yml_offers: |
          <offer id="1"><price>10</price></offer>
        inventory: |                   # CSV text (delimiter detected), written to inventory.csv …
          sku;price;qty
          1;12;5
        # inventory: [{sku: "1", price: 12}]   … or a list of rows, written to inventory.json
        settings: {inventory: {match-on: barcode}}
        expect:
          - {offer_id: "1", field: price, expected: "12 UAH", actual: "10 UAH"}

Live-listing (LS) cases add the pages the offers link to, served to the rules without any network:

      - name: page_price_differs_fails
        yml_offers: |
          <offer id="1"><url>https://shop.example.ua/p/1</url><price>100</price></offer>
        pages:                         # offer URL -> page HTML (read by feedaudit.listings.extract) …
          https://shop.example.ua/p/1: |
            <script type="application/ld+json">{"@type": "Product", "offers": {"price": "120"}}</script>
          https://shop.example.ua/p/2: {status: 404}         # … or a fetch outcome: status, error,
                                                             # html, final_url, redirects
        page_inventory:                # optional: the shop's inventory, offer id -> row fields
          "1": {price: 100, quantity: 0}
        expect:
          - {line: 2, offer_id: "1", field: price, url: "https://shop.example.ua/p/1", expected: "100"}

A case with `pages` and no feed audits the pages on their own (`feedaudit listing`, LISTING rules).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

CASES_DIR = Path(__file__).parent / "cases"

_TEMPLATES = {
    "yml_offers": (
        '<yml_catalog date="2026-11-20 10:00"><shop><name>Shop</name><url>https://shop.example.ua</url>'
        '<currencies><currency id="UAH" rate="1"/></currencies>'
        '<categories><category id="1">Category</category></categories><offers>\n',
        "\n</offers></shop></yml_catalog>\n",
    ),
    "hotline_items": (
        "<price><firmName>Shop</firmName><categories><category><id>1</id><name>Category</name></category>"
        "</categories><items>\n",
        "\n</items></price>\n",
    ),
    "google_items": (
        '<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0"><channel><title>Shop</title>'
        "<link>https://shop.example.com</link>\n",
        "\n</channel></rss>\n",
    ),
    "meta_items": (
        '<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0"><channel><title>Shop</title>'
        "<link>https://www.facebook.com/shop</link>\n",
        "\n</channel></rss>\n",
    ),
    "atom_entries": (
        '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:g="http://base.google.com/ns/1.0"><title>Shop</title>\n',
        "\n</feed>\n",
    ),
}


@dataclass(frozen=True)
class Case:
    code: str
    name: str
    feed: bytes
    expect: list[dict[str, Any]]
    settings: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)
    inventory: str | list[dict[str, Any]] | None = None

    def inventory_file(self, directory: Path) -> Path | None:
        """Write the case's inventory into `directory` (CSV text or JSON rows); None when it has none."""
        if self.inventory is None:
            return None
        if isinstance(self.inventory, str):
            path = directory / "inventory.csv"
            path.write_text(self.inventory, "utf-8")
        else:
            path = directory / "inventory.json"
            path.write_text(json.dumps(self.inventory, ensure_ascii=False), "utf-8")
        return path

    @property
    def id(self) -> str:
        return f"{self.code}-{self.name}"


def has_feed(case: dict[str, Any]) -> bool:
    return "feed" in case or any(key in case for key in _TEMPLATES)


def feed_text(case: dict[str, Any]) -> bytes:
    if "pages" in case and not has_feed(case):
        return b""
    if "feed" in case:
        text = case["feed"]
        if isinstance(text, bytes):  # `feed: !!binary …` for bytes no text can spell
            return text
        return str(text).encode(case.get("encoding", "utf-8"))
    for key, (head, tail) in _TEMPLATES.items():
        if key in case:
            return (head + str(case[key]).rstrip("\n") + tail).encode("utf-8")
    raise ValueError(f"case {case.get('name')!r} has no feed: give one of feed, {', '.join(_TEMPLATES)}")


def load_cases(path: Path) -> list[Case]:
    data = yaml.safe_load(path.read_text("utf-8"))
    code = data["rule"]
    if path.stem != code:
        raise ValueError(f"{path.name} declares rule {code}")
    cases = []
    for raw in data["cases"]:
        cases.append(
            Case(
                code=code,
                name=raw["name"],
                feed=feed_text(raw),
                expect=list(raw.get("expect") or []),
                settings=dict(raw.get("settings") or {}),
                raw=raw,
                inventory=raw.get("inventory"),
            )
        )
    return cases


def all_cases() -> list[Case]:
    return [case for path in sorted(CASES_DIR.glob("*.yml")) for case in load_cases(path)]
