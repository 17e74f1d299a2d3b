"""A progress line on a terminal for long feeds and crawls; silent when stderr is not a TTY or with --quiet."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressLine:
    """Redraws `source  42%  123.4 MB` on stderr at most a few times a second."""

    def __init__(self, stream: TextIO | None = None, *, interval: float = 0.25) -> None:
        self.stream = stream or sys.stderr
        self.interval = interval
        self._last = 0.0
        self._drawn = False

    @classmethod
    def for_terminal(cls, quiet: bool = False) -> ProgressLine | None:
        return None if quiet or not sys.stderr.isatty() else cls()

    def __call__(self, source: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        if now - self._last < self.interval:
            return
        self._last = now
        share = f"{min(done / total, 1.0):4.0%}" if total else "    "
        label = source if len(source) <= 40 else "…" + source[-39:]
        self.stream.write(f"\r{label}  {share}  {done / 1e6:,.1f} MB ")
        self.stream.flush()
        self._drawn = True

    def feeds(self, done: int, total: int) -> None:
        """Many-feeds mode: `feeds  12/40` as workers finish feeds."""
        now = time.monotonic()
        if now - self._last < self.interval:
            return
        self._last = now
        self.stream.write(f"\rfeeds  {done:,}/{total:,} ")
        self.stream.flush()
        self._drawn = True

    def pages(self, label: str, done: int, total: int) -> None:
        """Redraw `pages  42%  84/200` for a crawl (called from the crawler's thread)."""
        now = time.monotonic()
        if now - self._last < self.interval and done < total:
            return
        self._last = now
        share = f"{min(done / total, 1.0):4.0%}" if total else "    "
        self.stream.write(f"\r{label}  {share}  {done:,}/{total:,} ")
        self.stream.flush()
        self._drawn = True

    def clear(self) -> None:
        if self._drawn:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self._drawn = False
