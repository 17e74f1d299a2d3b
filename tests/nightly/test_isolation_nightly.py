"""The nightly run with a feed feedaudit fails on: the other feeds are recorded and mailed, the run exits 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from feedaudit.history.store import HistoryStore
from tests.conftest import ROOT
from tests.nightly.conftest import ServerFactory, write_feed
from tests.nightly.test_nightly_cli import csv_rows, write_config


def test_a_failing_feed_still_records_and_mails_the_run(tmp_path: Path, mail_servers: ServerFactory) -> None:
    server = mail_servers.start("plain")
    config = write_config(tmp_path, server.port)
    good = write_feed(tmp_path / "good.xml", ["A", "A"])
    failing = write_feed(tmp_path / "failing.xml", ["B", "B", "reader-crash", "C"])
    report = tmp_path / "report.txt"
    command = [sys.executable, str(ROOT / "tests" / "planted_faults.py"), "check", str(good), str(failing)]
    command += ["--config", str(config), "--email", "-o", str(report)]
    result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=tmp_path, timeout=120)
    assert result.returncode == 2, result.stderr
    assert "feedaudit: internal error: 1 FD999 finding for" in result.stderr
    text = report.read_text("utf-8")
    assert "ID002" in text
    assert "FD999" in text
    with HistoryStore.open(tmp_path / "state" / "history.db") as store:
        [run] = store.recent_runs()
    assert run.new == 3  # A and B duplicated, and the failure
    [mail] = server.received
    assert sorted((r["code"], r["offer_id"]) for r in csv_rows(mail.message)) == [
        ("FD999", ""),
        ("ID002", "A"),
        ("ID002", "B"),
    ]
