"""Caps checked while the feed streams in: each one exceeded is one FD006 finding with its line, the
offers before it are audited, and memory never holds the whole hostile part. The cases are kept small
by setting small caps; each spans several of the blocks the parser reads (32 KiB)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from feedaudit.cli import main
from feedaudit.feeds import ReadLimits
from feedaudit.model import FeedIssueKind
from tests.hostile.conftest import read, yml

GOOD = '<offer id="1"><name>Good</name><price>10</price></offer>'


def hostile_offer(kind: str) -> str:
    if kind == "offer-elements":
        return '<offer id="2"><price>1</price>' + '<param name="a">1</param>' * 5_000 + "</offer>"
    if kind == "attributes":
        return '<offer id="2"><x ' + " ".join(f'a{i}=""' for i in range(10_000)) + "/></offer>"
    if kind == "field-bytes":
        return '<offer id="2"><description>' + "слово " * 20_000 + "</description></offer>"
    raise AssertionError(kind)


@pytest.mark.parametrize(
    ("kind", "limits", "setting"),
    [
        ("offer-elements", ReadLimits(max_offer_elements=1_000), "max-offer-elements"),
        ("attributes", ReadLimits(max_attributes=100), "max-attributes"),
        ("field-bytes", ReadLimits(max_field_bytes=50_000), "max-field-bytes"),
    ],
)
def test_an_offer_over_a_cap_is_a_finding_and_the_offers_before_it_are_read(
    tmp_path: Path, kind: str, limits: ReadLimits, setting: str
) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(yml(GOOD + "\n" + hostile_offer(kind)))
    got = read(path, limits)
    assert [o.offer_id for o in got.offers] == ["1"]
    assert [(i.kind, i.line) for i in got.issues] == [(FeedIssueKind.SIZE_LIMIT, 4)]
    assert setting in got.issues[0].message


def test_a_container_with_too_many_children_is_a_finding(tmp_path: Path) -> None:
    categories = "".join(f'<category id="{i}">c</category>' for i in range(5_000))
    path = tmp_path / "feed.xml"
    path.write_text(
        f"<yml_catalog><shop><name>S</name>\n<categories>{categories}</categories><offers>{GOOD}</offers>"
        "</shop></yml_catalog>",
        encoding="utf-8",
    )
    got = read(path, ReadLimits(max_children=1_000))
    assert [(i.kind, i.line) for i in got.issues] == [(FeedIssueKind.SIZE_LIMIT, 2)]
    assert "<categories>" in got.issues[0].message
    assert "max-children" in got.issues[0].message


def test_the_offers_of_a_feed_are_capped(tmp_path: Path) -> None:
    offers = "\n".join(f'<offer id="{i}"><price>1</price></offer>' for i in range(20))
    path = tmp_path / "feed.xml"
    path.write_bytes(yml(offers))
    got = read(path, ReadLimits(max_offers=10))
    assert [o.offer_id for o in got.offers] == [str(i) for i in range(10)]
    assert [(i.kind, i.line) for i in got.issues] == [(FeedIssueKind.SIZE_LIMIT, 13)]
    assert "more than 10 offers (max-offers)" in got.issues[0].message


def test_caps_are_settings_and_a_good_feed_after_a_hostile_one_is_fully_audited(tmp_path: Path) -> None:
    (tmp_path / "feedaudit.toml").write_text("[limits]\nmax-offer-elements = 1000\n", encoding="utf-8")
    hostile = tmp_path / "hostile.xml"
    hostile.write_bytes(yml(GOOD + "\n" + hostile_offer("offer-elements")))
    good = tmp_path / "good.xml"
    good.write_bytes(yml(GOOD.replace("Good", "Чайник") + '\n<offer id="3"><name>Кава</name><price>0</price></offer>'))
    result = CliRunner().invoke(
        main,
        ["check", "--config", str(tmp_path / "feedaudit.toml"), "--output-format", "jsonl", str(hostile), str(good)],
    )
    assert result.exit_code == 1, result.output
    findings = [json.loads(line) for line in result.stdout.splitlines()]
    hostile_findings = [(f["code"], f["line"]) for f in findings if f["source"] == str(hostile)]
    assert ("FD006", 4) in hostile_findings, hostile_findings
    # the good feed is read to its end: the zero price of its last offer is reported
    assert {f.get("offer_id") for f in findings if f["source"] == str(good)} >= {"3"}


def test_a_compression_bomb_is_refused_after_its_first_mib(tmp_path: Path) -> None:
    """Blank text between offers compresses at ~1000:1: reading stops once the data has decoded past the
    first MiB at more than 250 times its compressed size, with the offers before it audited."""
    import gzip

    bomb = tmp_path / "bomb.xml.gz"
    later = '<offer id="9"><price>0</price></offer>'
    bomb.write_bytes(gzip.compress(yml(GOOD + "\n" + " " * 50_000_000 + later), 9))
    result = CliRunner().invoke(main, ["check", "--output-format", "jsonl", str(bomb)])
    assert result.exit_code == 1, result.output
    findings = [json.loads(line) for line in result.stdout.splitlines()]
    refused = [f for f in findings if f["code"] == "FD006"]
    assert len(refused) == 1, findings
    assert "more than 250 times its compressed size" in refused[0]["message"]
    assert "compression bomb" in refused[0]["message"]
    assert "9" not in {f.get("offer_id") for f in findings}  # nothing past the bomb is trusted


def test_a_real_feed_compressed_is_read_whole(tmp_path: Path, fixtures_dir: Path) -> None:
    """Real feeds compress at well under 250:1, also repeated many times over."""
    import gzip

    text = (fixtures_dir / "feeds" / "prom.xml").read_bytes()
    head, _, rest = text.partition(b"<offers>")
    offers, _, tail = rest.partition(b"</offers>")
    big = head + b"<offers>" + offers * 400 + b"</offers>" + tail  # ~2.5 MB, ~2,000 offers
    path = tmp_path / "prom.xml.gz"
    path.write_bytes(gzip.compress(big, 9))
    assert len(big) / path.stat().st_size < 250
    result = CliRunner().invoke(main, ["check", "--output-format", "jsonl", str(path)])
    findings = [json.loads(line) for line in result.stdout.splitlines()]
    assert not [f for f in findings if f["code"] in ("FD003", "FD006")], findings[:3]
