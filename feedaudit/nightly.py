"""The nightly mode of `feedaudit check`: remember findings, e-mail what changed, never lose a report.

A run with a history (`--history` / `[history] path`) or e-mail (`--email` / `[email] enabled`) goes:

1. take the run lock (beside the SQLite history), so two overlapping cron runs never write together:
   the second waits up to `[history] lock-timeout` seconds, then gives up with exit code 2;
2. deliver what earlier runs left in the outbox;
3. audit, collecting the findings through the runner's `on_finding` hook;
4. in ONE history transaction: record the run, split its findings into new / still open / resolved,
   and write the report message(s) to the outbox; then commit. A crash before the commit leaves the
   history as it was (at worst the next run sends the report twice); a recorded run always has its
   message on disk;
5. deliver the outbox. A message no server accepted stays there and the run exits 2 with one line
   saying why; the next run sends it first.

Log lines (with a timestamp) go to stderr, each on one line with nothing from a feed acting on the
terminal (`feedaudit.report.safe.OneLineFormatter`); `--quiet` keeps only warnings and errors, for cron.
The findings kept for the history have their text capped (`feedaudit.report.safe.bounded`).
"""

from __future__ import annotations

import logging
import re
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from feedaudit.config import Settings
from feedaudit.errors import ConfigError, HistoryError, NotifyError
from feedaudit.history.settings import HistorySettings, sqlite_path
from feedaudit.model import Finding
from feedaudit.report.safe import OneLineFormatter, bounded

if TYPE_CHECKING:
    # The lock, the mail and the history modules load only when a run uses them: a plain check skips them.
    from email.message import EmailMessage

    import filelock

    from feedaudit.history.delta import RunDelta
    from feedaudit.history.store import HistoryStore
    from feedaudit.notify.email import SmtpTransport
    from feedaudit.notify.message import Shop
    from feedaudit.notify.outbox import Outbox
    from feedaudit.notify.settings import EmailSettings
    from feedaudit.report import FeedSummary, Summary

log = logging.getLogger("feedaudit")

LOCK_NAME = "feedaudit.lock"


def configure(
    settings: Settings,
    origin: Path | None,
    *,
    history: str | None = None,
    email: bool | None = None,
    named: bool = True,
) -> Settings:
    """Settings with the configuration file's relative paths made absolute, then the command line applied.

    Paths in a configuration file are read from that file's directory (so a crontab need not `cd`);
    paths on the command line from the working directory.

    A history and e-mail happen only when this run asks for them: with `--history` / `--email`, or with
    a configuration file named by `--config` (`named`). A `feedaudit.toml` that merely happens to be in
    the working directory (`named=False`) lends its `[history]` and `[email]` settings to a run that
    gives `--email` or `--history`, but never turns a plain check into a nightly run.
    """
    base = origin.parent if origin is not None else None
    hist = settings.history
    mail = settings.email
    if not named:
        if history is None and not email:
            hist = hist.model_copy(update={"path": None})
        if email is None:
            mail = mail.model_copy(update={"enabled": False})
    if base is not None:
        hist = hist.model_copy(
            update={
                "path": hist.path if hist.path is None or "://" in hist.path else str(_under(base, Path(hist.path))),
                "lock_file": None if hist.lock_file is None else _under(base, hist.lock_file),
            }
        )
        mail = mail.model_copy(
            update={
                "outbox": _under(base, mail.outbox),
                "ca_file": None if mail.ca_file is None else _under(base, mail.ca_file),
            }
        )
    if history is not None:
        hist = hist.model_copy(update={"path": history})
    if email is not None:
        mail = mail.model_copy(update={"enabled": email})
    return settings.model_copy(update={"history": hist, "email": mail})


def _without_password(target: str) -> str:
    """`postgresql://audit:secret@db/x` → `postgresql://audit:***@db/x`: a log line never shows a password."""
    return re.sub(r"^([a-z][\w+.-]*://[^/:@]*):[^/]*@", r"\1:***@", target, flags=re.IGNORECASE)


def _under(base: Path, path: Path) -> Path:
    path = path.expanduser()
    return path if path.is_absolute() else base / path


