"""The `[email]` configuration section: the SMTP server, the addresses and when to send."""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from feedaudit.section import Section

Security = Literal["starttls", "ssl", "none"]
SendPolicy = Literal["always", "changes", "never"]

DEFAULT_PORTS: dict[str, int] = {"starttls": 587, "ssl": 465, "none": 25}


def _addresses(value: list[str]) -> list[str]:
    for address in value:
        if "@" not in address or any(c in address for c in "\r\n"):
            raise ValueError(f"{address!r} is not an e-mail address")
    return value


class EmailSettings(Section):
    """How the report of a nightly run is e-mailed. The password is never part of the configuration."""

    enabled: bool = Field(default=False, description="Send the report (also turned on by `--email`).")
    host: str = Field(default="localhost", min_length=1, description="SMTP server name or address.")
    port: int | None = Field(
        default=None, ge=1, le=65535, description="SMTP port (default: 587 starttls, 465 ssl, 25 none)."
    )
    security: Security = Field(
        default="starttls",
        description="`starttls` (upgrade a plain connection), `ssl` (TLS from the start) or `none`.",
    )
    username: str | None = Field(default=None, description="SMTP login; needs `password-env`.")
    password_env: str | None = Field(
        default=None,
        description="Name of the environment variable that holds the SMTP password.",
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
    )
    ca_file: Path | None = Field(
        default=None, description="PEM file of CA certificates to trust for the server instead of the system's."
    )
    sender: str | None = Field(default=None, alias="from", description="The From address.")
    to: list[str] = Field(default_factory=list, description="Recipients.")
    send: SendPolicy = Field(
        default="changes",
        description="`changes`: only when a finding is new or resolved; `always`: every run; `never`.",
    )
    outbox: Path = Field(
        default=Path("feedaudit-outbox"),
        description="Directory where a message waits until a server has accepted it.",
    )
    per_feed: bool = Field(default=False, description="One message per feed (per shop) instead of one per run.")
    shops: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Feed source glob (`https://shop-a.example.ua/*`) -> that shop's own addresses: with "
        "`per-feed`, the message about a matching feed also goes to them.",
    )
    worst_findings: int = Field(default=20, ge=0, description="How many findings the message body lists.")
    subject_prefix: str = Field(default="[feedaudit]", description="Text the Subject starts with.")
    timeout: float = Field(default=30.0, gt=0, description="Seconds to wait for the SMTP server.")

    @field_validator("to")
    @classmethod
    def _addresses_look_like_addresses(cls, value: list[str]) -> list[str]:
        return _addresses(value)

    @field_validator("shops")
    @classmethod
    def _shop_addresses_look_like_addresses(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        return {pattern: _addresses(addresses) for pattern, addresses in value.items()}

    @model_validator(mode="after")
    def _login_is_complete_and_safe(self) -> EmailSettings:
        if self.username is not None and self.password_env is None:
            raise ValueError("username needs password-env (the name of the variable that holds the password)")
        if self.password_env is not None and self.username is None:
            raise ValueError("password-env needs username")
        if self.username is not None and self.security == "none":
            raise ValueError('refusing to send a password unencrypted: set security to "starttls" or "ssl"')
        if self.shops and not self.per_feed:
            raise ValueError("shops needs per-feed = true (a message about every feed must not go to each shop)")
        return self

    def recipients(self, sources: Sequence[str]) -> list[str]:
        """`to`, then the addresses of every shop whose pattern matches one of `sources`, each once."""
        matched = [
            address
            for pattern, addresses in self.shops.items()
            if any(fnmatch.fnmatchcase(source, pattern) for source in sources)
            for address in addresses
        ]
        return list(dict.fromkeys([*self.to, *matched]))

    @property
    def effective_port(self) -> int:
        return self.port if self.port is not None else DEFAULT_PORTS[self.security]
