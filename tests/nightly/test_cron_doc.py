"""docs/cron.md tells the truth: it installs what can be installed, names extras that exist, and its subject
line, log lines and history table are what the code writes for the same run."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from feedaudit.config import Settings
from feedaudit.history.delta import RunDelta
from feedaudit.nightly import Nightly, configure
from feedaudit.notify.message import Shop, subject
from tests.conftest import ROOT
from tests.nightly.test_message import finding

CRON = (ROOT / "docs" / "cron.md").read_text("utf-8")
PAGES = {path.name: path.read_text("utf-8") for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]}


def _block(marker: str) -> str:
    match = re.search(rf"<!-- {marker} -->\n```text\n(.*?)```", CRON, re.S)
    assert match, f"docs/cron.md has no text block after <!-- {marker} -->"
    return match.group(1)


def _log_messages() -> list[str]:
    """The log example without its timestamps: `logger LEVEL message` per line."""
    return [line.split(" ", 1)[1] for line in _block("log").splitlines()]


def test_the_subject_example_is_what_the_code_writes_for_the_logged_run() -> None:
    history = next(m for m in _log_messages() if m.startswith("feedaudit INFO history: "))
    run, new, resolved, still_open = map(int, re.findall(r"\d+", history))
    delta = RunDelta(
        run,
        new=[finding(f"N{i}") for i in range(new)],
        still_open=[finding(f"O{i}") for i in range(still_open)],
        resolved=[finding(f"R{i}") for i in range(resolved)],
    )
    shown = _block("subject").strip()
    shop = shown.split("] ", 1)[1].rsplit(": ", 1)[0]
    assert shown == subject(Shop(shop, ("https://shop.example.ua/feed.xml",), 1234), delta)
    queued = next(m for m in _log_messages() if " e-mail: " in m)
    assert f"'{shown}' queued as " in queued
    # the history table shows the same run
    row = next(line.split() for line in CRON.splitlines() if line.strip().startswith(f"{run} "))
    assert [int(cell.replace(",", "")) for cell in row[-4:]] == [new + still_open, new, still_open, resolved]


def test_the_first_log_line_is_the_announcement_of_the_configuration_shown() -> None:
    example = next(b for b in re.findall(r"```toml\n(.*?)```", CRON, re.S) if "[history]" in b and "[email]" in b)
    origin = Path("/etc/feedaudit/feedaudit.toml")
    settings = configure(Settings.model_validate(tomllib.loads(example)), origin)
    assert _log_messages()[0] == f"feedaudit INFO {Nightly(settings, origin).announcement()}"


def test_nothing_is_installed_by_name_from_a_package_index() -> None:
    for name, text in PAGES.items():
        assert not re.search(r"pip install\s+['\"]?feedaudit\b", text), f"{name}: feedaudit is not on an index"
        assert not re.search(r"pipx install\s+['\"]?feedaudit\b", text), name


def test_every_extra_the_docs_name_exists() -> None:
    extras = set(tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["optional-dependencies"])
    named = set()
    for text in PAGES.values():
        named |= set(re.findall(r"`(\w+)` extra", text))
        named |= set(re.findall(r"\.\[(\w+)\]", text))
        named |= set(re.findall(r"\.whl\)\[(\w+)\]", text))
    assert {"postgres", "dask"} <= named
    assert named <= extras
