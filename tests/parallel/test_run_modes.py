"""Every run mode gives the same findings: one process, a feed split on two cores, `--jobs 2`, and Dask.

`bench/findings_snapshot.py --sample` runs the command line (`feedaudit check --select ALL
--output-format jsonl`) once per mode over the fixture feeds and, when the shared corpus is beside
the project, a sample of its feeds (and the inventory fixture, in one process and split); the sorted
jsonl lines must be byte-identical. It runs in a child process of its own: a split run forks only
from a process with no other thread, and the Dask cluster it starts has threads.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

MODES = ("one", "split", "jobs", "dask", "inventory-one", "inventory-split")


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("distributed")
    out = tmp_path_factory.mktemp("modes")
    command = [sys.executable, str(ROOT / "bench" / "findings_snapshot.py"), "--out", str(out), "--sample"]
    command += ["--part-bytes", "1", "--corpus", str(ROOT.parent / "shared" / "corpus"), "--modes", *MODES]
    subprocess.run(command, check=True, cwd=ROOT, timeout=600, capture_output=True)
    return out


def test_the_comparison_covers_split_feeds(snapshot: Path) -> None:
    split = (snapshot / "split-feeds.txt").read_text("utf-8").splitlines()
    assert len(split) >= 8
    assert (snapshot / "one.jsonl").read_text("utf-8").count("\n") > 50


@pytest.mark.parametrize("mode", ["split", "jobs", "dask"])
def test_the_same_findings_in_every_mode(snapshot: Path, mode: str) -> None:
    assert (snapshot / f"{mode}.jsonl").read_text("utf-8") == (snapshot / "one.jsonl").read_text("utf-8")


def test_an_inventory_run_splits_with_the_same_findings(snapshot: Path) -> None:
    expected = (snapshot / "inventory-one.jsonl").read_text("utf-8")
    codes = {line.split(",")[0].removeprefix('{"code":').strip('"') for line in expected.splitlines()}
    assert {"IV001", "IV004", "IV005", "IV006", "IV007"} <= codes
    assert (snapshot / "inventory-split.jsonl").read_text("utf-8") == expected
    assert any(line.startswith("inventory ") for line in (snapshot / "split-feeds.txt").read_text("utf-8").splitlines())
