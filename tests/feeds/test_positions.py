"""Columns on minified feeds: each record's start column, in every output format that has one."""

from __future__ import annotations

import io
import json
import random
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from click.testing import CliRunner

from feedaudit.cli import main
from feedaudit.feeds.positions import StartTags

OFFERS = [
    '<offer id="1" available="true"><url>https://x.example/1</url><price>0</price><name>Чайник</name></offer>',
    '<offer id="2" available="true"><price>100</price><name>Праска &amp; підставка</name>'
    "<description><![CDATA[see <offer id=x> below]]></description></offer>",
    "<!-- <offer id='hidden'> -->",
    '<offer available="true"><price>99999</price><name>Тостер</name></offer>',
]
MINIFIED = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<yml_catalog date="2026-11-20 09:00"><shop><name>Мінімум</name>'
    "<offers>" + "".join(OFFERS) + "</offers></shop></yml_catalog>\n"
)


def _prefixed(text: str) -> str:
    return text.replace("<offer", "<y:offer").replace("</offer>", "</y:offer>")


def _columns_of_offers(text: str, pieces: list[str] = OFFERS) -> list[int]:
    """Where each offer starts on line 2, in characters, leaving out the ones in comments and CDATA."""
    line = text.split("\n")[1]
    columns, at = [], 0
    for piece in pieces:
        at = line.index(piece, at)
        if not piece.startswith("<!--"):
            columns.append(at + 1)
        at += len(piece)
    return columns


# every offer's own finding, also where no offer of the feed states warranty or delivery time
PER_OFFER = "[rules.WR001]\nper-offer = true\n[rules.DL001]\nper-offer = true\n"


def _run(feed: Path, *args: str) -> str:
    config = feed.with_name("feedaudit.toml")
    config.write_text(PER_OFFER, "utf-8")
    result = CliRunner().invoke(main, ["check", str(feed), "-q", "--config", str(config), *args])
    assert result.exit_code == 1, result.output
    return result.stdout


@pytest.fixture
def minified(tmp_path: Path) -> Path:
    path = tmp_path / "feed.xml"
    path.write_text(MINIFIED, "utf-8")
    return path


def test_each_finding_of_a_minified_feed_has_its_offers_column(minified: Path) -> None:
    findings = json.loads(_run(minified, "--output-format", "json"))["findings"]
    expected = dict(zip(["1", "2", None], _columns_of_offers(MINIFIED), strict=True))
    assert expected == {"1": 72, "2": 176, None: 357}
    assert findings
    for finding in findings:
        assert finding["line"] == 2
        assert finding["column"] == expected[finding["offer_id"]], finding


def test_the_column_reaches_every_format(minified: Path) -> None:
    concise = _run(minified).splitlines()
    assert f"{minified}:2:72: PH002 [error] price 0 is a sentinel, not a real price [offer 1]" in concise
    assert any(line.startswith(f"{minified}:2:357: ID001 ") for line in concise)

    sarif = json.loads(_run(minified, "--output-format", "sarif"))
    regions = [r["locations"][0]["physicalLocation"]["region"] for r in sarif["runs"][0]["results"]]
    assert {"startLine": 2, "startColumn": 72} in regions
    assert all("startColumn" in region for region in regions)

    github = _run(minified, "--output-format", "github").splitlines()
    assert any(",line=2,col=72," in line and "PH002" in line for line in github)

    grouped = _run(minified, "--output-format", "grouped")
    assert "    2:72 PH002 [error] price 0 is a sentinel" in grouped

    junit = ET.fromstring(_run(minified, "--output-format", "junit"))
    cases = junit.findall(".//testcase")
    assert {case.get("line") for case in cases} == {"2"}
    assert {case.get("column") for case in cases} == {"72", "176", "357"}


def test_a_pretty_printed_feed_keeps_plain_lines(fixtures_dir: Path) -> None:
    result = CliRunner().invoke(main, ["check", str(fixtures_dir / "feeds" / "prom.xml"), "--output-format", "json"])
    assert [f["column"] for f in json.loads(result.stdout)["findings"]] == [None] * len(
        json.loads(result.stdout)["findings"]
    )


def test_single_byte_feeds_count_bytes_as_characters(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_bytes(MINIFIED.replace("UTF-8", "windows-1251").encode("windows-1251"))
    findings = json.loads(_run(feed, "--output-format", "json"))["findings"]
    assert {f["column"] for f in findings} == set(_columns_of_offers(MINIFIED))


class _Chunks:
    """A stream that hands out its bytes in the sizes given (cycling), as a socket or gzip stream may."""

    def __init__(self, data: bytes, sizes: list[int]) -> None:
        self._data = io.BytesIO(data)
        self._sizes = sizes
        self._turn = 0

    def read(self, size: int = -1, /) -> bytes:
        self._turn += 1
        return self._data.read(self._sizes[self._turn % len(self._sizes)])


def _noted(data: bytes, sizes: list[int]) -> list[tuple[int, int]]:
    starts = StartTags(_Chunks(data, sizes), {"offer"})
    while starts.read(1 << 16):
        pass
    return list(starts._starts)


@pytest.mark.parametrize("seed", range(12))
def test_start_tags_are_found_whatever_the_reads_cut(seed: int) -> None:
    prefixed = _prefixed(MINIFIED)
    data = ("\ufeff" + MINIFIED + prefixed).encode("utf-8")
    whole = _noted(data, [len(data) + 1])
    second = _columns_of_offers(prefixed, [_prefixed(piece) for piece in OFFERS])
    assert whole == [(2, c) for c in _columns_of_offers(MINIFIED)] + [(4, c) for c in second]
    rng = random.Random(seed)
    assert _noted(data, [rng.randint(1, 40) for _ in range(7)]) == whole
