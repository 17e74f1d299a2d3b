"""Configuration: the pydantic model, where it is read from, and how the command line overrides it.

Settings come from, highest first: command-line options, then `--config FILE` or the first of
`feedaudit.toml` / `pyproject.toml` `[tool.feedaudit]` found in the working directory, then defaults.
Keys are kebab-case in files (`extend-select`) and snake_case in Python. Unknown keys are an error.
A discovered file's `[history]` and `[email]` apply only to a run that asks for them with `--history`
or `--email` (see `feedaudit.nightly.configure`); a file named with `--config` applies in full.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator

from feedaudit.errors import ConfigError
from feedaudit.feeds.limits import ReadLimits
from feedaudit.history.settings import HistorySettings
from feedaudit.inventory.settings import InventorySettings
from feedaudit.listings.settings import ListingsSettings
from feedaudit.model import Severity
from feedaudit.notify.settings import EmailSettings
from feedaudit.parallel.settings import ParallelSettings
from feedaudit.section import Section, describe_validation_error
from feedaudit.sizes import ByteCount

OutputFormat = Literal["concise", "grouped", "json", "jsonl", "csv", "sarif", "junit", "github", "html"]
CONFIG_FILE = "feedaudit.toml"


class Settings(Section):
    """Everything a run of `feedaudit check` can be told."""

    select: list[str] | None = Field(default=None, description="Rule selectors to enable (default: ALL).")
    extend_select: list[str] = Field(default_factory=list, description="Selectors added to `select`.")
    ignore: list[str] = Field(default_factory=list, description="Selectors to disable.")
    fail_on: Severity = Field(default=Severity.WARNING, description="Lowest severity that makes the exit code 1.")
    profile: str | None = Field(
        default=None, description="Marketplace profile; default: chosen from the feed's dialect."
    )
    output_format: OutputFormat = "concise"
    per_offer_ignores: dict[str, list[str]] = Field(
        default_factory=dict, description="Offer-id glob -> selectors ignored for matching offers."
    )
    rules: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Per-rule options and `severity`, keyed by rule code."
    )
    max_feed_bytes: ByteCount = Field(
        default=8 * 1024**3, description="Cap on a feed's decompressed size: bytes, or a size such as '10MB' or '2GiB'."
    )
    timeout: float = Field(default=30.0, gt=0, description="Network timeout in seconds for feed URLs.")
    feed_deadline: float = Field(
        default=45.0,
        gt=0,
        description="Seconds a feed download may wait on the network in all, plus one for each 64 KiB received "
        "(a stalled or trickling server is cut off; a large feed that keeps arriving is not).",
    )
    feeds_per_host: int = Field(
        default=2, ge=1, description="With several feeds in parallel: at most this many fetched from one host at once."
    )
    limits: ReadLimits = Field(
        default_factory=ReadLimits, description="How much one feed may make the reader hold (FD006 beyond)."
    )
    baseline: str | None = Field(
        default=None, description="Baseline file: findings whose fingerprint it lists are left out."
    )
    docs_url: str | None = Field(
        default=None,
        description=(
            "Where docs/rules.md is published (an http(s) URL): reports then link each rule to its section. "
            "Unset (the default), reports carry no links; `feedaudit rules CODE` prints a rule's documentation."
        ),
    )
    inventory: InventorySettings = Field(
        default_factory=InventorySettings, description="The shop's inventory to compare offers with."
    )
    history: HistorySettings = Field(default_factory=HistorySettings, description="The findings history.")
    email: EmailSettings = Field(default_factory=EmailSettings, description="E-mail reports of nightly runs.")
    listings: ListingsSettings = Field(
        default_factory=ListingsSettings, description="Fetching the live product pages offers link to."
    )
    parallel: ParallelSettings = Field(
        default_factory=ParallelSettings, description="When one large local feed is audited on several cores."
    )

    @field_validator("docs_url")
    @classmethod
    def _check_docs_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+\S*$", value):
            raise ValueError(f"{value!r} is not an http(s) URL (where docs/rules.md is published)")
        return value


def load_settings(path: Path | None = None, cwd: Path | None = None) -> tuple[Settings, Path | None]:
    """Read settings from `path`, or discover them in `cwd`; return them and the file they came from."""
    cwd = cwd or Path.cwd()
    if path is not None:
        return settings_from_file(path), path
    candidate = cwd / CONFIG_FILE
    if candidate.is_file():
        return settings_from_file(candidate), candidate
    pyproject = cwd / "pyproject.toml"
    if pyproject.is_file():
        data = _read_toml(pyproject)
        tool = data.get("tool", {})
        if isinstance(tool, dict) and "feedaudit" in tool:
            return settings_from_mapping(tool["feedaudit"], pyproject), pyproject
    return Settings(), None


def settings_from_file(path: Path) -> Settings:
    data = _read_toml(path)
    if path.name == "pyproject.toml":
        tool = data.get("tool", {})
        data = tool.get("feedaudit", {}) if isinstance(tool, dict) else {}
    return settings_from_mapping(data, path)


def settings_from_mapping(data: Mapping[str, Any], origin: Path | str = "settings") -> Settings:
    try:
        return Settings.model_validate(dict(data))
    except ValidationError as exc:
        raise ConfigError(f"{origin}: {describe_validation_error(exc)}") from exc


def override(settings: Settings, **changes: Any) -> Settings:
    """A copy of `settings` with the given (non-None) fields replaced, validated again."""
    updates = {key: value for key, value in changes.items() if value is not None}
    if not updates:
        return settings
    merged = settings.model_dump(by_alias=False) | updates
    try:
        return Settings.model_validate(merged)
    except ValidationError as exc:
        raise ConfigError(f"command line: {describe_validation_error(exc)}") from exc


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"cannot read configuration {path}: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
