"""Recall on real feeds: plant faults of every family into feeds from ../shared/corpus and count what is found.

For each YML feed of the corpus that reads without an FD finding, and each fault family, the script
picks a few offers (deterministically, from `--seed`), plants the fault into a copy of the feed, and
audits both the copy and the unplanted copy (the same feed written back by the same code, so the
serialisation itself cannot show up as a difference). It reports, per family:

- found / planted: planted offers on which the family's rule reports (feed-level families: feeds);
- collateral: findings that appeared or disappeared on offers nobody touched (must be 0).

Faults are planted on the offer's own lines (no new line breaks), so every untouched finding keeps
its line. Run: `python -m bench.recall [--per-feed 3] [--seed 7] [--corpus ../shared/corpus]`.
"""

from __future__ import annotations

import argparse
import datetime
import random
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from lxml import etree

import feedaudit
from feedaudit.config import Settings
from feedaudit.feeds import ReadOptions, read_feed
from feedaudit.rules import registered_rules
from feedaudit.rules.feed import feed_day

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
QUANTITY_TAGS = ("stock_quantity", "quantity_in_stock", "count", "quantity")
OLD_PRICE_TAGS = ("oldprice", "price_old", "old_price")
CONDITION_PARAMS = ("стан", "состояние", "condition")
WARRANTY_PARAMS = ("гарантія", "гарантия", "warranty", "гарантійний термін", "гарантийный срок")

Plant = Callable[[etree._Element], bool]  # plants the fault into one offer; False when the offer does not fit


def _child(offer: etree._Element, *tags: str) -> etree._Element | None:
    for tag in tags:
        found = offer.find(tag)
        if found is not None:
            return found
    return None


def _params(offer: etree._Element, names: tuple[str, ...]) -> list[etree._Element]:
    return [p for p in offer.findall("param") if (p.get("name") or "").strip().rstrip(":").casefold() in names]


def _price(offer: etree._Element) -> Decimal | None:
    element = offer.find("price")
    if element is None or not (element.text or "").strip():
        return None
    try:
        value = Decimal((element.text or "").strip().replace(",", "."))
    except InvalidOperation:
        return None
    return value if value > 0 else None


def _append(offer: etree._Element, tag: str, text: str, **attributes: str) -> None:
    """A new child at the end of the offer, on the line of the last child (no new line break)."""
    element = etree.SubElement(offer, tag, attributes)
    element.text = text
    previous = element.getprevious()
    if previous is not None:
        element.tail, previous.tail = previous.tail, ""


def set_price(text: str) -> Plant:
    def plant(offer: etree._Element) -> bool:
        element = offer.find("price")
        if element is None or _price(offer) is None:
            return False
        element.text = text
        return True

    return plant


def set_available(text: str) -> Plant:
    def plant(offer: etree._Element) -> bool:
        if offer.get("available") is None:
            return False
        offer.set("available", text)
        return True

    return plant


def sentinel_price(offer: etree._Element) -> bool:
    price = _price(offer)
    if price is None or price >= 20000:
        return False
    offer.find("price").text = "99999"  # type: ignore[union-attr]
    return True


def used_in_name(offer: etree._Element) -> bool:
    name = offer.find("name")
    if name is None or not (name.text or "").strip() or _params(offer, CONDITION_PARAMS):
        return False
    if offer.find("condition") is not None or offer.find("state") is not None:
        return False
    name.text = (name.text or "").rstrip() + " (б/в)"
    return True


def used_in_other_language(offer: etree._Element) -> bool:
    """The Russian or Ukrainian version of the name says used; the main name does not."""
    main, other = offer.find("name"), _child(offer, "name_ua", "name_ru")
    if main is None or other is None or not (other.text or "").strip() or _params(offer, CONDITION_PARAMS):
        return False
    if offer.find("condition") is not None or offer.find("state") is not None:
        return False
    other.text = (other.text or "").rstrip() + " (б/у)"
    return True


