"""Output formats. Each format is one module; `REPORTERS` maps the `--output-format` name to its class.

A format's module is imported the first time its class is asked for, so a run that prints one format
does not load the others (the JUnit writer alone pulls in `xml.etree`).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping

from feedaudit.report.base import FeedSummary, Reporter, Summary

# --output-format name -> (module, class); the class's own `name` is the key (a test checks it).
_LOCATIONS = {
    "concise": ("feedaudit.report.text", "ConciseReporter"),
    "grouped": ("feedaudit.report.text", "GroupedReporter"),
    "json": ("feedaudit.report.json", "JsonReporter"),
    "jsonl": ("feedaudit.report.json", "JsonLinesReporter"),
    "csv": ("feedaudit.report.csv", "CsvReporter"),
    "sarif": ("feedaudit.report.sarif", "SarifReporter"),
    "junit": ("feedaudit.report.junit", "JunitReporter"),
    "github": ("feedaudit.report.github", "GithubReporter"),
    "html": ("feedaudit.report.html", "HtmlReporter"),
}


class _Reporters(Mapping[str, type[Reporter]]):
    """The reporter classes by format name, each imported when first looked up."""

    def __getitem__(self, name: str) -> type[Reporter]:
        module, attribute = _LOCATIONS[name]
        cls: type[Reporter] = getattr(importlib.import_module(module), attribute)
        return cls

    def __iter__(self) -> Iterator[str]:
        return iter(_LOCATIONS)

    def __len__(self) -> int:
        return len(_LOCATIONS)


REPORTERS: Mapping[str, type[Reporter]] = _Reporters()

__all__ = ["REPORTERS", "FeedSummary", "Reporter", "Summary"]
