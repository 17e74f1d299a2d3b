"""Every command in README.md and docs/ works as printed: each shell or Python block either runs here, twice in
a row, with the exit code and the output the page shows, or says why it cannot run offline.

A block is marked by HTML comments on the lines just above it:

    <!-- run: exits 1 -->                 run it; it must exit 1
    <!-- run after install: exits 1 -->   run what follows the install (`... && pip install -e . && CMD`)
    <!-- not run: REASON -->              it needs your own files, root, or the network
    <!-- output -->                       (on the next ```text block) what the run before prints, exactly

Blocks run in a scratch directory holding `fixtures` (linked), with this environment's `feedaudit` and
`python` first on PATH, so no file of the checkout is written and no stray feedaudit.toml is read.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
COMMAND_LANGUAGES = {"bash", "sh", "shell", "console", "python"}
FENCE = re.compile(r"((?:^<!-- [^\n]*? -->\n)*)^```(\w*)\n(.*?)^```", re.S | re.M)
MARK = re.compile(r"<!-- (run|run after install|not run|output)(?::\s*(.*?))? -->")


@dataclass(frozen=True)
class Block:
    page: str
    number: int
    language: str
    body: str
    marks: dict[str, str]

    @property
    def label(self) -> str:
        return f"{self.page}#{self.number}:{self.language}"


def blocks(page: Path) -> list[Block]:
    found = []
    for number, match in enumerate(FENCE.finditer(page.read_text("utf-8")), start=1):
        marks = {kind: value or "" for kind, value in MARK.findall(match.group(1))}
        found.append(Block(page.relative_to(ROOT).as_posix(), number, match.group(2), match.group(3), marks))
    return found


ALL = [block for page in PAGES for block in blocks(page)]
COMMANDS = [block for block in ALL if block.language in COMMAND_LANGUAGES]
RUNS = [
    (block, ALL[ALL.index(block) + 1] if ALL.index(block) + 1 < len(ALL) else None)
    for block in COMMANDS
    if "run" in block.marks or "run after install" in block.marks
]


def test_every_command_block_says_whether_it_runs() -> None:
    unmarked = [b.label for b in COMMANDS if not {"run", "run after install", "not run"} & set(b.marks)]
    assert unmarked == [], "mark each block <!-- run: exits N --> or <!-- not run: REASON -->"
    assert all(b.marks["not run"].strip() for b in COMMANDS if "not run" in b.marks), "say why it does not run"
    assert len(RUNS) >= 4


def test_output_blocks_follow_a_run() -> None:
    runs = {id(block) for block, _ in RUNS}
    for index, block in enumerate(ALL):
        if "output" in block.marks:
            assert index > 0
            assert id(ALL[index - 1]) in runs, f"{block.label}: <!-- output --> must follow a block that runs"


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    (tmp_path / "fixtures").symlink_to(ROOT / "fixtures", target_is_directory=True)
    return tmp_path


def _environment() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("FEEDAUDIT_")}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def _run(block: Block, cwd: Path) -> subprocess.CompletedProcess[str]:
    if block.language == "python":
        command = [sys.executable, "-c", block.body]
    elif "run after install" in block.marks:
        command = ["bash", "-c", block.body.split("&&")[-1].strip()]
    else:
        command = ["bash", "-c", block.body]
    return subprocess.run(
        command, cwd=cwd, env=_environment(), capture_output=True, text=True, timeout=600, check=False
    )


@pytest.mark.parametrize(("block", "following"), RUNS, ids=[block.label for block, _ in RUNS])
def test_command_works_as_printed(block: Block, following: Block | None, scratch: Path) -> None:
    mark = block.marks.get("run", block.marks.get("run after install", ""))
    expected_code = int(re.fullmatch(r"exits (\d+)", mark.strip()).group(1))  # type: ignore[union-attr]
    shown = following.body if following is not None and "output" in following.marks else None
    for attempt in ("first", "second"):  # twice in a row: nothing left behind may break the next run
        result = _run(block, scratch)
        assert "Traceback" not in result.stderr, result.stderr
        assert result.returncode == expected_code, f"{attempt} run: {result.stderr}"
        if shown is not None:
            assert result.stdout == shown, f"{block.label}: the page shows other output than the {attempt} run"