def used_against_label(offer: etree._Element) -> bool:
    name = offer.find("name")
    if name is None or not (name.text or "").strip() or _params(offer, CONDITION_PARAMS):
        return False
    if offer.find("condition") is not None or offer.find("state") is not None:
        return False
    name.text = (name.text or "").rstrip() + " (вживаний)"
    _append(offer, "param", "Новий", name="Стан")
    return True


def refurbished_in_description(offer: etree._Element) -> bool:
    description = offer.find("description")
    if description is None or _params(offer, CONDITION_PARAMS) or offer.find("condition") is not None:
        return False
    description.text = "Відновлений пристрій, є сліди використання. " + (description.text or "")
    return True


def returns_as_warranty(offer: etree._Element) -> bool:
    if offer.find("manufacturer_warranty") is not None or offer.find("warranty-days") is not None:
        return False
    existing = _params(offer, WARRANTY_PARAMS)
    if existing:
        for element in existing:
            element.text = "14 днів на повернення"
    else:
        _append(offer, "param", "14 днів на повернення", name="Гарантія")
    return True


def old_price_below(offer: etree._Element) -> bool:
    price = _price(offer)
    if price is None:
        return False
    old = _child(offer, *OLD_PRICE_TAGS)
    value = str((price * Decimal("0.8")).quantize(Decimal(1)))
    if old is not None:
        old.text = value
    else:
        _append(offer, "oldprice", value)
    return True


def in_stock_with_zero(offer: etree._Element) -> bool:
    quantity = _child(offer, *QUANTITY_TAGS)
    if quantity is None or offer.get("available") is None:
        return False
    offer.set("available", "true")
    quantity.text = "0"
    return True


OUTLIER_MIN_CATEGORY = 8  # price-outlier judges categories of at least this many priced offers (its default)


PLANTED_CATEGORIES = "data-recall-outliers"  # on <offers>: the categories already given an outlier


def outlier_price(offer: etree._Element) -> bool:
    """One typo (the price divided by 50) per category: a real feed's typos are rare, and price-outlier
    by design reports at most two prices at either end of a category (see its docs)."""
    price = _price(offer)
    category = _child(offer, "categoryId")
    parent = offer.getparent()
    if price is None or price < 300 or category is None or parent is None:
        return False
    wanted = (category.text or "").strip()
    planted = (parent.get(PLANTED_CATEGORIES) or "").split()
    if wanted in planted or _category_size(offer) < OUTLIER_MIN_CATEGORY:
        return False
    parent.set(PLANTED_CATEGORIES, " ".join([*planted, wanted]))
    offer.find("price").text = str((price / 50).quantize(Decimal(1)))  # type: ignore[union-attr]
    return True


def _category_size(offer: etree._Element) -> int:
    """How many offers beside this one share its categoryId (a price is an outlier only among peers)."""
    category = _child(offer, "categoryId")
    parent = offer.getparent()
    if category is None or parent is None:
        return 0
    wanted = (category.text or "").strip()
    return sum(1 for o in parent if (c := _child(o, "categoryId")) is not None and (c.text or "").strip() == wanted)


@dataclass(frozen=True)
class Family:
    name: str
    rule_name: str  # the rule that must report the planted fault (looked up by name in the catalogue)
    plant: Plant | None  # None: a feed-level fault, planted by `plant_feed`
    plant_feed: Callable[[etree._ElementTree], bool] | None = None
    unlabelled: bool = False  # plant only into offers with no condition label (as feedaudit reads the feed)


def stale_date(tree: etree._ElementTree) -> bool:
    root = tree.getroot()
    if root.get("date") is None:
        return False
    root.set("date", "2019-03-01 10:00")
    return True


