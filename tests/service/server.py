"""A real `feedaudit serve` in a subprocess on a free loopback port, and helpers to drive it."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from click.testing import CliRunner

from feedaudit.cli import main

START_TRIES = 300  # x 0.1 s: how long a server may take to answer its first request
DONE_TRIES = 600


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def make_token(data_dir: Path, shop: str, *options: str) -> str:
    result = CliRunner().invoke(
        main, ["serve", "token", "create", "--shop", shop, "--data-dir", str(data_dir), *options]
    )
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


@dataclass
class Server:
    data_dir: Path
    port: int
    options: list[str] = field(default_factory=list)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> str:
        path = self.data_dir / "server.log"
        return path.read_text("utf-8", "replace") if path.exists() else ""

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "feedaudit", "serve", "--port", str(self.port)]
        command += ["--data-dir", str(self.data_dir), *self.options]
        with (self.data_dir / "server.log").open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=log, start_new_session=True)
        for _ in range(START_TRIES):
            if self.process.poll() is not None:
                raise AssertionError(f"the server exited with {self.process.returncode}:\n{self.log}")
            try:
                if httpx.get(f"{self.base}/api/v1/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"the server did not start:\n{self.log}")

    def kill(self) -> None:
        """SIGKILL the server process alone (its audit workers are orphaned, as after a crash)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        """End the server and everything it started (its session)."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.base, headers=headers, timeout=30)


@contextmanager
def running(data_dir: Path, *options: str) -> Iterator[Server]:
    server = Server(data_dir, free_port(), list(options))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def wait_done(client: httpx.Client, audit_id: str) -> dict[str, Any]:
    """Poll the audit's status until it has finished; its last status."""
    for _ in range(DONE_TRIES):
        status = client.get(f"/api/v1/audits/{audit_id}", params={"wait": 5})
        assert status.status_code == 200, status.text
        body: dict[str, Any] = status.json()
        if body["status"] in ("done", "failed"):
            return body
    raise AssertionError(f"audit {audit_id} did not finish")
