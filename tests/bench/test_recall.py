"""Planted faults in real feeds are found, and nothing changes on the offers nobody touched (bench/recall.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import recall

pytestmark = pytest.mark.corpus


def test_planted_faults_in_real_feeds_are_all_found_without_collateral(corpus_dir: Path) -> None:
    tallies = recall.run(corpus_dir, per_feed=2, seed=11, limit=8)
    planted = {name: tally for name, tally in tallies.items() if tally.planted}
    assert len(planted) >= 10, sorted(planted)  # most families found offers to plant into
    for name, tally in planted.items():
        problems = tally.missed + tally.collateral_examples
        if name == "outlier price":
            # price-outlier trades recall for precision: a typo within 6x of its category's nearest
            # price is not reported (docs/corpus-findings.md, "Recall"); most are, none elsewhere changes
            assert tally.found * 3 >= tally.planted * 2, problems
            assert tally.collateral == 0, problems
            continue
        assert (name, tally.found, tally.collateral) == (name, tally.planted, 0), problems
