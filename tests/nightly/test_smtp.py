"""SMTP delivery against real servers on loopback: plain, STARTTLS, SMTPS, logins, and every way it fails."""

from __future__ import annotations

import ssl
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from feedaudit.errors import ConfigError
from feedaudit.notify.email import DeliveryError, SmtpTransport
from feedaudit.notify.settings import EmailSettings
from tests.nightly.conftest import LOGIN, PASSWORD, PASSWORD_ENV, ServerFactory, SilentServer, free_port


def settings(port: int, **changes: Any) -> EmailSettings:
    values: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "from": "audit@shop.example",
        "to": ["owner@shop.example", "Ops <ops@shop.example>"],
        "timeout": 5,
    }
    return EmailSettings.model_validate(values | changes)


def note(subject: str = "hello") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "audit@shop.example"
    message["To"] = "owner@shop.example, Ops <ops@shop.example>"
    message["Subject"] = subject
    message.set_content("Привіт, світ\n")
    return message


def send(config: EmailSettings, message: EmailMessage, password: str | None = None) -> None:
    with SmtpTransport(config, password) as transport:
        transport.send(message)


def test_plain_delivery_reaches_every_recipient(mail_servers: ServerFactory) -> None:
    server = mail_servers.start("plain")
    send(settings(server.port), note("plain"))
    [received] = server.received
    assert received.mail_from == "audit@shop.example"
    assert received.rcpt_tos == ["owner@shop.example", "ops@shop.example"]
    assert received.message["Subject"] == "plain"
    body = received.message.get_body(("plain",))
    assert body is not None
    assert body.get_content() == "Привіт, світ\n"


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_tls_with_login(mail_servers: ServerFactory, security: str) -> None:
    server = mail_servers.start(security, auth=True)
    login = {"password-env": PASSWORD_ENV, "ca-file": mail_servers.ca_file}
    config = settings(server.port, security=security, username=LOGIN, **login)
    transport = SmtpTransport.from_settings(config, {PASSWORD_ENV: PASSWORD})
    with transport:
        # aiosmtpd leaves session.ssl unset for implicit TLS, so TLS is checked on the client side.
        assert transport._smtp is not None
        assert isinstance(transport._smtp.sock, ssl.SSLSocket)
        transport.send(note(f"over {security}"))
    [received] = server.received
    assert received.login == LOGIN
    assert received.message["Subject"] == f"over {security}"


def test_wrong_password_is_an_authentication_failure(mail_servers: ServerFactory) -> None:
    server = mail_servers.start("starttls", auth=True)
    config = settings(server.port, security="starttls", username=LOGIN, **{"password-env": PASSWORD_ENV})
    config = config.model_copy(update={"ca_file": mail_servers.ca_file})
    transport = SmtpTransport.from_settings(config, {PASSWORD_ENV: "wrong"})
    with pytest.raises(DeliveryError, match=r"authentication failed \(535") as failure:
        transport.open()
    assert failure.value.fatal
    assert "wrong" not in str(failure.value)
    assert server.received == []


def test_untrusted_certificate_is_refused(mail_servers: ServerFactory) -> None:
    """Without the test CA the server's certificate must not be accepted (smtplib's default would)."""
    server = mail_servers.start("starttls")
    with pytest.raises(DeliveryError, match="TLS certificate not trusted"):
        send(settings(server.port, security="starttls"), note())
    assert server.received == []


def test_starttls_asked_of_a_server_without_it(mail_servers: ServerFactory) -> None:
    server = mail_servers.start("plain")
    with pytest.raises(DeliveryError, match="STARTTLS"):
        send(settings(server.port, security="starttls", **{"ca-file": mail_servers.ca_file}), note())


def test_connection_refused() -> None:
    port = free_port()
    with pytest.raises(DeliveryError, match=rf"SMTP 127\.0\.0\.1:{port} \(none\): connection refused"):
        send(settings(port), note())


def test_server_that_never_answers_times_out(silent_server: SilentServer) -> None:
    with pytest.raises(DeliveryError, match=r"timed out after 0\.3 s"):
        send(settings(silent_server.port, timeout=0.3), note())


def test_server_that_hangs_up_after_greeting(hanging_up_server: SilentServer) -> None:
    with pytest.raises(DeliveryError, match="the server closed the connection") as failure:
        send(settings(hanging_up_server.port), note())
    assert failure.value.fatal


def test_server_that_drops_the_connection_during_data(mail_servers: ServerFactory) -> None:
    server = mail_servers.start("plain", drop=True)
    with pytest.raises(DeliveryError, match=r"closed the connection|connection lost") as failure:
        send(settings(server.port), note())
    assert failure.value.fatal


def test_missing_password_variable_is_a_configuration_error() -> None:
    config = settings(25, security="starttls", username=LOGIN, **{"password-env": PASSWORD_ENV})
    with pytest.raises(ConfigError, match=f"{PASSWORD_ENV} is not set"):
        SmtpTransport.from_settings(config, {})


def test_password_is_not_in_the_transport_repr() -> None:
    config = settings(25, security="ssl", username=LOGIN, **{"password-env": PASSWORD_ENV})
    transport = SmtpTransport.from_settings(config, {PASSWORD_ENV: PASSWORD})
    assert PASSWORD not in repr(transport)
    assert PASSWORD not in repr(config)


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"username": LOGIN}, "username needs password-env"),
        ({"password-env": PASSWORD_ENV}, "password-env needs username"),
        ({"username": LOGIN, "password-env": PASSWORD_ENV, "security": "none"}, "unencrypted"),
        ({"security": "tls"}, "starttls"),
        ({"to": ["not-an-address"]}, "not an e-mail address"),
        ({"password": "x"}, "Extra inputs"),
    ],
)
def test_settings_reject_unsafe_or_incomplete_logins(changes: dict[str, Any], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        EmailSettings.model_validate({"from": "a@b.example", "to": ["c@d.example"]} | changes)


def test_default_ports_follow_security() -> None:
    ports = {s: EmailSettings.model_validate({"security": s}).effective_port for s in ("starttls", "ssl", "none")}
    assert ports == {"starttls": 587, "ssl": 465, "none": 25}


def test_unreadable_ca_file_is_a_configuration_error(tmp_path: Path) -> None:
    config = settings(25, security="ssl", **{"ca-file": tmp_path / "missing.pem"})
    with pytest.raises(ConfigError, match=r"email\.ca-file"):
        SmtpTransport(config).tls_context()