def lock_path(settings: Settings, origin: Path | None) -> Path:
    """The lock file: `[history] lock-file`, else beside the SQLite history, else beside the configuration."""
    if settings.history.lock_file is not None:
        return settings.history.lock_file
    if settings.history.path is not None:
        database = sqlite_path(settings.history.path)
        if database is not None:
            return database.with_name(database.name + ".lock")
    return (origin.parent if origin is not None else Path.cwd()) / LOCK_NAME


@dataclass(slots=True)
class Nightly:
    """One nightly run around `run_check`: use as a context manager, feed it findings, then `finish()`."""

    settings: Settings
    origin: Path | None = None
    quiet: bool = False
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    findings: list[Finding] = field(default_factory=list)
    delta: RunDelta | None = None
    _lock: filelock.BaseFileLock | None = None
    _handler: logging.Handler | None = None
    _transport: SmtpTransport | None = None
    _outbox: Outbox | None = None
    _store: HistoryStore | None = None
    _log_state: tuple[int, bool] = (logging.NOTSET, True)

    @property
    def active(self) -> bool:
        return self.settings.history.path is not None or self.settings.email.enabled

    # -- set-up and tear-down ----------------------------------------------------------------------

    def __enter__(self) -> Nightly:
        if not self.active:
            return self
        self._check_settings()
        if self.settings.email.enabled:
            self._prepare_email()
        self._start_logging()
        log.info("%s", self.announcement())
        try:
            self._take_lock()
            self._open_history()
            self._deliver("earlier runs")
        except BaseException:
            self._stop()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.active:
            self._stop()

    def announcement(self) -> str:
        """The log line that says this run keeps a history and/or sends e-mail, and where."""
        parts = []
        if self.settings.history.path is not None:
            parts.append(f"history in {_without_password(self.settings.history.path)}")
        if self.settings.email.enabled:
            parts.append(f"e-mail to {', '.join(self.settings.email.to)}")
        source = f" (settings from {self.origin})" if self.origin is not None else ""
        return f"nightly run: {' and '.join(parts)}{source}"

    def _check_settings(self) -> None:
        mail = self.settings.email
        if not mail.enabled:
            return
        if self.settings.history.path is None:
            raise ConfigError(
                "e-mail reports need a history to tell new findings from resolved ones: "
                "give --history PATH or set [history] path"
            )
        if mail.sender is None or not mail.to:
            raise ConfigError('[email] needs "from" and "to" to send reports')

    def _start_logging(self) -> None:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(OneLineFormatter("%(asctime)s %(name)s %(levelname)s %(message)s", "%Y-%m-%dT%H:%M:%S%z"))
        self._log_state = (log.level, log.propagate)
        log.setLevel(logging.WARNING if self.quiet else logging.INFO)
        log.propagate = False
        log.addHandler(handler)
        self._handler = handler

    def _take_lock(self) -> None:
        path = lock_path(self.settings, self.origin)
        timeout = self.settings.history.lock_timeout
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise HistoryError(f"cannot create the lock {path}: {exc.strerror or exc}") from exc
        import filelock  # noqa: PLC0415 - only runs with a history or e-mail take the lock

        lock = filelock.FileLock(path)
        try:
            try:
                lock.acquire(timeout=0)
            except filelock.Timeout:
                log.info("another feedaudit run holds %s; waiting up to %g s", path, timeout)
                lock.acquire(timeout=timeout)
        except filelock.Timeout:
            raise HistoryError(
                f"another feedaudit run still holds {path} after {timeout:g} s; this run did nothing"
            ) from None
        except OSError as exc:
            raise HistoryError(f"cannot take the lock {path}: {exc.strerror or exc}") from exc
        self._lock = lock

    def _prepare_email(self) -> None:
        from feedaudit.notify.email import SmtpTransport  # noqa: PLC0415 - smtplib only when mail is sent
        from feedaudit.notify.outbox import Outbox  # noqa: PLC0415

        self._transport = SmtpTransport.from_settings(self.settings.email)
        self._outbox = Outbox(self.settings.email.outbox)

    def _open_history(self) -> None:
        """Open (create, migrate) the history before auditing, so a bad database fails fast."""
        from feedaudit.history.store import HistoryStore  # noqa: PLC0415 - SQLAlchemy only when a history is used

        if self.settings.history.path is not None:
            self._store = HistoryStore.open(self.settings.history.path)

    def _stop(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
        if self._lock is not None:
            self._lock.release()
            self._lock = None
        if self._handler is not None:
            log.removeHandler(self._handler)
            log.setLevel(self._log_state[0])
            log.propagate = self._log_state[1]
            self._handler = None

    # -- the run -----------------------------------------------------------------------------------

    def add(self, finding: Finding) -> None:
        """The runner's `on_finding` hook."""
        if self.active:
            self.findings.append(bounded(finding))

    def finish(self, summary: Summary) -> None:
        """Record the run, write its report to the outbox and deliver; `NotifyError` if mail is left over."""
        if not self.active:
            return
        if self._store is not None:
            self.delta = self._store.record_run(
                self.findings,
                sources=[feed.source for feed in summary.feeds],
                offers=summary.offers,
                started=self.started,
                before_commit=lambda delta: self._queue(delta, summary),
            )
            delta = self.delta
            log.info(
                "history: run %d recorded: %d new, %d resolved, %d still open",
                delta.run_id,
                len(delta.new),
                len(delta.resolved),
                len(delta.still_open),
            )
        if self.settings.email.enabled:
            self._deliver("this run")

    def _queue(self, delta: RunDelta, summary: Summary) -> None:
        """Inside the history transaction: write this run's message(s) to the outbox."""
        if self._outbox is None:
            return
        for message in self.messages(delta, summary):
            path = self._outbox.put(message)
            log.info("e-mail: %r queued as %s", message["Subject"], path.name)

    def messages(self, delta: RunDelta, summary: Summary) -> list[EmailMessage]:
        """The report messages the send policy asks for: one per run, or one per feed."""
        from feedaudit.notify.message import build_message  # noqa: PLC0415 - the mail modules only when mail is sent

        mail = self.settings.email
        if mail.send == "never":
            return []
        parts: list[tuple[Shop, RunDelta]]
        if mail.per_feed:
            parts = [(shop_of([feed]), delta.for_source(feed.source)) for feed in summary.feeds]
        else:
            parts = [(shop_of(summary.feeds), delta)]
        return [
            build_message(shop, part, mail, started=self.started) for shop, part in parts if should_send(mail, part)
        ]

    def _deliver(self, which: str) -> None:
        if self._outbox is None or self._transport is None:
            return
        waiting = self._outbox.pending()
        if not waiting:
            return
        log.info("outbox: sending %d message(s) from %s", len(waiting), which)
        result = self._outbox.deliver(self._transport)
        if result.ok:
            return
        problem = result.problem(self._outbox.directory)
        if which == "this run":
            raise NotifyError(problem)
        log.warning("%s", problem)  # this run goes on, and tries again at its end


def should_send(mail: EmailSettings, delta: RunDelta) -> bool:
    if mail.send == "always":
        return True
    if mail.send == "never":
        return False
    return delta.changed


def shop_of(feeds: list[FeedSummary]) -> Shop:
    """Whom a message is about: the shop name(s) the feeds declare, else the feed sources."""
    from feedaudit.notify.message import Shop  # noqa: PLC0415 - the mail modules only when mail is sent

    names = list(dict.fromkeys(feed.shop_name or feed.source for feed in feeds))
    if not names:
        label = "no feeds"
    elif len(names) <= 2:
        label = ", ".join(names)
    else:
        label = f"{names[0]} and {len(names) - 1} more"
    return Shop(label, tuple(feed.source for feed in feeds), sum(feed.offers for feed in feeds))


def show_history(settings: HistorySettings, *, limit: int, output_format: str) -> str:
    """`feedaudit history`: the most recent runs as a table or JSON."""
    from feedaudit.history.show import render_runs  # noqa: PLC0415 - SQLAlchemy only when a history is used

    return render_runs(settings, limit=limit, output_format=output_format)
