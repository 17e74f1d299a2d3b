"""Every TOML example in the README and docs/ is a configuration feedaudit accepts as it stands."""

from __future__ import annotations

import re
import tomllib

import pytest

from feedaudit.config import Settings
from tests.conftest import ROOT

BLOCKS = [
    pytest.param(block, id=f"{path.relative_to(ROOT)}#{number}")
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    for number, block in enumerate(re.findall(r"```toml\n(.*?)```", path.read_text("utf-8"), re.S), start=1)
]


def test_there_are_examples() -> None:
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("block", BLOCKS)
def test_example_is_valid_configuration(block: str) -> None:
    data = tomllib.loads(block)
    if "tool" in data:  # a pyproject.toml example
        data = data["tool"]["feedaudit"]
    Settings.model_validate(data)
