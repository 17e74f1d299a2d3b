"""The OpenAPI document of the service, written to schemas/openapi.json:

    python -m feedaudit.service.openapi [DIRECTORY]     (default: ./schemas)

A test fails when the committed file differs from what a running server serves.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

FILE_NAME = "openapi.json"


def render() -> str:
    from feedaudit.service.app import openapi_document  # noqa: PLC0415 - FastAPI only when asked for

    return json.dumps(openapi_document(), ensure_ascii=False, indent=2) + "\n"


def write(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / FILE_NAME
    path.write_text(render(), "utf-8")
    return path


if __name__ == "__main__":
    print(write(Path(sys.argv[1] if len(sys.argv) > 1 else "schemas")))
