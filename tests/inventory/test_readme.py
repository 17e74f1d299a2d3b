"""The README's inventory example shows the command's real output."""

from __future__ import annotations

import re
import shlex

import pytest
from click.testing import CliRunner

from feedaudit.cli import main
from tests.conftest import ROOT


def block_after(marker: str, text: str) -> str:
    match = re.search(rf"<!-- {marker} -->\n(?:<!-- [^\n]* -->\n)*```\w+\n(.*?)```", text, flags=re.S)
    assert match, f"README.md has no block after <!-- {marker} -->"
    return match.group(1)


def test_readme_inventory_example_is_current(monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    command = shlex.split(block_after("inventory-command", readme))
    assert command[:2] == ["feedaudit", "check"]
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, command[1:])
    assert result.exit_code == 1
    assert result.stdout == block_after("inventory-output", readme)
