"""Report and baseline files: checked before the run, written atomically, with the permissions of a new file.

`check_writable` fails early, in one line, when the file cannot be created (a directory that does not
exist, no permission), so a long audit never ends in a lost report. `atomic_output` writes a temporary
file beside the target and renames it into place at the end: a crashed run never leaves half a report
and never clobbers the previous one. The file gets the mode the umask gives a new file (0644 under the
usual 022), or keeps the mode of the file it replaces; never the 0600 of a bare temporary file.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from feedaudit.errors import OutputError


def check_writable(path: Path, what: str = "the report") -> None:
    """Raise `OutputError` when `path` cannot be written, before any work is done."""
    directory = _directory(path)
    if path.is_dir():
        raise OutputError(f"cannot write {what} to {path}: it is a directory")
    if not directory.is_dir():
        raise OutputError(f"cannot write {what} to {path}: directory {directory} does not exist")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write {what} to {path}: directory {directory} is not writable")


@contextmanager
def atomic_output(path: Path, what: str = "the report") -> Iterator[TextIO]:
    """Write a text file atomically: a temporary file beside it, renamed into place at the end."""
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=_directory(path))
    except OSError as exc:
        raise OutputError(f"cannot write {what} to {path}: {exc.strerror or exc}") from exc
    try:
        os.chmod(temporary, _new_file_mode(path))
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            yield out
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _directory(path: Path) -> Path:
    return path.parent if str(path.parent) else Path(".")


def _new_file_mode(path: Path) -> int:
    """The mode of the file being replaced, else what `open()` would give a new file under the umask."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return 0o666 & ~current_umask()


def current_umask() -> int:
    mask = os.umask(0o022)  # the only way to read it is to set it; put it straight back
    os.umask(mask)
    return mask
