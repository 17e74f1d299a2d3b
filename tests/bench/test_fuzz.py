"""The fuzzer of `bench/`: a short fixed-seed run finds nothing, and what it would find is counted and kept."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from bench.fuzz import HOSTILE_TOKENS, fuzz, load_seeds, mutate


@pytest.mark.slow
def test_a_few_hundred_mutated_feeds_and_pages_never_raise_a_foreign_exception(tmp_path: Path) -> None:
    results = fuzz(cases=250, seed=20261205, corpus=None, out=tmp_path)
    assert results.cases == 250
    assert results.ok + results.errors + results.failures == 250
    assert results.slow == 0
    assert results.died == 0
    assert results.foreign == 0, "\n".join(results.lines())  # every fault is a finding or a feedaudit error
    assert len(list(tmp_path.glob("*.txt"))) == len(set(results.reproducers))  # every failure kept


def test_a_case_over_the_time_limit_is_counted_kept_and_the_worker_replaced(tmp_path: Path) -> None:
    results = fuzz(cases=3, seed=1, corpus=None, out=tmp_path, timeout=0.001)
    assert (results.cases, results.slow, results.foreign) == (3, 3, 0)
    kept = sorted(tmp_path.glob("*.txt"))
    assert len(kept) == len(set(results.reproducers)) >= 1
    assert all(path.with_suffix(".txt").exists() for path in results.reproducers)
    assert "signature: over 0.001 s" in kept[0].read_text("utf-8")


def test_mutations_are_deterministic_and_use_the_hostile_tokens() -> None:
    seeds = load_seeds(None)
    assert seeds.feeds
    assert seeds.pages

    def run(seed: int) -> list[tuple[bytes, list[str]]]:
        rng = random.Random(seed)
        return [mutate(rng.choice(seeds.feeds), rng, seeds.feeds) for _ in range(200)]

    first = run(5)
    assert first == run(5)
    steps = " ".join(step for _, case_steps in first for step in case_steps)
    assert "flip" in steps
    assert "truncate" in steps
    assert "splice" in steps
    assert sum(token[:40].decode("latin-1") in steps for token in HOSTILE_TOKENS[:20]) > 0
