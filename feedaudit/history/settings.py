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


def database_url(target: str | Path) -> str:
    """A SQLAlchemy URL for `target`: URLs pass through, anything else is a SQLite file path."""
    text = str(target)
    if "://" in text:
        return text
    return "sqlite:///" + str(Path(text).expanduser().resolve())


def sqlite_path(target: str | Path) -> Path | None:
    """The file behind a SQLite history (a path or a `sqlite:///` URL), or None for a server database."""
    url = database_url(target)
    scheme, _, rest = url.partition("://")
    if scheme.split("+")[0] != "sqlite" or not rest.startswith("/"):
        return None
    database = rest[1:].split("?")[0]
    if not database or database == ":memory:":
        return None
    return Path(database)
