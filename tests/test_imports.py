"""Every module of the package imports on its own, first, in a fresh set of modules.

The commands import what they use on first use, so a module may well be the first of the package a
process loads; an import cycle that only bites in that order would otherwise go unnoticed.
"""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import importlib, pkgutil, sys
import feedaudit

walk = pkgutil.walk_packages(feedaudit.__path__, "feedaudit.")
names = sorted(m.name for m in walk if not m.name.endswith(".__main__"))
failed = []
for name in names:
    for loaded in [m for m in sys.modules if m == "feedaudit" or m.startswith("feedaudit.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception as exc:
        failed.append(f"{name}: {exc!r}")
print(len(names))
print("\\n".join(failed))
"""


def test_every_module_imports_first() -> None:
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    count, *failures = result.stdout.strip().split("\n")
    assert int(count) > 50
    assert [line for line in failures if line] == []
