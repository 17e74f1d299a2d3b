"""The `[history]` configuration section."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from feedaudit.section import Section


class HistorySettings(Section):
    """Where past findings are kept, and how long a run waits for another one to finish."""

    path: str | None = Field(
        default=None,
        description=(
            "SQLite file of past findings, or a SQLAlchemy URL (postgresql://…). Relative paths are read "
            "from the configuration file's directory. Unset: no history."
        ),
    )
    lock_file: Path | None = Field(
        default=None,
        description="Lock that stops overlapping runs (default: the SQLite file's path + `.lock`).",
    )
    lock_timeout: float = Field(
        default=60.0,
        ge=0,
        description="Seconds to wait for an overlapping run to finish before giving up (exit code 2).",
    )
