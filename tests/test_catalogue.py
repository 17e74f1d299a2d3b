"""The rule catalogue keeps its promises: unique codes and names, full docs, docs/rules.md current."""

from __future__ import annotations

import re

import pytest

from feedaudit.docs import render_rules_markdown
from feedaudit.rules import FAMILIES, registered_rules
from feedaudit.rules.base import CODE_PATTERN, DOC_HEADINGS, NAME_PATTERN
from tests.conftest import ROOT

RULES = list(registered_rules().values())


def test_codes_and_names_are_unique_and_well_formed() -> None:
    codes = [r.code for r in RULES]
    names = [r.name for r in RULES]
    assert len(set(codes)) == len(codes)
    assert len(set(names)) == len(names)
    for rule in RULES:
        assert CODE_PATTERN.match(rule.code), rule.code
        assert NAME_PATTERN.match(rule.name), rule.name
        assert rule.family in FAMILIES, rule.code
        assert not rule.name.startswith(("no-", "require-")), "names name the fault, not the fix"


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_rule_doc_has_every_heading(rule: object) -> None:
    from feedaudit.rules import Rule

    assert isinstance(rule, Rule)
    doc = rule.doc
    positions = [doc.find(heading) for heading in DOC_HEADINGS]
    assert all(p >= 0 for p in positions), f"{rule.code} lacks one of {DOC_HEADINGS}"
    assert positions == sorted(positions), f"{rule.code}: headings out of order"
    assert rule.summary, rule.code
    assert not rule.summary.endswith("."), rule.code
    example = doc[positions[2] : positions[3]]
    use_instead = doc[positions[3] :]
    assert "```" in example, f"{rule.code}: Example needs a code block"
    assert "```" in use_instead, f"{rule.code}: Use instead needs a code block"


def test_docs_rules_md_is_current() -> None:
    path = ROOT / "docs" / "rules.md"
    assert path.read_text("utf-8") == render_rules_markdown(), (
        "docs/rules.md is stale: run `python -m feedaudit.docs > docs/rules.md`"
    )


def test_every_code_in_docs_is_a_rule() -> None:
    text = (ROOT / "docs" / "rules.md").read_text("utf-8")
    documented = set(re.findall(r"^### ([A-Z]{2}\d{3}) ", text, flags=re.M))
    assert documented == {r.code for r in RULES}
