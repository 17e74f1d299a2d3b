"""Real parts for the nightly tests: SMTP servers (aiosmtpd, trustme TLS), dead servers, feeds, PostgreSQL.

Every server listens on 127.0.0.1 on a free port. aiosmtpd cannot bind port 0 itself (its controller
connects to its own port to start), so a free port is picked first.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import ssl
import tempfile
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

LOGIN = "audit@shop.example"
PASSWORD = "Pa55-w0rd-not-for-logs"
PASSWORD_ENV = "FEEDAUDIT_TEST_SMTP_PASSWORD"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    login: str | None

    @property
    def message(self) -> EmailMessage:
        parsed = BytesParser(policy=policy.default).parsebytes(self.content.replace(b"\r\n", b"\n"))
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Recorder:
    """aiosmtpd handler keeping every message it accepts; `drop` closes the connection at DATA instead."""

    received: list[Received] = field(default_factory=list)
    drop: bool = False
    refuse: set[str] = field(default_factory=set)  # recipients answered with 550

    async def handle_RCPT(  # noqa: N802 - the name aiosmtpd calls
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        if self.drop:
            assert server.transport is not None
            server.transport.close()
            return "421 closing"
        auth_data: Any = session.auth_data  # aiosmtpd types it None; the authenticator sets LoginPassword
        login = auth_data.login.decode() if isinstance(auth_data, LoginPassword) else None
        content = envelope.original_content or b""
        self.received.append(Received(str(envelope.mail_from), list(envelope.rcpt_tos), content, login))
        return "250 Message accepted for delivery"


def _authenticator(server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == LOGIN.encode()
        and auth_data.password == PASSWORD.encode()
    )
    # handled=False: aiosmtpd then replies 535 itself; with the default it sends nothing and the client hangs.
    return AuthResult(success=ok, handled=False, auth_data=auth_data)


@dataclass
class MailServer:
    host: str
    port: int
    recorder: Recorder
    controller: Controller | None = None

    @property
    def received(self) -> list[Received]:
        return self.recorder.received

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@dataclass
class ServerFactory:
    ca: trustme.CA
    ca_file: Path
    started: list[MailServer] = field(default_factory=list)

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert("localhost", "127.0.0.1").configure_cert(context)
        return context

    def start(
        self, mode: str = "plain", *, port: int | None = None, auth: bool = False, drop: bool = False
    ) -> MailServer:
        """mode: plain | starttls | ssl. With auth, the server wants LOGIN / PASSWORD (over TLS)."""
        recorder = Recorder(drop=drop)
        port = port or free_port()
        kwargs: dict[str, Any] = {}
        if mode == "starttls":
            kwargs |= {"tls_context": self.server_context(), "require_starttls": True}
        elif mode == "ssl":
            kwargs |= {"ssl_context": self.server_context(), "auth_require_tls": False}
        if auth:
            kwargs["authenticator"] = _authenticator
            # SMTPS: aiosmtpd only advertises AUTH with auth_require_tls=False, and warns if AUTH is also
            # required then; the client logs in anyway, so requiring it adds nothing there.
            kwargs["auth_required"] = mode != "ssl"
        controller = Controller(recorder, hostname="127.0.0.1", port=port, **kwargs)
        controller.start()
        server = MailServer("127.0.0.1", port, recorder, controller)
        self.started.append(server)
        return server


@pytest.fixture(scope="session")
def certificate_authority(tmp_path_factory: pytest.TempPathFactory) -> tuple[trustme.CA, Path]:
    ca = trustme.CA()
    ca_file = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return ca, ca_file


@pytest.fixture
def mail_servers(certificate_authority: tuple[trustme.CA, Path]) -> Iterator[ServerFactory]:
    ca, ca_file = certificate_authority
    factory = ServerFactory(ca, ca_file)
    yield factory
    for server in factory.started:
        server.stop()


class SilentServer:
    """Accepts TCP connections on loopback; then either says nothing (timeouts) or greets and hangs up."""

    def __init__(self, *, greet_then_close: bool) -> None:
        self.greet_then_close = greet_then_close
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.listener.settimeout(0.2)
        self.port: int = self.listener.getsockname()[1]
        self._stop = threading.Event()
        self._held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if self.greet_then_close:
                conn.sendall(b"220 127.0.0.1 ESMTP ready\r\n")
                conn.settimeout(2)
                with contextlib.suppress(OSError):
                    conn.recv(1024)  # EHLO
                conn.close()
            else:
                self._held.append(conn)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        for conn in self._held:
            conn.close()
        self.listener.close()


@pytest.fixture
def silent_server() -> Iterator[SilentServer]:
    server = SilentServer(greet_then_close=False)
    yield server
    server.stop()


@pytest.fixture
def hanging_up_server() -> Iterator[SilentServer]:
    server = SilentServer(greet_then_close=True)
    yield server
    server.stop()


def write_feed(path: Path, offer_ids: list[str | None], *, shop: str = "Тестовий магазин") -> Path:
    """A Prom-style YML feed with one offer per id (None: an offer without id); repeated ids are ID002."""
    offers = []
    for number, offer_id in enumerate(offer_ids, start=1):
        attribute = "" if offer_id is None else f' id="{escape(offer_id, {chr(34): "&quot;"})}"'
        offers.append(
            f'<offer{attribute} available="true"><url>https://shop.example.ua/p/{number}</url>'
            f"<price>{100 + number}</price><currencyId>UAH</currencyId><categoryId>1</categoryId>"
            f"<name>Товар {number}</name></offer>"
        )
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<yml_catalog date="2026-11-20 10:00"><shop><name>{escape(shop)}</name><url>https://shop.example.ua</url>\n'
        '<currencies><currency id="UAH" rate="1"/></currencies>\n'
        '<categories><category id="1">Category</category></categories><offers>\n'
        + "\n".join(offers)
        + "\n</offers></shop></yml_catalog>\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A real PostgreSQL server (the pgserver wheel), reached over a Unix socket; skipped if unavailable.

    Its data directory is not under pytest's temporary root: run as root, pgserver starts PostgreSQL as
    its own system user and opens the directory's parents to it, and any pytest that starts meanwhile
    closes `/tmp/pytest-of-<user>` again (mode 0700), which stops the server from starting.
    """
    pgserver = pytest.importorskip("pgserver")
    pytest.importorskip("psycopg")
    data = Path(tempfile.mkdtemp(prefix="feedaudit-test-pg-"))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
            server = pgserver.get_server(data, cleanup_mode="stop")
        try:
            yield server.get_uri()  # postgresql://postgres:@/postgres?host=<socket dir>
        finally:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                server.cleanup()
    finally:
        shutil.rmtree(data, ignore_errors=True)
