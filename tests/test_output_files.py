"""Report and baseline files: a place that cannot be written is a one-line error before the run, and the
files get the permissions of any new file (the umask), not those of a private temporary file."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from feedaudit.cli import main
from feedaudit.engine import Engine


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def prom(fixtures_dir: Path) -> str:
    return str(fixtures_dir / "feeds" / "prom.xml")


@contextmanager
def umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("option", ["-o", "--write-baseline"])
def test_a_missing_directory_is_a_one_line_error_before_the_run(
    prom: str, tmp_path: Path, option: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    audited: list[str] = []
    real = Engine.audit_feed

    def spy(self: Engine, spec: str, feed: object = None) -> object:
        audited.append(spec)
        return real(self, spec, feed)  # type: ignore[arg-type]

    monkeypatch.setattr(Engine, "audit_feed", spy)
    target = tmp_path / "no" / "such" / "r.json"
    result = run("check", prom, option, str(target))
    assert result.exit_code == 2
    assert result.stdout == ""
    what = "report" if option == "-o" else "baseline"
    assert (
        result.stderr
        == f"feedaudit: error: cannot write the {what} to {target}: directory {target.parent} does not exist\n"
    )
    assert audited == []  # nothing was audited for a report that could not be kept


def test_a_directory_as_the_report_is_a_one_line_error(prom: str, tmp_path: Path) -> None:
    result = run("check", prom, "-o", str(tmp_path))
    assert result.exit_code == 2
    assert "is a directory" in result.stderr


@pytest.mark.parametrize(("mask", "expected"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_reports_and_baselines_honour_the_umask(prom: str, tmp_path: Path, mask: int, expected: int) -> None:
    report, baseline = tmp_path / "r.json", tmp_path / "baseline.json"
    with umask(mask):
        assert run("check", prom, "--output-format", "json", "-o", str(report)).exit_code == 1
        assert run("check", prom, "--write-baseline", str(baseline)).exit_code == 0
    assert (mode(report), mode(baseline)) == (expected, expected)


def test_a_replaced_report_keeps_its_mode(prom: str, tmp_path: Path) -> None:
    report = tmp_path / "r.txt"
    report.write_text("old\n", "utf-8")
    report.chmod(0o640)
    with umask(0o022):
        assert run("check", prom, "-o", str(report)).exit_code == 1
    assert mode(report) == 0o640
    assert report.read_text("utf-8").startswith(f"{prom}:34: PH002")
