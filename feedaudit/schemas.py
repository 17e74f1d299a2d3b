"""JSON Schemas of what feedaudit reads and writes, generated from the pydantic models.

    python -m feedaudit.schemas [DIRECTORY]     (default: ./schemas; --help for the options)

writes `report.schema.json` (the `--output-format json` document, `feedaudit.report.json.Report`) and
`config.schema.json` (feedaudit.toml / `[tool.feedaudit]`, `feedaudit.config.Settings`). A test fails
when the files in the repository differ from what this module renders.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from feedaudit.config import Settings
from feedaudit.report.json import Report

DRAFT = "https://json-schema.org/draft/2020-12/schema"


def report_schema() -> dict[str, Any]:
    schema = Report.model_json_schema(mode="serialization")
    return {"$schema": DRAFT, "title": "feedaudit report", **{k: v for k, v in schema.items() if k != "title"}}


def config_schema() -> dict[str, Any]:
    schema = Settings.model_json_schema(mode="validation", by_alias=True)
    return {"$schema": DRAFT, "title": "feedaudit configuration", **{k: v for k, v in schema.items() if k != "title"}}


def render() -> dict[str, str]:
    """File name -> file text of every schema."""
    return {
        name: json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=False) + "\n"
        for name, schema in (("report.schema.json", report_schema()), ("config.schema.json", config_schema()))
    }


def write(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render().items():
        path = directory / name
        path.write_text(text, "utf-8")
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m feedaudit.schemas",
        description="Write the JSON Schemas of the report and of the configuration file.",
    )
    parser.add_argument(
        "directory", nargs="?", default="schemas", type=Path, help="where to write them (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    directory: Path = args.directory
    for written_path in write(directory):
        print(written_path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
