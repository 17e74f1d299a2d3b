"""A feed audited on several cores gives exactly the findings of a one-process audit.

Every comparison also checks that the feed really was split (or, for feeds that must not be, that it
was not), so a plan that silently falls back to one process cannot make these tests pass.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bench.generate import FAULTS, WELL_FORMED_FAULTS, generate
from feedaudit.config import Settings, settings_from_mapping
from feedaudit.engine import Engine
from feedaudit.model import FeedInfo, Finding, Shop
from feedaudit.parallel.run import plan_split
from tests.rules.casefile import all_cases

FIXTURES = Path(__file__).resolve().parent.parent.parent / "fixtures" / "feeds"


def _settings(parallel: dict[str, Any] | None, **extra: Any) -> Settings:
    return settings_from_mapping({"select": ["ALL"], **extra, "parallel": parallel or {"workers": 1}})


SPLIT = {"workers": 2, "min-bytes": 1, "part-bytes": 1}  # one record per range


def _both(path: Path, parallel: dict[str, Any] = SPLIT, **extra: Any) -> tuple[list[Finding], list[Finding], bool]:
    one = _settings(None, **extra)
    many = _settings(parallel, **extra)
    feed_one = FeedInfo(source=str(path))
    feed_many = FeedInfo(source=str(path))
    expected = list(Engine(one).audit_feed(str(path), feed_one))
    split = plan_split(Engine(many).unit(FeedInfo(source=str(path))), str(path)) is not None
    got = list(Engine(many).audit_feed(str(path), feed_many))
    assert feed_many == feed_one
    return expected, got, split


@pytest.mark.parametrize(
    ("name", "splits"),
    [
        ("prom.xml", True),
        ("rozetka.xml", True),
        ("epicentr.xml", True),
        ("hotline.xml", True),
        ("google.xml", True),
        ("google-atom.xml", True),
        ("meta.xml", True),
        ("windows-1251.xml", True),
        ("broken/truncated.xml", True),  # the last range has the parser error: read in one piece
        ("prom.xml.gz", False),
        ("broken/xxe.xml", False),
        ("broken/declared-cp1251-is-utf8.xml", False),
        ("broken/billion-laughs.xml", False),
        ("broken/empty.xml", False),
        ("broken/sitemap.xml", False),
    ],
)
def test_fixture_feeds_split_per_record(name: str, splits: bool) -> None:
    expected, got, split = _both(FIXTURES / name)
    assert split == splits
    assert got == expected


@pytest.mark.parametrize(
    ("dialect", "kinds", "code"),
    [
        ("yml", WELL_FORMED_FAULTS, "ID002"),  # duplicate ids across ranges: merged in feed order
        ("hotline", WELL_FORMED_FAULTS, "ID002"),
        ("google", WELL_FORMED_FAULTS, "ID002"),
        ("yml", FAULTS, "FD001"),  # bare ampersands: from the first broken range on, read in one piece
    ],
)
def test_generated_feeds_split_in_ranges(tmp_path: Path, dialect: str, kinds: tuple[str, ...], code: str) -> None:
    path = tmp_path / "feed.xml"
    manifest = generate(path, offers=300, dialect=dialect, seed=11, fault_rate=0.3, kinds=kinds)
    assert manifest.fault_counts["duplicate-id"] > 5
    expected, got, split = _both(path, {"workers": 2, "min-bytes": 1, "part-bytes": 40_000})
    assert split
    assert any(f.code == code for f in expected)
    assert got == expected


def test_profile_and_per_offer_ignores_apply_in_workers(tmp_path: Path) -> None:
    path = tmp_path / "feed.xml"
    generate(path, offers=200, seed=12, fault_rate=0.3, kinds=WELL_FORMED_FAULTS)
    extra: dict[str, Any] = {"profile": "rozetka", "per-offer-ignores": {"1*": ["ID"]}}
    expected, got, split = _both(path, {"workers": 2, "min-bytes": 1, "part-bytes": 30_000}, **extra)
    assert split
    assert got == expected


def test_every_rule_case_gives_the_same_findings_split_per_record(tmp_path: Path) -> None:
    compared = 0
    for case in all_cases():
        path = tmp_path / f"{case.id}.xml"
        path.write_bytes(case.feed)
        expected, got, split = _both(path, **case.settings)
        assert got == expected, case.id
        compared += split
    assert compared >= 3  # the cases with several records on their own lines


def test_small_feeds_and_one_worker_are_not_split() -> None:
    path = str(FIXTURES / "prom.xml")
    assert plan_split(Engine(_settings({"workers": 2})).unit(FeedInfo(source=path)), path) is None  # below min-bytes
    assert plan_split(Engine(_settings({"workers": 1, "min-bytes": 1})).unit(FeedInfo(source=path)), path) is None
    parallel = _settings({"workers": 2, "min-bytes": 1, "part-bytes": 1})
    assert plan_split(Engine(parallel).unit(FeedInfo("-")), "-") is None


def test_offer_rules_that_compare_offers_declare_across_offers(tmp_path: Path) -> None:
    """A rule whose findings change when it forgets the offers before must run in the main process
    when a feed is split: every other offer rule must give the same findings with its state wiped
    before each offer (a cache in `ctx.state` is fine; a memory of other offers is not)."""
    from collections.abc import Iterable, Iterator

    from feedaudit.feeds import read_feed
    from feedaudit.model import FeedIssue, Offer
    from feedaudit.rules import Scope, registered_rules
    from feedaudit.unit import FeedAudit

    generated = tmp_path / "feed.xml"
    generate(generated, offers=300, seed=3, fault_rate=0.3)
    feeds = [generated, *sorted(FIXTURES.glob("*.xml")), *(case_feed(tmp_path, case) for case in all_cases())]
    engine = Engine(_settings(None))

    def forgetful(items: Iterable[Offer | FeedIssue], unit: FeedAudit) -> Iterator[Offer | FeedIssue]:
        for item in items:
            for code, context in unit.contexts.items():
                context.state = catalogue[code].state()  # what the rule starts a feed with
            yield item

    catalogue = registered_rules()
    used_state: set[str] = set()
    differing: set[str] = set()
    for path in feeds:
        remembering = engine.unit(FeedInfo(source=str(path)))
        kept = list(remembering.check_items(read_feed(str(path), remembering.feed)))
        used_state |= {code for code, context in remembering.contexts.items() if context.state is not None}
        forgetting = engine.unit(FeedInfo(source=str(path)))
        wiped = list(forgetting.check_items(forgetful(read_feed(str(path), forgetting.feed), forgetting)))
        for code in {f.code for f in kept} | {f.code for f in wiped}:
            if [f for f in kept if f.code == code] != [f for f in wiped if f.code == code]:
                differing.add(code)
    assert {"ID002", "DL002"} <= differing  # the test feeds do exercise rules that compare offers
    offer_rules = {code for code in differing if catalogue[code].scope is Scope.OFFER}
    undeclared = sorted(code for code in offer_rules if not catalogue[code].across_offers)
    assert not undeclared, f"offer rules whose findings depend on other offers, without across_offers: {undeclared}"
    assert used_state  # and some rules do keep state


def case_feed(tmp_path: Path, case: Any) -> Path:
    path = tmp_path / f"case-{case.id}.xml"
    path.write_bytes(case.feed)
    return path


def test_parser_errors_on_a_range_s_first_line_keep_their_columns(tmp_path: Path) -> None:
    path = tmp_path / "feed.xml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<yml_catalog><shop><offers>\n'
        '      <offer id="1"><price>10</price></offer>\n'
        '      <offer id="2"><price>20</price></offer>\n'
        '      <offer id="4" available="a&b"><price>30</price></offer>\n'
        '\t<offer id="5" id="6"><price>40</price></offer>\n'
        "</offers></shop></yml_catalog>\n",
        encoding="utf-8",
    )
    expected, got, split = _both(path)
    assert split
    assert [(f.code, f.line, f.column) for f in expected if f.code == "FD001"] == [("FD001", 5, 35), ("FD001", 6, 22)]
    assert got == expected


def test_a_threaded_process_does_not_fork_workers() -> None:
    import threading

    path = str(FIXTURES / "prom.xml")
    engine = Engine(_settings(SPLIT))
    assert plan_split(engine.unit(FeedInfo(source=path)), path) is not None
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert plan_split(engine.unit(FeedInfo(source=path)), path) is None
    finally:
        release.set()
        other.join()


def test_a_split_run_takes_every_shop_level_field_from_the_probe() -> None:
    """The feed's facts are copied by dataclass field: a field added to FeedInfo is carried unless it is
    one of the run's own counts, and the shop's facts go as one `Shop` record."""
    import dataclasses

    from feedaudit.parallel.run import RUN_FIELDS, shop_fields

    every = {f.name for f in dataclasses.fields(FeedInfo)}
    assert every >= RUN_FIELDS
    assert set(shop_fields()) == every - RUN_FIELDS
    assert {"shop", "flavour", "dialect"} <= set(shop_fields())
    # the shop's facts travel as one record
    assert {f.name for f in dataclasses.fields(Shop)} >= {"currencies", "categories", "delivery_line", "name"}


def test_a_feed_that_cannot_be_read_is_left_to_the_one_process_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    """An error reading the file while planning is not a failure of the audit: the reader reports it."""
    from feedaudit.parallel import run

    def unreadable(handle: object) -> bytes:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(run, "read_prefix", unreadable)
    path = str(FIXTURES / "prom.xml")
    assert plan_split(Engine(_settings(SPLIT)).unit(FeedInfo(source=path)), path) is None
