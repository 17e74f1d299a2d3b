"""What a running service is told: where its state lives, its limits, and what it may fetch."""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import ip_network
from pathlib import Path

from feedaudit.config import Settings
from feedaudit.errors import ConfigError
from feedaudit.listings.guard import Network
from feedaudit.service import DEFAULT_DATA_DIR

DATABASE_FILE = "service.sqlite"


@dataclass(frozen=True, slots=True)
class ServiceSettings:
    """The service's own settings; `audit` is the base configuration every audit starts from."""

    data_dir: Path = DEFAULT_DATA_DIR
    database: str | None = None  # SQLAlchemy URL; default: a SQLite file in `data_dir`
    workers: int = 1  # audit processes (ignored with `scheduler`)
    scheduler: str | None = None  # Dask scheduler address: audits run on that cluster
    max_upload_bytes: int = 100 * 1024**2
    queue_limit: int = 1000  # queued audits over all shops before submissions answer 503
    lease_seconds: float = 30.0  # a running audit whose lease is not renewed for this long is queued again
    allow_private: bool | tuple[Network, ...] = False  # addresses feed and webhook URLs may have
    inventories: dict[str, str] = field(default_factory=dict)  # name -> inventory source, set by the operator
    audit: Settings = field(default_factory=Settings)

    @property
    def database_url(self) -> str:
        if self.database is None:
            return "sqlite:///" + str((self.data_dir / DATABASE_FILE).resolve())
        if "://" not in self.database:
            return "sqlite:///" + str(Path(self.database).expanduser().resolve())
        return self.database

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"


def parse_allow_private(values: tuple[str, ...] | list[str]) -> bool | tuple[Network, ...]:
    """`--allow-private all` lets every address through; networks (127.0.0.0/8) let those through."""
    if not values:
        return False
    if any(value.strip().lower() == "all" for value in values):
        return True
    try:
        return tuple(ip_network(value.strip(), strict=False) for value in values)
    except ValueError as exc:
        raise ConfigError(f"--allow-private: {exc}") from exc


def parse_inventories(values: tuple[str, ...] | list[str]) -> dict[str, str]:
    """`--inventory main=stock.csv` (repeatable): inventories that submissions may name."""
    result: dict[str, str] = {}
    for value in values:
        name, sep, source = value.partition("=")
        if not sep or not name.strip() or not source.strip():
            raise ConfigError(f"--inventory {value!r}: expected NAME=SOURCE")
        result[name.strip()] = source.strip()
    return result
