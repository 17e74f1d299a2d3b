"""A feed's hostile text on the nightly path: CR/LF in the shop name, controls and huge ids, odd characters.

The real SMTP server (aiosmtpd on loopback) and real history files, as cron runs it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from pathlib import Path

import sqlalchemy as sa
from click.testing import CliRunner, Result

from feedaudit.cli import main
from feedaudit.history.delta import RunDelta
from feedaudit.history.store import HistoryStore
from feedaudit.model import Finding, Severity, fingerprint
from feedaudit.notify.message import Shop, build_message
from feedaudit.notify.settings import EmailSettings
from tests.nightly.conftest import ServerFactory, write_feed
from tests.nightly.test_nightly_cli import write_config

UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
SOURCE = "https://shop.example.ua/feed.xml"


def hostile_feed(path: Path, ids: list[str | None]) -> Path:
    """A feed whose shop name carries CR/LF and a header of its own, written as character references."""
    write_feed(path, ids, shop="Shop SPLIT")
    text = path.read_text("utf-8").replace("SPLIT", "&#13;&#10;Bcc: thief@evil.example&#13;&#10;&#27;[2J&#x202E;")
    text = text.replace('id="NL"', 'id="B&#10;forged.xml:1: ID001 forged&#27;]0;x&#7;"')
    path.write_text(text, encoding="utf-8")
    return path


def check(config: Path, feed: Path) -> Result:
    return CliRunner().invoke(main, ["check", str(feed), "--config", str(config), "--email"], catch_exceptions=False)


def test_a_shop_name_with_cr_lf_neither_stops_the_mail_nor_the_history(
    tmp_path: Path, mail_servers: ServerFactory
) -> None:
    server = mail_servers.start("plain")
    config = write_config(tmp_path, server.port)
    feed = hostile_feed(tmp_path / "feed.xml", ["A", "A", "NL", "NL", "L" * 100_000, "L" * 100_000])

    first = check(config, feed)
    assert first.exit_code == 1, first.output
    [mail] = server.received
    assert mail.rcpt_tos == ["owner@shop.example"]  # no header smuggled in by the feed
    message = mail.message
    assert message["Bcc"] is None
    subject = str(message["Subject"])
    shop = r"Shop \\r\\nBcc: thief@evil\.example\\r\\n\\x1b\[2J\\u202e"
    assert re.fullmatch(rf"\[feedaudit\] {shop}: \d+ new, .*", subject)
    assert not UNSAFE.findall(subject)
    for part in ("plain", "html"):
        body = message.get_body((part,))
        assert body is not None
        content = body.get_content()
        assert "B\\nforged.xml:1: ID001 forged\\x1b]0;x\\x07" in content
        assert not UNSAFE.findall(content.replace("\n", " ").replace("\t", " "))
        assert len(content) < 20_000  # the 100,000-character id is shortened
    for line in first.stderr.splitlines():  # the log: one line per record, nothing for the terminal
        assert not UNSAFE.findall(line)

    second = check(config, feed)  # the next night: the same findings, nothing new to send
    assert second.exit_code == 1, second.output
    assert len(server.received) == 1
    with HistoryStore.open(tmp_path / "state" / "history.db") as store:
        [(second_run, new_then), (first_run, new_first)] = [(r.findings, r.new) for r in store.recent_runs()]
        assert second_run == first_run == new_first >= 3
        assert new_then == 0
        stored = {f.offer_id for f in store.open_findings()}
    assert "A" in stored
    assert "B\nforged.xml:1: ID001 forged\x1b]0;x\x07" in stored
    [long_id] = [offer_id for offer_id in stored if offer_id and offer_id.startswith("LLL")]
    assert long_id.endswith("… [100,000 chars]")
    assert len(long_id) < 5_000


def odd_finding(offer_id: str, message: str = "offer id is used again") -> Finding:
    return Finding(
        code="ID002",
        name="duplicate-offer-id",
        severity=Severity.ERROR,
        message=message,
        source=SOURCE,
        line=3,
        offer_id=offer_id,
        field="offer_id",
        fingerprint=fingerprint(SOURCE, offer_id, "ID002", "offer_id"),
    )


def test_the_history_stores_text_no_database_takes_as_it_is(tmp_path: Path) -> None:
    """A lone surrogate (SQLite cannot encode it) and NUL (PostgreSQL refuses it) are stored replaced."""
    odd = odd_finding("nul \x00 end", message="half \ud83d of a smile")
    with HistoryStore.open(tmp_path / "history.db") as store:
        delta = store.record_run([odd], sources=[SOURCE], started=datetime.now(UTC))
        assert [f.fingerprint for f in delta.new] == [odd.fingerprint]
        [stored] = store.open_findings()
    assert (stored.offer_id, stored.message) == ("nul \ufffd end", "half \ufffd of a smile")
    assert stored.fingerprint == odd.fingerprint  # still the same fault the next night


def test_postgresql_history_takes_nul(postgres_url: str) -> None:
    engine = sa.create_engine(sa.engine.make_url(postgres_url).set(drivername="postgresql+psycopg"))
    with engine.begin() as conn:
        for table in ("findings", "runs", "schema_version"):
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {table} CASCADE"))
    engine.dispose()
    odd = odd_finding("nul \x00 end")
    with HistoryStore.open(postgres_url) as store:
        store.record_run([odd], sources=[SOURCE], started=datetime.now(UTC))
        assert [f.offer_id for f in store.open_findings()] == ["nul \ufffd end"]


def test_a_long_shop_name_is_shortened_in_the_subject_and_the_counts_stay() -> None:
    shop = Shop("Магазин\r\n" + "x" * 5_000, (SOURCE,), 3)
    delta = RunDelta(1, new=[odd_finding("A")])
    mail = EmailSettings.model_validate({"from": "audit@shop.example", "to": ["owner@shop.example"]})
    message = build_message(shop, delta, mail)
    parsed = BytesParser(policy=policy.default).parsebytes(message.as_bytes())
    subject = str(parsed["Subject"])
    assert subject.startswith("[feedaudit] Магазин\\r\\nxxx")
    assert subject.endswith("… [5,009 chars]: 1 new, 0 resolved, 1 open")
    assert len(subject) < 200
