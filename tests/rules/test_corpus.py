"""Listing-accuracy rules on real feeds of the shared corpus: faults found there, and false positives fixed."""

from __future__ import annotations

from pathlib import Path

from feedaudit.config import Settings
from feedaudit.engine import Engine
from feedaudit.model import Finding
from feedaudit.rules import registered_rules


def _findings(path: Path) -> list[Finding]:
    engine = Engine(Settings(select=list(registered_rules())))
    return list(engine.audit_feed(str(path)))


def test_real_faults_are_found(corpus_dir: Path) -> None:
    stage = corpus_dir / "sunlist-testxml" / "stage"
    contradicting = [f for f in _findings(stage / "amp-1120.xml") if f.code == "CN003"]
    assert [f.offer_id for f in contradicting] == ["amp-1120-9-ref_and_state_both_no"]
    assert [f.code for f in _findings(stage / "amp-400-testdata.xml") if f.code.startswith("PR")] == ["PR002"]
    sentinel_stock = {f.offer_id for f in _findings(stage / "group-export.xml") if f.code == "PH004"}
    assert "2317609094" in sentinel_stock


def test_fixed_false_positives_stay_fixed(corpus_dir: Path) -> None:
    stage = corpus_dir / "sunlist-testxml" / "stage"
    # dispatch time in a Hotline param «Доставка/Оплата»
    assert not [f for f in _findings(stage / "hotlineProblemPrice.xml") if f.code == "DL001"]
    # a warranty stated 11,500 characters into a description
    assert "1542" not in {f.offer_id for f in _findings(stage / "amp-warranty.xml") if f.code == "WR001"}
    # 9999.00 crossed out over 8999.00 is a real discount
    rozetka = corpus_dir / "sunlist-testxml" / "dev" / "price-rozetka.xml"
    old_price_sentinels = [f for f in _findings(rozetka) if f.code == "PH002" and f.field == "old_price"]
    assert old_price_sentinels == []


def test_warranty_in_words_and_by_the_verb_is_read(corpus_dir: Path) -> None:
    # «Гарантія - два роки», «гарантує 24 міс.», «гарантує 24 місяці» in the descriptions of Casio watches
    missing = {
        f.offer_id for f in _findings(corpus_dir / "sunlist-testxml" / "stage" / "qre07.xml") if f.code == "WR001"
    }
    assert missing.isdisjoint({"GXW-56BB-1", "GW-M5610U-1", "GST-B500D-1A1", "GST-B500D-1A"})
