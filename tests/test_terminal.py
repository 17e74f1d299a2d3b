"""The progress line never garbles the terminal: findings (stdout) and log lines (stderr) written while it is
drawn appear above it, whole. Checked on a real pseudo-terminal with the command line in a subprocess, and
what the screen finally shows is worked out the way a terminal does it (carriage return, erase line)."""

from __future__ import annotations

import io
import logging
import os
import pty
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from feedaudit.progress import ProgressLine
from tests.conftest import ROOT
from tests.listings.shopserver import Reply, ShopServer, running

PAGES = ROOT / "fixtures" / "pages"


def screen(drawn: str) -> list[str]:
    """The lines a terminal shows after receiving `drawn`: `\\r` goes back to column 0, ESC[2K erases the
    line, `\\n` moves to a new line (the pty turns it into CR LF), anything else overwrites in place."""
    lines: list[str] = []
    line: list[str] = []
    column = 0
    i = 0
    while i < len(drawn):
        if drawn.startswith("\x1b[2K", i):
            line = [" "] * len(line)
            i += 4
            continue
        char = drawn[i]
        i += 1
        if char == "\r":
            column = 0
        elif char == "\n":
            lines.append("".join(line).rstrip())
            line, column = [], 0
        else:
            if column < len(line):
                line[column] = char
            else:
                line.append(char)
            column += 1
    last = "".join(line).rstrip()
    return [*lines, last] if last else lines


def on_a_terminal(*args: str, cwd: Path = ROOT) -> tuple[int, str]:
    """Run feedaudit with stdout and stderr on one pseudo-terminal: (exit code, everything it drew)."""
    leader, follower = pty.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "feedaudit", *args],
            stdin=subprocess.DEVNULL,
            stdout=follower,
            stderr=follower,
            cwd=cwd,
        )
        os.close(follower)
        drawn = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO once the terminal has no writer left
                break
            if not chunk:
                break
            drawn += chunk
        code = process.wait(timeout=120)
    finally:
        os.close(leader)
    return code, drawn.decode("utf-8")


def piped(*args: str, cwd: Path = ROOT) -> list[str]:
    process = subprocess.run(
        [sys.executable, "-m", "feedaudit", *args], cwd=cwd, capture_output=True, text=True, check=False
    )
    return process.stdout.splitlines()


def test_findings_appear_above_the_feed_progress_line() -> None:
    args = ("check", "fixtures/feeds/prom.xml")
    code, drawn = on_a_terminal(*args)
    assert code == 1
    assert "fixtures/feeds/prom.xml  100%" in drawn  # the progress line was drawn ...
    assert screen(drawn) == piped(*args)  # ... and the screen holds the findings, whole, and nothing else


@pytest.fixture
def shop() -> Iterator[ShopServer]:
    server = ShopServer("127.0.0.1")
    for page in PAGES.glob("*.html"):
        server.routes[f"/{page.name}"] = Reply(200, page.read_bytes(), {"Content-Type": "text/html"})
    with running(server):
        yield server


def test_findings_appear_above_the_crawl_progress_line(shop: ShopServer, tmp_path: Path) -> None:
    feed = (PAGES / "feed.xml").read_text("utf-8").replace("demo-shop.invalid", f"127.0.0.1:{shop.port}")
    (tmp_path / "feed.xml").write_text(feed, "utf-8")
    (tmp_path / "feedaudit.toml").write_text("[listings]\nrate = 1000\nper-host = 4\n", "utf-8")
    args = ("check", "feed.xml", "--listings", "--allow-private", "--select", "LS")
    code, drawn = on_a_terminal(*args, cwd=tmp_path)
    assert code == 1
    assert "pages " in drawn
    lines = screen(drawn)
    assert lines == piped(*args, cwd=tmp_path)
    assert lines[-1] == "Found 10 problems (7 errors, 3 warnings) in 7 offers in 1 feed."


class Terminal(io.StringIO):
    """stdout and stderr of a process whose both streams are the same terminal."""

    def isatty(self) -> bool:
        return True


def test_log_lines_and_unfinished_lines_on_either_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    monkeypatch.setattr(sys, "stderr", terminal)
    progress = ProgressLine(terminal, interval=0)
    log = logging.getLogger("feedaudit.test-terminal")
    with progress.attached():
        handler = logging.StreamHandler(sys.stderr)  # as a nightly run sets it up: after the line exists
        log.addHandler(handler)
        try:
            progress("feed.xml", 500, 1000)
            print("feed.xml:3: ID001 [error] offer has no id")
            log.warning("outbox: a message was refused")
            print("half a line", end="")
            crawler = threading.Thread(target=progress.pages, args=("pages", 1, 7))
            crawler.start()  # draws from another thread while a line is unfinished: must wait for it
            crawler.join()
            print(", and the rest")
            sys.stderr.write("feedaudit: a warning\n")
            assert screen(terminal.getvalue())[-1] == "pages   14%  1/7"  # the line is back below
        finally:
            log.removeHandler(handler)
    assert screen(terminal.getvalue()) == [
        "feed.xml:3: ID001 [error] offer has no id",
        "outbox: a message was refused",
        "half a line, and the rest",
        "feedaudit: a warning",
    ]
    assert sys.stdout is terminal  # the streams are put back
