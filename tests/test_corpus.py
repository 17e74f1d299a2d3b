"""Every real feed in ../shared/corpus: no traceback, the broken ones give FD findings, the real ones offers.

Runs in-process through the engine (one engine, every file), plus a few real command-line runs. Skipped
when the corpus is not beside the project.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from feedaudit.engine import Engine
from feedaudit.model import FeedInfo, Finding
from feedaudit.report import FeedSummary, Summary
from feedaudit.report.json import report_model
from tests.conftest import ROOT

pytestmark = pytest.mark.corpus

# Broken on purpose (relative to the corpus folder), and the FD rule each one must trip.
NOT_WELL_FORMED = {
    "sunlist-testxml/dev/test-yml_export.php.xml",  # a tag cut short at line 18542
    "sunlist-testxml/incorrect-feeds/stringCouldNotBeParsedAsXML.xml",  # attributes without values
    "sunlist-testxml/stage/amp-325-reg-mark.xml",  # &reg; without a DTD
    "sunlist-testxml/stage/amp-test-feed.xml",  # text before the root element
    "sunlist-testxml/stage/cdata_not_closed.xml",  # a CDATA section never closed
}
NOT_A_FEED = {
    "sunlist-testxml/dev-sitemap.xml",  # a sitemap <urlset>
    "sunlist-testxml/incorrect-feeds/invalidContentType.xml",  # an <Error> page
    "fb_feed/facebook_feed.xml",  # a plain RSS digest of a Facebook group, no g: namespace
}
NO_GOODS = {
    "sunlist-testxml/incorrect-feeds/feed-without-goods-and-categories.xml",
    "sunlist-testxml/incorrect-feeds/feedWithoutGoods.xml",
}
EXPECTED_FD = {
    **dict.fromkeys(NOT_WELL_FORMED, "FD001"),
    **dict.fromkeys(NOT_A_FEED, "FD004"),
    **dict.fromkeys(NO_GOODS, "FD005"),
}


@pytest.fixture(scope="module")
def audited(corpus_dir: Path) -> dict[str, tuple[FeedInfo, list[Finding]]]:
    corpus = corpus_dir
    engine = Engine()
    results = {}
    for path in sorted(corpus.rglob("*.xml")):
        feed = FeedInfo(source=str(path))
        findings = list(engine.audit_feed(str(path), feed))
        results[path.relative_to(corpus).as_posix()] = (feed, findings)
    return results


def test_corpus_is_there(audited: dict[str, tuple[FeedInfo, list[Finding]]]) -> None:
    assert len(audited) >= 160
    assert set(EXPECTED_FD) <= set(audited), sorted(set(EXPECTED_FD) - set(audited))


def test_broken_feeds_give_their_fd_finding(audited: dict[str, tuple[FeedInfo, list[Finding]]]) -> None:
    for name, code in EXPECTED_FD.items():
        findings = audited[name][1]
        assert code in {f.code for f in findings}, (name, [f.code for f in findings])
        for finding in findings:
            if finding.code == "FD001":
                assert finding.line is not None, (name, finding)
    assert audited["sunlist-testxml/stage/cdata_not_closed.xml"][0].offers > 0  # recovered offers are audited
    sitemap = audited["sunlist-testxml/dev-sitemap.xml"][1]
    assert any("urlset" in f.message for f in sitemap if f.code == "FD004")


def test_real_feeds_give_offers_and_no_fd_finding(audited: dict[str, tuple[FeedInfo, list[Finding]]]) -> None:
    for name, (feed, findings) in audited.items():
        if name in EXPECTED_FD:
            continue
        assert feed.offers >= 1, name
        assert feed.dialect is not None, name
        fd = [(f.code, f.line, f.message) for f in findings if f.code.startswith("FD")]
        assert fd == [], (name, fd)


def test_every_dialect_is_in_the_corpus(audited: dict[str, tuple[FeedInfo, list[Finding]]]) -> None:
    dialects = {feed.dialect.value for feed, _ in audited.values() if feed.dialect is not None}
    assert dialects == {"yml", "hotline", "google", "meta"}


def test_json_reports_validate_against_the_schema(audited: dict[str, tuple[FeedInfo, list[Finding]]]) -> None:
    schema = json.loads((ROOT / "schemas" / "report.schema.json").read_text("utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    for name, (feed, findings) in audited.items():
        summary = Summary()
        for finding in findings:
            summary.count(finding)
        summary.add_feed(FeedSummary.of(feed))
        document = json.loads(report_model(findings, summary).model_dump_json())
        errors = list(validator.iter_errors(document))
        assert not errors, (name, errors[:1])


@pytest.mark.parametrize(
    ("name", "exit_code"),
    [
        ("yandex-market-language/valid_feed.xml", None),
        ("sunlist-testxml/stage/cdata_not_closed.xml", 1),
        ("fb_feed/facebook_feed.xml", 1),
        ("dai-feeds/google_feed.xml", None),
    ],
)
def test_command_line_spot_checks(corpus_dir: Path, name: str, exit_code: int | None) -> None:
    process = subprocess.run(
        [sys.executable, "-m", "feedaudit", "check", str(corpus_dir / name), "--output-format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert process.returncode in (0, 1), process.stderr
    if exit_code is not None:
        assert process.returncode == exit_code
    assert "Traceback" not in process.stderr
    report = json.loads(process.stdout)
    assert report["feeds"][0]["source"] == str(corpus_dir / name)
