"""The `[listings]` configuration section: whether and how politely live product pages are fetched."""

from __future__ import annotations

import re
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path

from pydantic import Field, ValidationError, field_validator

from feedaudit.errors import ConfigError
from feedaudit.section import Section, describe_validation_error
from feedaudit.sizes import ByteCount

_PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")


class ListingsSettings(Section):
    """How `feedaudit check --listings` and `feedaudit listing` crawl product pages."""

    enabled: bool = Field(default=False, description="Fetch the page each offer links to (`--listings`).")
    sample: int | str | None = Field(
        default=None,
        description="Fetch only a sample of the pages: a count (`200`) or a share (`'5%'`); default: all.",
    )
    seed: int = Field(default=0, description="Seed of the sample: the same seed picks the same pages.")
    per_host: int = Field(default=2, ge=1, le=64, description="Requests in flight to one host at most.")
    rate: float = Field(default=1.0, gt=0, description="Requests per second to one host at most.")
    concurrency: int = Field(default=16, ge=1, le=512, description="Requests in flight in all at most.")
    timeout: float = Field(default=20.0, gt=0, description="Seconds for each phase of a request.")
    deadline: float = Field(
        default=30.0,
        gt=0,
        description="Seconds a page may spend on the network in all (every redirect hop and retry; robots.txt "
        "has its own), however the server trickles its bytes.",
    )
    max_bytes: ByteCount = Field(default=5 * 1024**2, description="Cap on a page's (decoded) size (bytes, or '5MiB').")
    max_redirects: int = Field(default=5, ge=0, le=30, description="Redirects followed per page.")
    retries: int = Field(default=2, ge=0, le=10, description="Retries on 408, 425, 429, 5xx and dropped connections.")
    backoff: float = Field(default=0.5, ge=0, description="First retry delay in seconds (doubles; Retry-After wins).")
    max_retry_after: float = Field(
        default=30.0, ge=0, description="Longest Retry-After honoured; a longer one ends the retries."
    )
    contact: str | None = Field(
        default=None, description="URL or e-mail added to the user agent, so site owners can reach you."
    )
    http2: bool = Field(default=True, description="Use HTTP/2 where the server offers it (needs `h2`).")
    cache_dir: Path | None = Field(
        default=None, description="Directory of the page cache (ETag / Last-Modified revalidation); off if unset."
    )
    allow_private: bool | list[str] = Field(
        default=False,
        description="Connect to non-public addresses (pages, robots.txt and feed URLs alike): `true` for all "
        "but link-local (cloud metadata), or a list of networks, link-local ones included when listed.",
    )

    @field_validator("sample")
    @classmethod
    def _check_sample(cls, value: int | str | None) -> int | str | None:
        parse_sample(value)
        return value

    @field_validator("allow_private")
    @classmethod
    def _check_networks(cls, value: bool | list[str]) -> bool | list[str]:
        if isinstance(value, list):
            for network in value:
                try:
                    ip_network(network, strict=False)
                except ValueError as exc:
                    raise ValueError(f"{network!r} is not an IP address or network") from exc
        return value

    def with_changes(self, **changes: object) -> ListingsSettings:
        """A validated copy with the given (non-None) values replaced (command-line overrides)."""
        updates = {key: value for key, value in changes.items() if value is not None}
        if not updates:
            return self
        try:
            return ListingsSettings.model_validate(self.model_dump(by_alias=False) | updates)
        except ValidationError as exc:
            raise ConfigError(f"command line: {describe_validation_error(exc)}") from exc

    def private_networks(self) -> bool | list[IPv4Network | IPv6Network]:
        if isinstance(self.allow_private, bool):
            return self.allow_private
        return [ip_network(network, strict=False) for network in self.allow_private]


def parse_sample(value: int | str | None) -> tuple[int | None, float | None]:
    """`200` → (200, None); `'5%'` → (None, 0.05); None → (None, None). Bad values raise ValueError."""
    if value is None:
        return None, None
    if isinstance(value, int):
        if value < 1:
            raise ValueError("a sample count must be at least 1")
        return value, None
    match = _PERCENT.match(value)
    if match:
        share = float(match.group(1)) / 100
        if not 0 < share <= 1:
            raise ValueError("a sample share must be above 0% and at most 100%")
        return None, share
    if value.strip().isdigit():
        return parse_sample(int(value))
    raise ValueError(f"sample {value!r} is neither a count (200) nor a share (5%)")
