"""An unexpected exception while auditing one feed costs that feed only, in every run mode.

The faults are real exceptions raised inside feedaudit: a test-only rule and a reader wrapper planted
by `tests/planted_faults.py` (run as the command line in a child process, so the suite's own rule
catalogue stays the real one), and lookups / fetchers of the caller's making that raise. Each becomes
an FD999 finding for its feed; every other feed is audited in full, the `-o` report is written, and
the run exits 2 (one line on stderr, the traceback with --verbose).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator, Sequence
from collections.abc import Set as AbstractSet
from pathlib import Path

import pytest

import feedaudit
from feedaudit.model import InventoryItem, Listing, Offer
from tests.conftest import ROOT
from tests.nightly.conftest import write_feed

PLANTED = ROOT / "tests" / "planted_faults.py"
SPLIT_PER_RECORD = "[parallel]\nworkers = 2\nmin-bytes = 1\npart-bytes = 1\n"
ONE_PROCESS = "[parallel]\nworkers = 1\n"


def feeds(directory: Path) -> list[Path]:
    """Two good feeds around three with a planted fault (in a rule, in the reader, at the end of a feed)."""
    return [
        write_feed(directory / "good-1.xml", ["A", "A", "flagged", "B"]),
        write_feed(directory / "rule.xml", ["C", "rule-crash", "flagged", "C", "D"]),
        write_feed(directory / "reader.xml", ["E", "E", "reader-crash", "F", "F"]),
        write_feed(directory / "end.xml", ["G", "G"], shop="feed-crash"),
        write_feed(directory / "good-2.xml", ["H", "flagged", "H"]),
    ]


def planted(directory: Path, sources: Sequence[Path], *options: str, config: str = ONE_PROCESS) -> tuple[int, str, str]:
    """Run the command line with the planted faults; (exit code, the -o report's lines sorted, stderr)."""
    (directory / "feedaudit.toml").write_text(config, encoding="utf-8")
    report = directory / "report.jsonl"
    report.unlink(missing_ok=True)
    command = [sys.executable, str(PLANTED), "check", *map(str, sources), "--config", str(directory / "feedaudit.toml")]
    command += ["--select", "ID,FD,ZZ", "--output-format", "jsonl", "-o", str(report), "--quiet", *options]
    result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT, timeout=300)
    lines = report.read_text("utf-8").splitlines(keepends=True) if report.exists() else []
    return result.returncode, "".join(sorted(lines)), result.stderr


def by_feed(report: str) -> dict[str, list[tuple[str, str | None, str]]]:
    found: dict[str, list[tuple[str, str | None, str]]] = {}
    for line in report.splitlines():
        finding = json.loads(line)
        found.setdefault(Path(finding["source"]).name, []).append(
            (finding["code"], finding["offer_id"], finding["message"])
        )
    return found


@pytest.fixture(scope="module")
def one_process(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path], tuple[int, str, str]]:
    directory = tmp_path_factory.mktemp("isolation")
    sources = feeds(directory)
    return directory, sources, planted(directory, sources)


def test_a_fault_becomes_an_fd999_finding_of_its_feed_only(
    one_process: tuple[Path, list[Path], tuple[int, str, str]],
) -> None:
    _directory, _sources, (code, report, stderr) = one_process
    assert code == 2, stderr
    found = by_feed(report)
    fd999 = {name: [f for f in findings if f[0] == "FD999"] for name, findings in found.items()}
    assert not fd999["good-1.xml"]
    assert not fd999["good-2.xml"]
    [(_, offer_id, message)] = fd999["rule.xml"]
    assert offer_id == "rule-crash"
    assert message.startswith("feedaudit could not finish this feed: RuntimeError: planted fault in an offer rule")
    assert "ZZ901" in message
    [(_, _, message)] = fd999["reader.xml"]
    assert "ValueError: planted fault in the reader" in message
    [(_, _, message)] = fd999["end.xml"]
    assert "KeyError" in message
    assert "ZZ902" in message
    # every other rule went on: the feeds around the faults, and the faulty feeds up to (or past) the fault
    assert ("ID002", "A") in [(c, o) for c, o, _ in found["good-1.xml"]]
    assert ("ZZ901", "flagged") in [(c, o) for c, o, _ in found["good-2.xml"]]
    assert ("ID002", "C") in [(c, o) for c, o, _ in found["rule.xml"]]  # after the offer the rule failed on
    assert ("ID002", "E") in [(c, o) for c, o, _ in found["reader.xml"]]  # before the reader failed
    assert ("ID002", "F") not in [(c, o) for c, o, _ in found["reader.xml"]]  # not read
    assert ("ID002", "G") in [(c, o) for c, o, _ in found["end.xml"]]
    # a failed rule is not run again on that feed (its later findings are not trusted)
    assert ("ZZ901", "flagged") not in [(c, o) for c, o, _ in found["rule.xml"]]
    assert stderr.count("feedaudit: internal error:") == 3
    assert "run with --verbose for the traceback" in stderr
    assert "Traceback" not in stderr


