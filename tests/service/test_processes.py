"""The local audit processes: an audit's outcome comes back over the process's pipe; a process that
ends mid-audit, or whose audit is given up, is replaced and the others go on."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from feedaudit.config import Settings
from feedaudit.service.processes import AuditProcesses, ProcessEndedError
from feedaudit.service.work import Job
from tests.conftest import FIXTURES

FEED = FIXTURES / "feeds" / "prom.xml"
CONFIG = Settings().model_dump_json()

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="a FIFO holds the audit mid-read")


def job(source: Path, attempt: int = 1) -> Job:
    return Job("a" * 32, attempt, str(source), source.name, CONFIG)


@pytest.fixture
def processes() -> Iterator[AuditProcesses]:
    started = AuditProcesses(1)
    try:
        yield started
    finally:
        started.close()


def test_the_outcome_comes_back_from_the_process(processes: AuditProcesses) -> None:
    outcome = processes.run(job(FEED), every=5, still_wanted=lambda: True)
    assert outcome is not None
    assert outcome.error is None
    assert outcome.feed.offers > 0
    assert outcome.findings


def test_an_audit_given_up_frees_its_place_for_the_next(processes: AuditProcesses, tmp_path: Path) -> None:
    fifo = tmp_path / "held.xml"
    os.mkfifo(fifo)  # nobody writes it: the audit waits in its read until given up
    asked = threading.Event()

    def still_wanted() -> bool:
        asked.set()
        return False

    assert processes.run(job(fifo), every=0.05, still_wanted=still_wanted) is None
    assert asked.is_set()
    outcome = processes.run(job(FEED), every=5, still_wanted=lambda: True)
    assert outcome is not None
    assert outcome.findings


def test_a_process_that_ends_mid_audit_is_reported_and_replaced(processes: AuditProcesses, tmp_path: Path) -> None:
    fifo = tmp_path / "held.xml"
    os.mkfifo(fifo)

    def kill_it() -> bool:
        for busy in list(processes._busy):
            busy.process.kill()
        return True

    with pytest.raises(ProcessEndedError):
        processes.run(job(fifo), every=0.05, still_wanted=kill_it)
    outcome = processes.run(job(FEED), every=5, still_wanted=lambda: True)
    assert outcome is not None
    assert outcome.findings
