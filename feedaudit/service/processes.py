"""The local audit processes: each runs one audit at a time and talks to the runner over a pipe of its own.

A runner thread takes an idle process, sends it the job and reads the outcome itself, checking back
every so often (to renew the audit's lease) while it waits. Nothing sits in between: a process pool
executor would add a queue, a feeder thread and a result thread, and three thread hand-offs, to every
audit, which for a small feed cost about as much as recording it.

A process that ends while it runs an audit (killed, out of memory) is replaced, and the runner is told
(`ProcessEndedError`); so is one whose audit the runner gives up on (its lease was lost), since it may
still be busy with it.
"""

from __future__ import annotations

import logging
import multiprocessing
import pickle
import sys
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from feedaudit.service.work import Job, Outcome, run_job, warm_up

log = logging.getLogger("feedaudit.service")
READY = "ready"
STOP_WAIT = 2.0


class ProcessEndedError(Exception):
    """The audit's process ended before it answered."""


class ProcessesClosedError(Exception):
    """The processes were closed (the service is stopping) while the audit ran."""


def _context() -> Any:
    if sys.platform == "win32":
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["feedaudit.service.work"])
    return context


def serve(connection: Connection) -> None:
    """An audit process: load the rules, say so, then run each job received until the pipe closes."""
    warm_up()
    connection.send(READY)
    while True:
        try:
            job = connection.recv()
        except (EOFError, OSError):
            return
        try:
            answer: tuple[str, Any] = ("ok", run_job(job))
        except Exception as exc:  # the runner raises it again, as a process pool would
            answer = ("error", exc)
        try:
            connection.send(answer)
        except (pickle.PicklingError, TypeError, AttributeError):
            failed = answer[1]
            connection.send(("error", RuntimeError(f"{failed.__class__.__name__}: {failed}")))


class _Process:
    def __init__(self, context: Any) -> None:
        ours, theirs = context.Pipe()
        self.process = context.Process(target=serve, args=(theirs,), name="feedaudit-audit", daemon=True)
        self.process.start()
        theirs.close()  # so that our end reads EOF once the process ends
        self.connection: Connection = ours
        self.ready = False

    def wait_ready(self) -> None:
        if not self.ready:
            if self.connection.recv() != READY:  # pragma: no cover - the protocol's first message
                raise ProcessEndedError
            self.ready = True

    def end(self) -> None:
        self.connection.close()
        self.process.join(STOP_WAIT)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(STOP_WAIT)


class AuditProcesses:
    """`count` audit processes, started (and warmed up: rules loaded) before this returns."""

    def __init__(self, count: int) -> None:
        self._context = _context()
        self._changed = threading.Condition()
        self._closed = False
        self._idle: list[_Process] = [_Process(self._context) for _ in range(max(1, count))]
        self._busy: set[_Process] = set()
        for process in self._idle:
            process.wait_ready()

    def run(self, job: Job, *, every: float, still_wanted: Callable[[], bool]) -> Outcome | None:
        """The job's outcome, from an idle process (waiting for one); `still_wanted()` is asked every
        `every` seconds while it runs, and when it says no the audit is given up (None)."""
        process = self._take()
        answered = False
        try:
            try:
                process.wait_ready()
                process.connection.send(job)
                while not process.connection.poll(every):
                    if not still_wanted():
                        return None
                status, value = process.connection.recv()
            except (EOFError, OSError) as exc:
                if self._closed:
                    raise ProcessesClosedError from exc
                raise ProcessEndedError from exc
            answered = True
        finally:
            self._give_back(process, answered)
        if status == "error":
            raise value
        outcome: Outcome = value
        return outcome

    def close(self) -> None:
        """End every process; audits still running get ProcessesClosedError."""
        with self._changed:
            self._closed = True
            idle, busy = list(self._idle), list(self._busy)
            self._idle.clear()
            self._changed.notify_all()
        for process in idle:
            process.end()
        for process in busy:  # its runner thread reads the end of the pipe, and ends it (`_give_back`)
            process.process.terminate()

    def _take(self) -> _Process:
        with self._changed:
            while not self._idle:
                if self._closed:
                    raise ProcessesClosedError
                self._changed.wait()
            process = self._idle.pop()
            self._busy.add(process)
            return process

    def _give_back(self, process: _Process, answered: bool) -> None:
        if not answered:  # ended, or still busy with an audit given up: replaced by a fresh one
            if process.process.is_alive():
                process.process.kill()
            process.end()
        with self._changed:
            self._busy.discard(process)
            if self._closed:
                return
            if not answered:
                try:
                    process = _Process(self._context)
                except OSError:
                    log.exception("feedaudit serve: cannot start an audit process")
                    return
            self._idle.append(process)
            self._changed.notify()