FAMILIES = (
    Family("placeholder price (uk)", "placeholder-price", set_price("Ціну уточнюйте")),
    Family("placeholder price (ru)", "placeholder-price", set_price("Цену уточняйте")),
    Family("placeholder price (en)", "placeholder-price", set_price("Call for price")),
    Family("placeholder availability (uk)", "placeholder-availability", set_available("уточнюйте наявність")),
    Family("placeholder availability (ru)", "placeholder-availability", set_available("уточняйте наличие")),
    Family("placeholder availability (en)", "placeholder-availability", set_available("check availability")),
    Family("sentinel price", "sentinel-price", sentinel_price),
    Family("used in the name, no label", "missing-condition-label", used_in_name, unlabelled=True),
    Family("used in another language's name", "missing-condition-label", used_in_other_language, unlabelled=True),
    Family(
        "used in the name against a 'new' label", "contradicting-condition-label", used_against_label, unlabelled=True
    ),
    Family(
        "refurbished in the description only", "condition-in-description", refurbished_in_description, unlabelled=True
    ),
    Family("returns policy as warranty", "return-period-as-warranty", returns_as_warranty),
    Family("old price below price", "old-price-not-higher", old_price_below),
    Family("in stock with quantity 0", "availability-contradicts-quantity", in_stock_with_zero),
    Family("outlier price", "price-outlier", outlier_price),
    Family("stale feed date", "stale-feed", None, stale_date),
)


Key = tuple[str, str | None, int | None]  # code, offer id, line (the line only for offers without an id)


def _audit(path: Path, today: datetime.date | None = None) -> list[feedaudit.Finding]:
    """Audit with every rule; `today` is the stale-feed rule's reference date (the feed's own date,
    so that a snapshot is as fresh as on the day it was taken). Warranty and delivery gaps are
    reported per offer: a feed-wide finding counts the offers, so any planted offer would change it."""
    rules: dict[str, dict[str, object]] = {"WR001": {"per-offer": True}, "DL001": {"per-offer": True}}
    if today is not None:
        rules["FD008"] = {"today": today, "max-age-days": 7}
    return feedaudit.audit(str(path), settings=Settings(rules=rules), select=["ALL"])


def _keys(findings: list[feedaudit.Finding]) -> Counter[Key]:
    return Counter((f.code, f.offer_id, None if f.offer_id else f.line) for f in findings)


@dataclass
class Tally:
    planted: int = 0
    found: int = 0
    collateral: int = 0
    feeds: int = 0
    missed: list[str] = field(default_factory=list)
    collateral_examples: list[str] = field(default_factory=list)


def _id(offer: etree._Element) -> str:
    return (offer.get("id") or "").strip()  # as feedaudit reports it


def _offers(tree: etree._ElementTree) -> list[etree._Element]:
    return [o for o in tree.getroot().iter("offer") if _id(o)]


def _labelled(path: Path) -> set[str]:
    """Ids of offers that carry a condition label as feedaudit reads them (params such as «Восстановленный: Да»)."""
    feed = feedaudit.FeedInfo(source=str(path))
    return {
        item.offer_id
        for item in read_feed(str(path), feed, ReadOptions())
        if isinstance(item, feedaudit.Offer) and item.offer_id and (item.condition or item.condition_text)
    }


def _parse(path: Path) -> etree._ElementTree | None:
    parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, huge_tree=True, strip_cdata=False)
    try:
        tree = etree.parse(str(path), parser)
    except etree.XMLSyntaxError:
        return None
    return tree if tree.getroot().tag == "yml_catalog" else None


def _write(tree: etree._ElementTree, path: Path) -> None:
    tree.write(str(path), encoding=tree.docinfo.encoding or "utf-8", xml_declaration=True)


def corpus_feeds(corpus: Path) -> Iterator[Path]:
    for path in sorted(corpus.rglob("*.xml")):
        if "incorrect" in path.parts or "broken" in path.name:
            continue
        yield path


