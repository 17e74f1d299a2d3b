"""A progress line on a terminal for long feeds and crawls; silent when stderr is not a TTY or with --quiet.

The line lives on stderr and is redrawn in place. Anything else written to the same terminal (findings
on stdout, log lines and warnings on stderr) would land in the middle of it, so while a run is going
`ProgressLine.attached()` puts a thin layer over `sys.stdout` and `sys.stderr`: each write first clears
the progress line, and once a whole line has been written the progress is drawn again below it. The
crawler draws from its own thread, so drawing and writing take one lock.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, TextIO, cast

CLEAR_LINE = "\r\x1b[2K"  # back to column 0, erase the whole line


class ProgressLine:
    """Redraws `source  42%  123.4 MB` on stderr at most a few times a second."""

    def __init__(self, stream: TextIO | None = None, *, interval: float = 0.25) -> None:
        self.stream = stream or sys.stderr
        self.interval = interval
        self._last = 0.0
        self._text = ""  # what the line shows (or showed before a write cleared it)
        self._drawn = False
        self._wanted = False  # cleared for a write, to be drawn again below it
        self._mid_line = False  # a write left a line unfinished: no drawing until it ends
        self._lock = threading.RLock()

    @classmethod
    def for_terminal(cls, quiet: bool = False) -> ProgressLine | None:
        return None if quiet or not sys.stderr.isatty() else cls()

    def __call__(self, source: str, done: int, total: int | None) -> None:
        if not self._due(final=False):
            return
        share = f"{min(done / total, 1.0):4.0%}" if total else "    "
        label = source if len(source) <= 40 else "…" + source[-39:]
        self._draw(f"{label}  {share}  {done / 1e6:,.1f} MB ")

    def feeds(self, done: int, total: int) -> None:
        """Many-feeds mode: `feeds  12/40` as workers finish feeds."""
        if self._due(final=False):
            self._draw(f"feeds  {done:,}/{total:,} ")

    def pages(self, label: str, done: int, total: int) -> None:
        """Redraw `pages  42%  84/200` for a crawl (called from the crawler's thread)."""
        if not self._due(final=done >= total):
            return
        share = f"{min(done / total, 1.0):4.0%}" if total else "    "
        self._draw(f"{label}  {share}  {done:,}/{total:,} ")

    def clear(self) -> None:
        """Erase the line (at the end of a run, or before something else is written)."""
        with self._lock:
            self._wanted = False
            if self._drawn:
                self.stream.write(CLEAR_LINE)
                self.stream.flush()
                self._drawn = False

    @contextmanager
    def attached(self) -> Iterator[None]:
        """While inside, whatever is written to stdout or stderr appears above the progress line, never in it.

        stdout is covered when it is a terminal too (it is then the same screen); a report written to a
        file or a pipe is left alone. The line is cleared on the way out.
        """
        saved = sys.stdout, sys.stderr
        if _is_terminal(sys.stdout):
            sys.stdout = cast(TextIO, _Above(self, sys.stdout))
        sys.stderr = cast(TextIO, _Above(self, sys.stderr))
        try:
            yield
        finally:
            sys.stdout, sys.stderr = saved
            self.clear()

    # -- inside ------------------------------------------------------------------------------------

    def _due(self, *, final: bool) -> bool:
        now = time.monotonic()
        if now - self._last < self.interval and not final:
            return False
        self._last = now
        return True

    def _draw(self, text: str) -> None:
        with self._lock:
            self._text = text
            if self._mid_line:  # someone's line is half written: draw when it is finished
                self._wanted = True
                return
            self.stream.write(CLEAR_LINE + text)
            self.stream.flush()
            self._drawn = True

    def write_above(self, target: TextIO, text: str) -> int:
        """Write `text` to `target` (stdout or stderr) with the line out of the way, then put it back."""
        with self._lock:
            if self._drawn:
                self.clear()
                self._wanted = True
            written = target.write(text)
            self._mid_line = not text.endswith("\n")
            if self._wanted and not self._mid_line:
                target.flush()  # the text must reach the terminal before the line is drawn under it
                self.stream.write(self._text)
                self.stream.flush()
                self._drawn = True
                self._wanted = False
            return written


def attached(progress: ProgressLine | None) -> AbstractContextManager[None]:
    """`progress.attached()`, or nothing when there is no progress line (not a terminal, or --quiet)."""
    return progress.attached() if progress is not None else nullcontext()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class _Above:
    """A text stream that writes through `ProgressLine.write_above`; everything else is the stream's own."""

    def __init__(self, line: ProgressLine, stream: TextIO) -> None:
        self._line = line
        self._stream = stream

    def write(self, text: str) -> int:
        if not text:
            return 0
        return self._line.write_above(self._stream, text)

    def writelines(self, lines: Iterator[str]) -> None:
        for text in lines:
            self.write(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)
