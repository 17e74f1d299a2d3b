"""SMTP delivery: `starttls`, `ssl` or `none`, a login whose password comes from an environment variable.

Certificates are always verified (`ssl.create_default_context()`, or the `ca-file` given): the
standard library's own default for `starttls()` and `SMTP_SSL()` does not verify them. Every socket
operation has a timeout. The password is read from the environment when the transport is made and is
never logged, printed or stored with a message.

A failure becomes a `DeliveryError` whose message is one line that says what went wrong (refused,
timed out, TLS, authentication, recipient refused, connection dropped); `fatal` tells whether the
connection is gone (so the remaining messages need not be tried) or only this message was refused.
"""

from __future__ import annotations

import os
import smtplib
import socket
import ssl
from collections.abc import Mapping
from email.message import EmailMessage

from feedaudit.errors import ConfigError, NotifyError
from feedaudit.notify.settings import EmailSettings


class DeliveryError(NotifyError):
    """A message could not be handed to the SMTP server."""

    def __init__(self, message: str, *, fatal: bool) -> None:
        super().__init__(message)
        self.fatal = fatal


class SmtpTransport:
    """Sends messages through one SMTP server as `[email]` describes it."""

    def __init__(self, settings: EmailSettings, password: str | None = None) -> None:
        self.settings = settings
        self._password = password
        self._smtp: smtplib.SMTP | None = None

    @classmethod
    def from_settings(cls, settings: EmailSettings, environ: Mapping[str, str] | None = None) -> SmtpTransport:
        """A transport with the password taken from the variable `password-env` names."""
        environ = os.environ if environ is None else environ
        password = None
        if settings.password_env is not None:
            password = environ.get(settings.password_env)
            if not password:
                raise ConfigError(
                    f"email.password-env: the environment variable {settings.password_env} is not set "
                    "(it must hold the SMTP password)"
                )
        return cls(settings, password)

    @property
    def address(self) -> str:
        return f"SMTP {self.settings.host}:{self.settings.effective_port} ({self.settings.security})"

    def __repr__(self) -> str:
        return f"SmtpTransport({self.address})"

    def tls_context(self) -> ssl.SSLContext:
        ca_file = self.settings.ca_file
        try:
            return ssl.create_default_context(cafile=str(ca_file) if ca_file is not None else None)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(f"email.ca-file: cannot load {ca_file}: {exc}") from exc

    # -- one connection ---------------------------------------------------------------------------

    def __enter__(self) -> SmtpTransport:
        self.open()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def open(self) -> None:
        """Connect, secure the connection and log in."""
        settings = self.settings
        context = self.tls_context() if settings.security != "none" else None
        local_name = socket.gethostname() or "localhost"  # no DNS look-up, unlike smtplib's getfqdn()
        try:
            if settings.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    settings.host,
                    settings.effective_port,
                    local_hostname=local_name,
                    timeout=settings.timeout,
                    context=context,
                )
            else:
                smtp = smtplib.SMTP(
                    settings.host, settings.effective_port, local_hostname=local_name, timeout=settings.timeout
                )
            self._smtp = smtp
            if settings.security == "starttls":
                smtp.starttls(context=context)
            if settings.username is not None:
                smtp.login(settings.username, self._password or "")
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise DeliveryError(f"{self.address}: {describe(exc, settings.timeout)}", fatal=True) from exc

    def send(self, message: EmailMessage) -> None:
        """Hand one message to the server (envelope from its From / To / Cc / Bcc headers)."""
        if self._smtp is None:
            raise DeliveryError(f"{self.address}: not connected", fatal=True)
        try:
            self._smtp.send_message(message)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            raise DeliveryError(f"{self.address}: {describe(exc, self.settings.timeout)}", fatal=False) from exc
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise DeliveryError(f"{self.address}: {describe(exc, self.settings.timeout)}", fatal=True) from exc
        except ValueError as exc:  # no recipients, no sender
            raise DeliveryError(f"{self.address}: {exc}", fatal=False) from exc

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()


def describe(exc: BaseException, timeout: float) -> str:
    """One line saying why SMTP failed, in words an operator can act on."""
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"authentication failed ({exc.smtp_code} {_reply(exc.smtp_error)})"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refused = ", ".join(f"{rcpt} ({code} {_reply(reply)})" for rcpt, (code, reply) in exc.recipients.items())
        return f"every recipient was refused: {refused}"
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return f"sender {exc.sender} was refused ({exc.smtp_code} {_reply(exc.smtp_error)})"
    if isinstance(exc, smtplib.SMTPDataError):
        return f"the message was refused ({exc.smtp_code} {_reply(exc.smtp_error)})"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        if isinstance(exc.__context__, TimeoutError):  # smtplib reports a read timeout as a disconnection
            return f"timed out after {timeout:g} s waiting for the server"
        return f"the server closed the connection ({exc or 'no reason given'})"
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return f"the server does not support what was asked: {exc}"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"unexpected reply {exc.smtp_code} {_reply(exc.smtp_error)}"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate not trusted: {exc.verify_message or exc.reason}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed: {exc.reason or exc}"
    if isinstance(exc, TimeoutError):
        return f"timed out after {timeout:g} s"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionError):
        return f"connection lost: {exc.strerror or exc.__class__.__name__}"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve the host name: {exc.strerror}"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc) or exc.__class__.__name__
    first = str(exc).splitlines()[0] if str(exc) else ""
    return f"{exc.__class__.__name__}: {first}"


def _reply(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return " ".join(text.split())
