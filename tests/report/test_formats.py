"""The output formats are one list: the reporters (`feedaudit.report.REPORTERS`); the rest follows it."""

from __future__ import annotations

from typing import get_args

from feedaudit.config import OutputFormat
from feedaudit.report import REPORTERS


def test_the_configured_formats_are_the_reporters() -> None:
    # `OutputFormat` is a Literal so that mypy and the settings' own error name the formats; it must
    # list exactly the reporters, in their order
    assert get_args(OutputFormat) == tuple(REPORTERS)


def test_every_reporter_names_its_media_type_and_extension() -> None:
    for name, reporter in REPORTERS.items():
        assert reporter.name == name
        assert "/" in reporter.media_type, name
        assert reporter.extension.isalnum(), name
    assert REPORTERS["sarif"].media_type == "application/sarif+json"
    assert REPORTERS["junit"].extension == "xml"
    assert REPORTERS["concise"].media_type.startswith("text/plain")
