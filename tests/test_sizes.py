"""Byte sizes with units, wherever a size is taken: `--max-feed-bytes` and the configuration keys."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from feedaudit.cli import main
from feedaudit.config import Settings
from feedaudit.sizes import PATTERN, parse_size
from tests.conftest import ROOT


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("4096", 4096),
        ("10MB", 10_000_000),
        ("10 mb", 10_000_000),
        ("512KiB", 512 * 1024),
        ("1.5 GiB", 1536 * 1024**2),
        ("2kB", 2000),
        ("7 B", 7),
    ],
)
def test_sizes_with_units(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "MB", "10 parsecs", "-5", "10k", "1e6"])
def test_what_is_not_a_size(text: str) -> None:
    with pytest.raises(ValueError, match="is not a size"):
        parse_size(text)


@pytest.mark.parametrize("text", ["4096", "10MB", "1.5 GiB", "10k", "10 parsecs", "MB"])
def test_the_schema_pattern_accepts_what_the_parser_accepts(text: str) -> None:
    schema = json.loads((ROOT / "schemas" / "config.schema.json").read_text("utf-8"))
    valid = jsonschema.Draft202012Validator(schema).is_valid({"max-feed-bytes": text})
    try:
        parse_size(text)
    except ValueError:
        assert not valid
    else:
        assert valid
    assert valid == bool(re.match(PATTERN, text))


def test_configuration_keys_take_sizes() -> None:
    settings = Settings.model_validate(
        {"max-feed-bytes": "10MB", "listings": {"max-bytes": "1MiB"}, "parallel": {"min-bytes": "64MiB"}}
    )
    assert settings.max_feed_bytes == 10_000_000
    assert settings.listings.max_bytes == 1024**2
    assert settings.parallel.min_bytes == 64 * 1024**2


def test_max_feed_bytes_on_the_command_line(fixtures_dir: Path) -> None:
    prom = str(fixtures_dir / "feeds" / "prom.xml")
    capped = CliRunner().invoke(main, ["check", prom, "--select", "FD006", "--max-feed-bytes", "1kB"])
    assert capped.exit_code == 1
    assert "FD006" in capped.stdout
    assert "1,000-byte limit" in capped.stdout
    roomy = CliRunner().invoke(main, ["check", prom, "--select", "FD006", "--max-feed-bytes", "10MB"])
    assert (roomy.exit_code, roomy.stdout) == (0, "All checks passed: 5 offers in 1 feed.\n")
    bad = CliRunner().invoke(main, ["check", prom, "--max-feed-bytes", "10 parsecs"])
    assert bad.exit_code == 2
    assert "'10 parsecs' is not a size" in bad.stderr
