"""The outbox: every report message is written here first, and removed only once a server accepted it.

Messages are complete `.eml` files (RFC 5322, readable by any mail program), written atomically: a
temporary file in the same directory, flushed to disk, then renamed into place, so a crash never
leaves half a message. Names start with a UTC timestamp, so delivery goes oldest first. A message the
server refuses for good (say, a recipient that does not exist) stays here too, and each run says so
until someone fixes the configuration or removes the file.
"""

from __future__ import annotations

import logging
import os
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Protocol

from feedaudit.errors import NotifyError
from feedaudit.notify.email import DeliveryError

log = logging.getLogger("feedaudit.outbox")

SUFFIX = ".eml"


class Transport(Protocol):
    """What the outbox needs from a mail transport (`SmtpTransport` is one)."""

    def open(self) -> None: ...

    def send(self, message: EmailMessage) -> None: ...

    def close(self) -> None: ...


@dataclass(slots=True)
class Delivery:
    """What one attempt to empty the outbox did."""

    sent: list[Path] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)
    remaining: list[Path] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.remaining

    def problem(self, outbox: Path) -> str:
        """One line for the operator: why, and where the messages wait."""
        reason = self.failed[0][1] if self.failed else "not delivered"
        n = len(self.remaining)
        return (
            f"e-mail not sent: {reason}; {n} message{'s' if n != 1 else ''} kept in {outbox} (the next run sends them)"
        )


class Outbox:
    """A directory of messages waiting to be delivered."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def put(self, message: EmailMessage) -> Path:
        """Store `message` durably and return its path."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
            final = self.directory / f"{stamp}-{uuid.uuid4().hex[:12]}{SUFFIX}"
            handle, temporary = tempfile.mkstemp(prefix=".", suffix=".part", dir=self.directory)
        except OSError as exc:
            raise NotifyError(f"cannot write to the outbox {self.directory}: {exc.strerror or exc}") from exc
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(message.as_bytes(policy=policy.SMTP))
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, final)
        except BaseException as exc:
            Path(temporary).unlink(missing_ok=True)
            if isinstance(exc, OSError):
                raise NotifyError(f"cannot write to the outbox {self.directory}: {exc.strerror or exc}") from exc
            raise
        _sync_directory(self.directory)
        return final

    def pending(self) -> list[Path]:
        """Messages waiting, oldest first."""
        if not self.directory.is_dir():
            return []
        return sorted(p for p in self.directory.iterdir() if p.suffix == SUFFIX and p.is_file())

    @staticmethod
    def read(path: Path) -> EmailMessage:
        with path.open("rb") as handle:
            message = BytesParser(policy=policy.default).parse(handle)
        assert isinstance(message, EmailMessage)  # guaranteed by policy.default
        return message

    def deliver(self, transport: Transport) -> Delivery:
        """Send every waiting message over one connection; remove each one the server accepted."""
        result = Delivery()
        waiting = self.pending()
        if not waiting:
            return result
        try:
            transport.open()
        except DeliveryError as exc:
            result.failed.append((waiting[0], str(exc)))
            result.remaining = waiting
            return result
        try:
            for index, path in enumerate(waiting):
                try:
                    message = self.read(path)
                except OSError as exc:
                    result.failed.append((path, f"cannot read {path}: {exc.strerror or exc}"))
                    result.remaining.append(path)
                    continue
                try:
                    transport.send(message)
                except DeliveryError as exc:
                    result.failed.append((path, str(exc)))
                    result.remaining.append(path)
                    if exc.fatal:
                        result.remaining += waiting[index + 1 :]
                        break
                    log.warning("outbox: %s was refused: %s", path.name, exc)
                    continue
                path.unlink(missing_ok=True)
                result.sent.append(path)
                log.info("outbox: delivered %s", path.name)
        finally:
            transport.close()
        return result


def _sync_directory(directory: Path) -> None:
    """Make the rename itself durable (POSIX); harmless where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
