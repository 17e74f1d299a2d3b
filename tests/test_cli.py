"""The command line contract: exit codes, errors in one line, formats, output files, rules, config discovery."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from feedaudit.cli import main
from feedaudit.engine import Engine
from feedaudit.report import REPORTERS
from feedaudit.rules import registered_rules


def run(*args: str, **kwargs: object) -> Result:
    return CliRunner().invoke(main, list(args), **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def prom(fixtures_dir: Path) -> str:
    return str(fixtures_dir / "feeds" / "prom.xml")


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


# -- exit codes -------------------------------------------------------------------------------------


def test_exit_0_when_clean(prom: str) -> None:
    result = run("check", prom, "--select", "FD")
    assert result.exit_code == 0
    assert result.stdout == "All checks passed: 5 offers in 1 feed.\n"


def test_exit_1_on_findings(prom: str) -> None:
    assert run("check", prom, "--select", "ID").exit_code == 1


def test_exit_zero(prom: str) -> None:
    result = run("check", prom, "--select", "ID", "--exit-zero")
    assert result.exit_code == 0
    assert "ID002" in result.stdout  # still reported


def test_fail_on_follows_severity(prom: str, in_tmp: Path) -> None:
    Path("feedaudit.toml").write_text('[rules.ID002]\nseverity = "warning"\n', "utf-8")
    assert run("check", prom, "--select", "ID002").exit_code == 1  # default: fail on warning
    assert run("check", prom, "--select", "ID002", "--fail-on", "error").exit_code == 0
    Path("feedaudit.toml").write_text('fail-on = "error"\n[rules.ID002]\nseverity = "info"\n', "utf-8")
    assert run("check", prom, "--select", "ID002").exit_code == 0
    assert run("check", prom, "--select", "ID002", "--fail-on", "info").exit_code == 1


def _one_line_error(result: Result, starts: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(starts), lines[0]


def test_bad_config_file_exits_2_in_one_line(prom: str, in_tmp: Path) -> None:
    Path("feedaudit.toml").write_text('select = ["ID"]\nselct = ["FD"]\n', "utf-8")
    _one_line_error(run("check", prom), "feedaudit: error: ")
    assert "selct: unknown key" in run("check", prom).stderr
    Path("feedaudit.toml").write_text("select = [\n", "utf-8")
    _one_line_error(run("check", prom), "feedaudit: error: ")
    assert "invalid TOML" in run("check", prom).stderr
    _one_line_error(run("check", prom, "--config", str(in_tmp / "absent.toml")), "feedaudit: error: cannot read")


def test_unknown_selector_exits_2(prom: str) -> None:
    result = run("check", prom, "--select", "XX9")
    _one_line_error(result, "feedaudit: error: unknown rule selector 'XX9'")


def test_unknown_option_value_exits_2(prom: str) -> None:
    assert run("check", prom, "--output-format", "yaml").exit_code == 2
    assert run("check", prom, "--fail-on", "fatal").exit_code == 2
    assert run("check").exit_code == 2


def test_internal_error_exits_2_with_traceback_only_when_verbose(prom: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: Engine, spec: str, feed: object = None) -> object:
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(Engine, "audit_feed", broken)
    quiet = run("check", prom)
    _one_line_error(quiet, "feedaudit: internal error: RuntimeError: boom (run with --verbose")
    assert "Traceback" not in quiet.stderr
    loud = run("check", prom, "--verbose")
    assert loud.exit_code == 2
    assert "Traceback (most recent call last)" in loud.stderr
    assert loud.stderr.splitlines()[-1] == "feedaudit: internal error: RuntimeError: boom"


def test_exit_zero_does_not_hide_errors(prom: str) -> None:
    assert run("check", prom, "--select", "NOPE", "--exit-zero").exit_code == 2


# -- output ----------------------------------------------------------------------------------------


def test_statistics_count_code_name(prom: str) -> None:
    result = run("check", prom, "--select", "ID", "--statistics")
    assert result.stdout.splitlines() == [
        "1\tID001\tmissing-offer-id",
        "1\tID002\tduplicate-offer-id",
        "Found 2 problems (2 errors) in 5 offers in 1 feed.",
    ]


@pytest.mark.parametrize("output_format", sorted(REPORTERS))
def test_every_output_format(prom: str, output_format: str) -> None:
    result = run("check", prom, "--select", "ID", "--output-format", output_format)
    assert result.exit_code == 1
    assert "VC-2001" in result.stdout
    assert result.stderr == ""


def test_output_format_from_config(prom: str, in_tmp: Path) -> None:
    Path("feedaudit.toml").write_text('output-format = "jsonl"\nselect = ["ID"]\n', "utf-8")
    lines = run("check", prom).stdout.splitlines()
    assert [json.loads(line)["code"] for line in lines] == ["ID002", "ID001"]


def test_output_file_is_written_atomically(prom: str, in_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = in_tmp / "report.json"
    result = run("check", prom, "--select", "ID", "--output-format", "json", "--output", str(target))
    assert (result.exit_code, result.stdout) == (1, "")
    assert json.loads(target.read_text("utf-8"))["summary"]["findings"] == 2
    assert sorted(p.name for p in in_tmp.iterdir()) == ["report.json"]

    def broken(self: Engine, spec: str, feed: object = None) -> object:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(Engine, "audit_feed", broken)
    failed = run("check", prom, "--output-format", "json", "--output", str(target))
    assert failed.exit_code == 2
    assert json.loads(target.read_text("utf-8"))["summary"]["findings"] == 2  # the old report is intact
    assert sorted(p.name for p in in_tmp.iterdir()) == ["report.json"]  # no temporary file left


# -- rules -----------------------------------------------------------------------------------------


def test_rules_lists_every_rule() -> None:
    result = run("rules")
    assert result.exit_code == 0
    for rule in registered_rules().values():
        assert f"{rule.code}  {rule.name}" in result.stdout


def test_rules_code_prints_its_documentation() -> None:
    result = run("rules", "id002")
    assert result.exit_code == 0
    assert result.stdout.startswith("ID002 duplicate-offer-id\n")
    assert registered_rules()["ID002"].doc in result.stdout
    data = json.loads(run("rules", "ID002", "--output-format", "json").stdout)
    assert data[0]["code"] == "ID002"
    assert "url" not in data[0]  # no docs URL configured


@pytest.mark.parametrize("name", ["missing-warranty", "Missing-Warranty", "wr001"])
def test_rules_are_found_by_name_as_well_as_code(name: str) -> None:
    result = run("rules", name)
    assert result.exit_code == 0
    assert result.stdout.startswith("WR001 missing-warranty\n")


def test_rules_unknown_code_exits_2() -> None:
    result = run("rules", "ZZ999")
    assert result.exit_code == 2
    assert "no rule 'ZZ999'" in result.stderr


# -- configuration ---------------------------------------------------------------------------------


def test_feedaudit_toml_is_discovered(prom: str, in_tmp: Path) -> None:
    Path("feedaudit.toml").write_text('select = ["ID001"]\n', "utf-8")
    assert run("check", prom, "--output-format", "jsonl").stdout.count('"code":"ID001"') == 1
    assert '"ID002"' not in run("check", prom, "--output-format", "jsonl").stdout


def test_pyproject_tool_section_is_discovered(prom: str, in_tmp: Path) -> None:
    Path("pyproject.toml").write_text('[project]\nname = "x"\n[tool.feedaudit]\nignore = ["ID001"]\n', "utf-8")
    out = run("check", prom, "--select", "ID").stdout
    assert ("ID001" in out, "ID002" in out) == (False, True)


def test_feedaudit_toml_wins_over_pyproject(prom: str, in_tmp: Path) -> None:
    Path("pyproject.toml").write_text('[tool.feedaudit]\nselect = ["ID001"]\n', "utf-8")
    Path("feedaudit.toml").write_text('select = ["ID002"]\n', "utf-8")
    out = run("check", prom).stdout
    assert ("ID001" in out, "ID002" in out) == (False, True)


def test_pyproject_without_a_feedaudit_section_is_ignored(prom: str, in_tmp: Path) -> None:
    Path("pyproject.toml").write_text("[tool.ruff]\nline-length = 100\n", "utf-8")
    assert run("check", prom, "--select", "ID").exit_code == 1


def test_command_line_beats_file_beats_defaults(prom: str, in_tmp: Path) -> None:
    Path("feedaudit.toml").write_text('select = ["FD"]\nfail-on = "error"\n', "utf-8")
    assert run("check", prom).exit_code == 0  # the file's select: no FD finding
    assert run("check", prom, "--select", "ID").exit_code == 1  # the command line's select
    assert run("check", prom, "--select", "ID", "--ignore", "ID").exit_code == 0


def test_explicit_config_path(prom: str, tmp_path: Path) -> None:
    config = tmp_path / "shop.toml"
    config.write_text('select = ["ID001"]\n', "utf-8")
    out = run("check", prom, "--config", str(config)).stdout
    assert ("ID001" in out, "ID002" in out) == (True, False)


def test_per_offer_ignores(prom: str, in_tmp: Path) -> None:
    Path("feedaudit.toml").write_text('select = ["ID"]\n[per-offer-ignores]\n"VC-*" = ["ID002"]\n', "utf-8")
    out = run("check", prom).stdout
    assert ("ID001" in out, "VC-2001" in out) == (True, False)
    Path("feedaudit.toml").write_text('select = ["ID"]\n[per-offer-ignores]\n"KT-*" = ["ID"]\n', "utf-8")
    assert "VC-2001" in run("check", prom).stdout  # the glob decides which offers


# -- real processes --------------------------------------------------------------------------------


def _subprocess(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        [sys.executable, "-m", "feedaudit", *args], capture_output=True, text=True, check=False, **kwargs
    )


def test_subprocess_exit_codes(prom: str) -> None:
    assert _subprocess("check", prom, "--select", "FD").returncode == 0
    found = _subprocess("check", prom, "--select", "ID")
    assert found.returncode == 1
    assert found.stdout.splitlines()[-1] == "Found 2 problems (2 errors) in 5 offers in 1 feed."
    assert found.stderr == ""  # piped: no progress line
    bad = _subprocess("check", prom, "--select", "ZZ")
    assert (bad.returncode, bad.stdout) == (2, "")


def _stderr_on_a_terminal(*args: str) -> tuple[int, bytes, bytes]:
    """Run feedaudit with stderr on a pseudo-terminal and stdout piped: (exit code, terminal bytes, stdout)."""
    leader, follower = pty.openpty()
    try:
        process = subprocess.run(
            [sys.executable, "-m", "feedaudit", *args], stdout=subprocess.PIPE, stderr=follower, check=False
        )
        os.close(follower)
        drawn = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # EIO once the terminal has no writer left
                break
            if not chunk:
                break
            drawn += chunk
    finally:
        os.close(leader)
    return process.returncode, drawn, process.stdout


def test_progress_line_only_on_a_terminal(prom: str) -> None:
    code, drawn, stdout = _stderr_on_a_terminal("check", prom, "--select", "ID")
    assert code == 1
    assert b"prom.xml" in drawn
    assert b"\x1b[2K" in drawn  # the line is cleared at the end
    assert stdout.decode().splitlines()[-1] == "Found 2 problems (2 errors) in 5 offers in 1 feed."
    assert b"\r" not in stdout  # the report on stdout is untouched
    code, drawn, _ = _stderr_on_a_terminal("check", prom, "--select", "ID", "--quiet")
    assert (code, drawn) == (1, b"")


def test_a_reader_that_stops_early_ends_the_run_quietly(tmp_path: Path) -> None:
    """`feedaudit check feed.xml | head -1`: no traceback and no 'internal error' when the pipe closes."""
    offers = "\n".join(f"<offer><price>{n}</price></offer>" for n in range(1, 5001))  # ID001 for each
    feed = tmp_path / "many.xml"
    feed.write_text(f"<yml_catalog><shop><offers>\n{offers}\n</offers></shop></yml_catalog>\n", "utf-8")
    with subprocess.Popen(
        [sys.executable, "-m", "feedaudit", "check", str(feed), "--select", "ID001"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        first = process.stdout.readline()
        process.stdout.close()
        stderr = process.stderr.read().decode()
        assert process.wait(timeout=60) == 2
    assert b"ID001" in first
    assert stderr == ""
