"""README.md's `feedaudit serve` example works as printed (on a free port it finds itself) and prints
what the README shows."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.test_readme import _block


def test_readme_serve_example_prints_the_shown_report(tmp_path: Path) -> None:
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    (tmp_path / "fixtures").symlink_to(ROOT / "fixtures")
    script = _block("serve-command") + "wait\n"
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(
        ["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.stdout == _block("serve-output"), result.stderr
    assert (tmp_path / "token.txt").read_text().startswith("fa_")
