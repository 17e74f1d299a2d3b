"""Every rule that is given offers names the Offer fields it reads (`reads=`), and reads no other.

Each case of tests/rules/cases/ runs with its rule's check wrapped so that, while the rule runs, every
Offer field it touches (through helpers and properties such as `offer.names` too) is noted; a field
it did not name fails the test. This is what lets the readers leave out what no selected rule reads
(`feedaudit.feeds.wanted.Wanted`). The cases also run with the reader extracting only what the rule
names, and must give the findings they give with every field read.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from pathlib import Path

import pytest

from feedaudit import ruleset
from feedaudit.feeds.wanted import EVERYTHING, PARAM_FACTS, Wanted
from feedaudit.model import Offer, Problem
from feedaudit.rules import registered_rules
from feedaudit.rules.base import OFFER_SCOPES, Rule
from tests.rules.casefile import Case, all_cases
from tests.rules.test_cases import _findings

OFFER_FIELDS = frozenset(f.name for f in dataclasses.fields(Offer))
OFFER_RULES = {code: rule for code, rule in registered_rules().items() if rule.scope in OFFER_SCOPES}
CASES = [case for case in all_cases() if case.code in OFFER_RULES]
_READING: ContextVar[str | None] = ContextVar("reading", default=None)


def _watched(rule: Rule) -> Rule:
    """`rule` with its check run to its end while `_READING` names it."""
    check = rule.check

    def run(*args: object) -> Iterator[Problem]:
        token = _READING.set(rule.code)
        try:
            problems = list(check(*args))
        finally:
            _READING.reset(token)
        return iter(problems)

    return dataclasses.replace(rule, check=run)


@pytest.fixture
def fields_read(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], set[str]]:
    """Note the Offer fields each offer rule reads; gives the fields noted for a rule code."""
    seen: dict[str, set[str]] = {code: set() for code in OFFER_RULES}
    original = Offer.__getattribute__

    def noting(self: Offer, name: str) -> object:
        code = _READING.get()
        if code is not None and name in OFFER_FIELDS:
            seen[code].add(name)
        return original(self, name)

    watched = {code: _watched(rule) if code in OFFER_RULES else rule for code, rule in registered_rules().items()}
    monkeypatch.setattr(Offer, "__getattribute__", noting)
    monkeypatch.setattr(ruleset, "registered_rules", lambda: watched)
    return lambda code: seen[code]


def test_every_rule_given_offers_names_what_it_reads() -> None:
    undeclared = sorted(code for code, rule in OFFER_RULES.items() if rule.reads is None)
    assert not undeclared, f"rules without reads=: {undeclared}"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_rule_reads_only_the_fields_it_names(
    case: Case, tmp_path: Path, fields_read: Callable[[str], set[str]]
) -> None:
    _findings(case, tmp_path)
    declared = OFFER_RULES[case.code].reads
    assert declared is not None
    assert fields_read(case.code) <= declared, f"{case.code} reads {sorted(fields_read(case.code) - declared)}"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_reader_extracting_only_what_the_rule_reads_gives_the_same_findings(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    narrow = [f for f in _findings(case, tmp_path) if f.code == case.code]  # `select` is the rule alone
    monkeypatch.setattr(ruleset, "Wanted", _Everything)
    full = [f for f in _findings(case, tmp_path) if f.code == case.code]
    assert narrow == full


class _Everything:
    """Stands in for `Wanted` in the run: every part of every offer is extracted."""

    @staticmethod
    def of(fields: object) -> Wanted:
        return EVERYTHING


def test_wanted_leaves_out_only_what_no_field_needs() -> None:
    assert Wanted.of(None) == EVERYTHING
    assert Wanted.of(frozenset({"price_text", "offer_id"})) == Wanted(
        params=False, other_names=False, other_descriptions=False, prices=False
    )
    for fact in PARAM_FACTS:
        assert Wanted.of(frozenset({fact})).params, fact
    assert Wanted.of(frozenset({"old_price"})).prices
    assert Wanted.of(frozenset({"other_names"})) == Wanted(params=False, other_descriptions=False, prices=False)