def run(corpus: Path, per_feed: int, seed: int, limit: int | None) -> dict[str, Tally]:
    codes = {rule.name: rule.code for rule in registered_rules().values()}
    tallies = {family.name: Tally() for family in FAMILIES}
    feeds = 0
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        for path in corpus_feeds(corpus):
            if limit is not None and feeds >= limit:
                break
            tree = _parse(path)
            if tree is None or not _offers(tree):
                continue
            baseline_path = work / "baseline.xml"
            _write(tree, baseline_path)
            today = feed_day(tree.getroot().get("date"))
            baseline = _audit(baseline_path, today)
            if any(f.code.startswith("FD") for f in baseline):
                continue
            feeds += 1
            base_keys = _keys(baseline)
            ids = Counter(_id(o) for o in _offers(tree))
            labelled = _labelled(baseline_path)
            for family in FAMILIES:
                code = codes.get(family.rule_name)
                if code is None:
                    continue
                planted_tree = _parse(baseline_path)
                assert planted_tree is not None
                touched: set[str] = set()
                if family.plant_feed is not None:
                    if not family.plant_feed(planted_tree):
                        continue
                else:
                    assert family.plant is not None
                    flagged = {(k[0], k[1]) for k in base_keys}
                    candidates = [
                        o
                        for o in _offers(planted_tree)
                        if ids[_id(o)] == 1
                        and (code, _id(o)) not in flagged
                        and not (family.unlabelled and _id(o) in labelled)
                    ]
                    random.Random(f"{seed}:{path.name}:{family.name}").shuffle(candidates)
                    for offer in candidates:
                        if len(touched) >= per_feed:
                            break
                        if family.plant(offer):
                            touched.add(_id(offer))
                    if not touched:
                        continue
                planted_path = work / "planted.xml"
                _write(planted_tree, planted_path)
                planted = _audit(planted_path, today)
                tally = tallies[family.name]
                tally.feeds += 1
                if family.plant_feed is not None:
                    tally.planted += 1
                    hit = any(f.code == code for f in planted) and not any(f.code == code for f in baseline)
                    tally.found += int(hit)
                    if not hit:
                        tally.missed.append(path.relative_to(corpus).as_posix())
                else:
                    for offer_id in sorted(touched):
                        tally.planted += 1
                        if any(f.code == code and f.offer_id == offer_id for f in planted):
                            tally.found += 1
                        else:
                            tally.missed.append(f"{path.relative_to(corpus).as_posix()} [{offer_id}]")
                changed = (_keys(planted) - base_keys) + (base_keys - _keys(planted))
                for (c, changed_id, line), count in changed.items():
                    if changed_id in touched or (family.plant_feed is not None and c == code and changed_id is None):
                        continue
                    tally.collateral += count
                    if len(tally.collateral_examples) < 5:
                        where = path.relative_to(corpus).as_posix()
                        tally.collateral_examples.append(f"{where}:{line} {c} [{changed_id}]")
    print(f"feeds audited: {feeds}")
    return tallies


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--per-feed", type=int, default=3, help="offers planted per family per feed")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--limit", type=int, default=None, help="stop after this many feeds")
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"no corpus at {args.corpus}", file=sys.stderr)
        return 2
    codes = {rule.name: rule.code for rule in registered_rules().values()}
    tallies = run(args.corpus, args.per_feed, args.seed, args.limit)
    print("\n| family | rule | feeds | found / planted | recall | collateral |\n|---|---|---|---|---|---|")
    for family in FAMILIES:
        tally = tallies[family.name]
        code = codes.get(family.rule_name, f"({family.rule_name}: no such rule)")
        recall = f"{100 * tally.found / tally.planted:.1f} %" if tally.planted else "-"
        row = f"{tally.found} / {tally.planted}"
        print(f"| {family.name} | {code} | {tally.feeds} | {row} | {recall} | {tally.collateral} |")
    for family in FAMILIES:
        tally = tallies[family.name]
        if tally.missed:
            print(f"\nmissed, {family.name}: {', '.join(tally.missed[:8])}")
        if tally.collateral_examples:
            print(f"collateral, {family.name}: {', '.join(tally.collateral_examples)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
