"""The Dask backend, against a real in-process LocalCluster listening on 127.0.0.1."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from feedaudit import cluster
from feedaudit.cli import main

distributed = pytest.importorskip("distributed")

FEEDS = ["prom.xml", "hotline.xml", "google.xml", "meta.xml", "rozetka.xml", "broken/truncated.xml"]


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    from tests.local_cluster import local_scheduler

    with local_scheduler(2, 1) as address:
        yield address


def test_cluster_run_equals_the_local_run(scheduler: str, fixtures_dir: Path) -> None:
    feeds = [str(fixtures_dir / "feeds" / name) for name in FEEDS]
    runner = CliRunner()
    local = runner.invoke(main, ["check", *feeds, "--output-format", "jsonl"])
    remote = runner.invoke(main, ["check", *feeds, "--output-format", "jsonl", "--scheduler", scheduler])
    assert remote.exit_code == local.exit_code == 1, remote.output
    assert remote.stdout == local.stdout
    statistics = ["check", *feeds, "--statistics", "--select", "ID"]
    remote_statistics = runner.invoke(main, [*statistics, "--scheduler", scheduler]).stdout
    assert remote_statistics == runner.invoke(main, statistics).stdout
    assert remote_statistics.splitlines()[-1] == "Found 6 problems (6 errors) in 23 offers in 6 feeds."
    report = json.loads(
        runner.invoke(main, ["check", *feeds, "--output-format", "json", "--scheduler", scheduler]).stdout
    )
    assert [f["source"] for f in report["feeds"]] == feeds


def test_unreachable_scheduler_exits_2(monkeypatch: pytest.MonkeyPatch, fixtures_dir: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", "1s")
    result = CliRunner().invoke(
        main, ["check", str(fixtures_dir / "feeds" / "prom.xml"), "--scheduler", f"tcp://127.0.0.1:{port}"]
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("feedaudit: error: cannot reach the Dask scheduler")
    assert len(result.stderr.splitlines()) == 1


def test_stdin_cannot_go_to_a_cluster(scheduler: str) -> None:
    result = CliRunner().invoke(main, ["check", "-", "--scheduler", scheduler], input=b"<x/>")
    assert result.exit_code == 2
    assert "standard input" in result.stderr
