"""The typed rule kinds: mypy accepts a rule only in the signature of its scope, with its own context.

Each decorator (`offer_rule`, `feed_rule`, …) admits one check signature; the context's options and
state must be what `options=` and `state=` make. The snippet below is type-checked on its own: every
line marked `# rejected` must be an error, and no other line may be.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from feedaudit.rules import Scope, registered_rules
from feedaudit.rules.base import ACROSS_SCOPES, stateless
from tests.conftest import ROOT

SNIPPET = """
from collections.abc import Iterator

from feedaudit.model import FeedInfo, FeedIssue, InventoryItem, Listing, Offer, Problem, Severity
from feedaudit.rules.base import (
    NoOptions,
    RuleContext,
    feed_issue_rule,
    feed_rule,
    inventory_rule,
    listing_rule,
    offer_inventory_rule,
    offer_listing_rule,
    offer_rule,
)
from feedaudit.rules.delivery import DeliveryLimitOptions

WARN = Severity.WARNING


@offer_rule("ZZ001", "a", summary="s", severity=WARN)
def offer_ok(offer: Offer, ctx: RuleContext[NoOptions]) -> Iterator[Problem]:
    yield from ()


@offer_rule("ZZ002", "b", summary="s", severity=WARN, options=DeliveryLimitOptions, state=dict[str, int])
def offer_with_both(offer: Offer, ctx: RuleContext[DeliveryLimitOptions, dict[str, int]]) -> Iterator[Problem]:
    ctx.state["seen"] = ctx.options.max_days
    yield from ()


@feed_issue_rule("ZZ003", "c", summary="s", severity=WARN)
def issue_ok(issue: FeedIssue, ctx: RuleContext[NoOptions]) -> Iterator[Problem]:
    yield from ()


@offer_inventory_rule("ZZ004", "d", summary="s", severity=WARN)
def match_ok(offer: Offer, item: InventoryItem | None, ctx: RuleContext[NoOptions]) -> Iterator[Problem]:
    yield from ()


@inventory_rule("ZZ005", "e", summary="s", severity=WARN)
def inventory_ok(feed: FeedInfo, ctx: RuleContext[NoOptions]) -> Iterator[Problem]:
    yield from ()


@offer_listing_rule("ZZ006", "f", summary="s", severity=WARN)
def page_ok(offer: Offer, listing: Listing, ctx: RuleContext[NoOptions]) -> Iterator[Problem]:
    yield from ()


@offer_rule("ZZ011", "g", summary="s", severity=WARN)  # rejected
def offer_written_as_feed(feed: FeedInfo, ctx: RuleContext[NoOptions]) -> Iterator[Problem]:
    yield from ()


@offer_rule("ZZ012", "h", summary="s", severity=WARN, options=DeliveryLimitOptions)  # rejected
def other_options(offer: Offer, ctx: RuleContext[NoOptions]) -> Iterator[Problem]:
    yield from ()


@offer_rule("ZZ013", "i", summary="s", severity=WARN, state=dict[str, int])  # rejected
def other_state(offer: Offer, ctx: RuleContext[NoOptions, list[int]]) -> Iterator[Problem]:
    yield from ()


@offer_inventory_rule("ZZ014", "j", summary="s", severity=WARN)  # rejected
def item_always_there(offer: Offer, item: InventoryItem, ctx: RuleContext[NoOptions]) -> Iterator[Problem]:
    yield from ()


@listing_rule("ZZ015", "k", summary="s", severity=WARN)  # rejected
def listing_with_offer(offer: Offer, listing: Listing, ctx: RuleContext[NoOptions]) -> Iterator[Problem]:
    yield from ()


@feed_rule("ZZ016", "l", summary="s", severity=WARN, state=dict[str, int])  # rejected
def feed_with_state(feed: FeedInfo, ctx: RuleContext[NoOptions]) -> Iterator[Problem]:
    yield from ()


@offer_rule("ZZ017", "m", summary="s", severity=WARN)
def stateless_writes_state(offer: Offer, ctx: RuleContext[NoOptions]) -> Iterator[Problem]:
    ctx.state["seen"] = 1  # rejected
    yield from ()
"""


@pytest.mark.slow
def test_mypy_accepts_a_rule_only_in_the_signature_of_its_scope(tmp_path: Path) -> None:
    path = tmp_path / "kinds.py"
    path.write_text(SNIPPET, encoding="utf-8")
    expected = {number for number, line in enumerate(SNIPPET.splitlines(), 1) if line.endswith("# rejected")}
    command = [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", str(tmp_path / "cache")]
    result = subprocess.run([*command, str(path)], capture_output=True, text=True, check=False, cwd=ROOT)
    errors = {int(line.split(":")[1]) for line in result.stdout.splitlines() if ": error:" in line}
    assert errors == expected, result.stdout
    assert len(expected) == 7


def test_only_offer_scope_rules_keep_state() -> None:
    catalogue = registered_rules()
    stateful = {code for code, rule in catalogue.items() if rule.state is not stateless}
    assert {"ID002", "PR004", "PR005", "PH002", "DL002", "IV001"} <= stateful
    assert all(catalogue[code].scope in ACROSS_SCOPES for code in stateful)
    for code in stateful:
        first, second = catalogue[code].state(), catalogue[code].state()
        assert first is not second  # a fresh state per feed
    assert catalogue["ID001"].state() is None
    assert {rule.scope for rule in catalogue.values()} == set(Scope)
