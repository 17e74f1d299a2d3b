"""README.md's demo keeps telling the truth: its `feedaudit check …` output is the real output."""

from __future__ import annotations

import re
import shlex

import pytest
from click.testing import CliRunner

from feedaudit.cli import main
from tests.conftest import ROOT


def _block(marker: str) -> str:
    text = (ROOT / "README.md").read_text("utf-8")
    match = re.search(rf"<!-- {marker} -->\n(?:<!-- [^\n]* -->\n)*```[a-z]*\n(.*?)```", text, flags=re.S)
    assert match, f"README.md has no block after <!-- {marker} -->"
    return match.group(1)


def test_readme_demo_output_is_the_real_output(monkeypatch: pytest.MonkeyPatch) -> None:
    command = _block("demo-command").strip()
    check = command.split("&&")[-1].strip()
    assert check.startswith("feedaudit check ")
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, shlex.split(check)[1:])
    assert result.exit_code == 1  # the demo feed has faults on purpose
    assert result.stdout == _block("demo-output"), "README.md's demo output is stale: paste the real output"


def test_readme_commands_install_from_the_checkout() -> None:
    assert "pip install -e ." in _block("demo-command")
    assert "pip install -e '.[test]'" in _block("test-command")
    assert _block("test-command").strip().endswith("pytest")
