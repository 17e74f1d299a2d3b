"""The synthetic feed generator of `bench/`: the audit reads every generated offer and finds the planted faults."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.generate import generate, parse_size
from feedaudit.config import Settings
from feedaudit.engine import Engine
from feedaudit.model import FeedInfo


@pytest.mark.parametrize("dialect", ["yml", "hotline", "google"])
def test_generated_feed_is_read_whole_with_planted_faults_found(tmp_path: Path, dialect: str) -> None:
    path = tmp_path / f"feed-{dialect}.xml.gz"
    manifest = generate(path, offers=50, dialect=dialect, seed=7, fault_rate=0.4, keep_faults=True)
    assert manifest.offers == 50
    kinds = {fault.kind for fault in manifest.faults}
    assert {"missing-id", "duplicate-id"} <= kinds

    feed = FeedInfo(source=str(path))
    findings = list(Engine(Settings(select=["ALL"])).audit_feed(str(path), feed))

    assert feed.offers == 50
    expected_id = {
        ("ID001", f.line) if f.kind == "missing-id" else ("ID002", f.id_line)
        for f in manifest.faults
        if f.kind in ("missing-id", "duplicate-id")
    }
    assert {(f.code, f.line) for f in findings if f.code.startswith("ID")} == expected_id
    ampersands = sum(f.kind == "unescaped-ampersand" for f in manifest.faults)
    assert (ampersands > 0) == any(f.code == "FD001" for f in findings)


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    first = generate(tmp_path / "a.xml", size=40_000, seed=3)
    generate(tmp_path / "b.xml", size=40_000, seed=3)
    generate(tmp_path / "c.xml", size=40_000, seed=4)
    assert first.bytes >= 40_000
    assert (tmp_path / "a.xml").read_bytes() == (tmp_path / "b.xml").read_bytes()
    assert (tmp_path / "a.xml").read_bytes() != (tmp_path / "c.xml").read_bytes()
    assert first.bytes == len((tmp_path / "a.xml").read_bytes())


def test_parse_size() -> None:
    assert parse_size("100MB") == 100_000_000
    assert parse_size("1GB") == 1_000_000_000
    assert parse_size("512KiB") == 512 * 1024
    assert parse_size("2000") == 2000
    with pytest.raises(ValueError, match="not a size"):
        parse_size("lots")