def test_the_good_feeds_are_audited_exactly_as_on_their_own(
    one_process: tuple[Path, list[Path], tuple[int, str, str]],
) -> None:
    directory, sources, (_, report, _) = one_process
    good = [sources[0], sources[-1]]
    alone = directory / "alone"
    alone.mkdir()
    code, expected, _ = planted(alone, good)
    assert code == 1
    lines = [
        line for line in report.splitlines(keepends=True) if Path(json.loads(line)["source"]).name.startswith("good")
    ]
    assert "".join(lines) == expected


def test_verbose_prints_the_traceback(tmp_path: Path) -> None:
    sources = feeds(tmp_path)
    code, _, stderr = planted(tmp_path, sources[1:2], "--verbose")
    assert code == 2
    assert "Traceback (most recent call last)" in stderr
    assert "RuntimeError: planted fault in an offer rule" in stderr


@pytest.mark.parametrize(
    ("options", "config"),
    [
        ((), SPLIT_PER_RECORD),  # each record a byte range of its own, on two cores
        (("--jobs", "2"), ONE_PROCESS),
        (("--local-dask",), ONE_PROCESS),
    ],
    ids=["split", "jobs", "dask"],
)
def test_every_run_mode_gives_the_same_report(
    one_process: tuple[Path, list[Path], tuple[int, str, str]], tmp_path: Path, options: tuple[str, ...], config: str
) -> None:
    if "--local-dask" in options:
        pytest.importorskip("distributed")
    _, sources, (expected_code, expected, expected_stderr) = one_process
    code, report, stderr = planted(tmp_path, sources, *options, config=config)
    assert (code, report) == (expected_code, expected), stderr
    assert stderr.count("feedaudit: internal error:") == expected_stderr.count("feedaudit: internal error:")


# -- the caller's collaborators failing, through the Python API ---------------------------------------


class FailingLookup:
    """The shop's own inventory client, which fails on one offer."""

    def __init__(self, inventory: feedaudit.InventoryLookup) -> None:
        self.inner = inventory
        self.source = inventory.source
        self.match_on = inventory.match_on
        self.duplicates = dict(inventory.duplicates)
        self.issues = list(inventory.issues)
        self.issue_count = inventory.issue_count

    def key_of(self, offer: Offer) -> str | None:
        return self.inner.key_of(offer)

    def match(self, offer: Offer) -> InventoryItem | None:
        if offer.offer_id == "KT-1002":
            raise ConnectionResetError("the ERP went away")
        return self.inner.match(offer)

    def missing(self, matched: AbstractSet[str]) -> Iterator[InventoryItem]:
        return self.inner.missing(matched)


def test_a_failing_inventory_lookup_is_a_finding(fixtures_dir: Path) -> None:
    feed = str(fixtures_dir / "inventory" / "feed.xml")
    loaded = feedaudit.load_inventory(fixtures_dir / "inventory" / "stock.csv")
    findings = feedaudit.audit([feed, feed], select=["IV", "ID"], inventory=FailingLookup(loaded))
    failures = [f for f in findings if f.code == "FD999"]
    assert [(f.offer_id, f.severity) for f in failures] == [("KT-1002", feedaudit.Severity.ERROR)] * 2
    assert "ConnectionResetError: the ERP went away (in the inventory lookup" in failures[0].message
    # offers before the failure were compared; the end-of-feed inventory rules do not guess from half a feed
    assert any(f.code.startswith("IV00") and f.offer_id == "KT-1001" for f in findings)
    assert not [f for f in findings if f.code == "IV005"]


class FailingPages:
    def wants(self, offer: Offer) -> bool:
        return True

    def fetch(self, offers: Sequence[Offer]) -> Iterator[tuple[Offer, Listing]]:
        raise OSError("the crawler broke")


def test_a_failing_page_fetcher_is_a_finding(fixtures_dir: Path) -> None:
    feed = str(fixtures_dir / "feeds" / "hotline.xml")
    findings = feedaudit.audit(feed, select=["LS", "ID"], listings=FailingPages())
    assert [f.code for f in findings] == ["ID002", "FD999"]
    assert "OSError: the crawler broke (fetching the live pages)" in findings[-1].message


def test_fd999_is_reported_whatever_the_selection(tmp_path: Path) -> None:
    sources = feeds(tmp_path)
    code, report, _ = planted(tmp_path, sources[1:2], "--ignore", "FD")
    assert code == 2
    assert [json.loads(line)["code"] for line in report.splitlines()].count("FD999") == 1
