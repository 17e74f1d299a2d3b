"""`feedaudit check --history --email` end to end, as cron runs it: real SMTP server, real files, real lock."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import threading
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import filelock
import pytest
from click.testing import CliRunner, Result

from feedaudit.cli import main
from feedaudit.history.store import HistoryStore
from feedaudit.notify.outbox import Outbox
from tests.conftest import ROOT
from tests.nightly.conftest import LOGIN, PASSWORD, PASSWORD_ENV, ServerFactory, free_port, write_feed

TIMESTAMPED = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} feedaudit(\.\w+)? (INFO|WARNING|ERROR) ")


def write_config(directory: Path, port: int, **email: Any) -> Path:
    settings: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "from": "audit@shop.example",
        "to": ["owner@shop.example"],
        "outbox": "state/outbox",
        "timeout": 5,
    } | email
    # only feed and identity rules, so each planted fault gives exactly one finding
    lines = ['select = ["FD", "ID"]', "[history]", 'path = "state/history.db"', "lock-timeout = 5", "[email]"]
    lines += [f"{key} = {toml_value(value)}" for key, value in settings.items()]
    path = directory / "feedaudit.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def toml_value(value: Any) -> str:
    if isinstance(value, dict):  # an inline table; JSON strings and lists are TOML as they are
        return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    return json.dumps(str(value) if isinstance(value, Path) else value)


def check(config: Path, *feeds: Path, extra: tuple[str, ...] = ()) -> Result:
    args = ["check", *map(str, feeds), "--config", str(config), "--email", *extra]
    return CliRunner().invoke(main, args, catch_exceptions=False)


def csv_rows(message: EmailMessage) -> list[dict[str, str]]:
    [attachment] = list(message.iter_attachments())
    assert isinstance(attachment, EmailMessage)
    return list(csv.DictReader(io.StringIO(attachment.get_content())))


def test_three_nights_mail_only_what_changed(tmp_path: Path, mail_servers: ServerFactory) -> None:
    server = mail_servers.start("plain")
    config = write_config(tmp_path, server.port)
    feed = tmp_path / "feed.xml"

    write_feed(feed, ["A", "A", "B"])  # night 1: A is duplicated
    first = check(config, feed)
    assert first.exit_code == 1, first.output
    [mail] = server.received
    message = mail.message
    assert message["Subject"] == "[feedaudit] Тестовий магазин: 1 new, 0 resolved, 1 open"
    assert mail.rcpt_tos == ["owner@shop.example"]
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None
    assert "1 new, 0 resolved, 0 still open" in text.get_content()
    assert html is not None
    assert "duplicate-offer-id" in html.get_content()
    assert [(r["status"], r["code"], r["offer_id"]) for r in csv_rows(message)] == [("new", "ID002", "A")]

    second = check(config, feed)  # night 2: nothing changed, nothing sent
    assert second.exit_code == 1
    assert len(server.received) == 1

    write_feed(feed, ["A", "B", "B"])  # night 3: A fixed, B duplicated
    third = check(config, feed)
    assert third.exit_code == 1
    message = server.received[1].message
    assert message["Subject"] == "[feedaudit] Тестовий магазин: 1 new, 1 resolved, 1 open"
    assert [(r["status"], r["offer_id"]) for r in csv_rows(message)] == [("new", "B"), ("resolved", "A")]

    assert Outbox(tmp_path / "state" / "outbox").pending() == []
    history = CliRunner().invoke(main, ["history", "--config", str(config)])
    assert history.exit_code == 0, history.output
    rows = [line.split() for line in history.stdout.splitlines()[1:]]
    assert [(r[0], r[6], r[7], r[8], r[9]) for r in rows] == [
        ("3", "1", "1", "0", "1"),
        ("2", "1", "0", "1", "0"),
        ("1", "1", "1", "0", "0"),
    ]


def test_unreachable_server_keeps_the_report_and_the_next_run_delivers_it(
    tmp_path: Path, mail_servers: ServerFactory
) -> None:
    """The end-to-end promise: a failed send exits non-zero, keeps the message; the next run sends it."""
    port = free_port()  # nothing listens here yet
    config = write_config(tmp_path, port)
    feed = write_feed(tmp_path / "feed.xml", ["A", "A"])
    outbox = Outbox(tmp_path / "state" / "outbox")

    failed = check(config, feed)
    assert failed.exit_code == 2
    last = failed.stderr.strip().splitlines()[-1]
    assert last == (
        f"feedaudit: error: e-mail not sent: SMTP 127.0.0.1:{port} (none): connection refused; "
        f"1 message kept in {outbox.directory} (the next run sends them)"
    )
    [kept] = outbox.pending()
    kept_id = Outbox.read(kept)["Message-ID"]
    assert "A" in failed.stdout  # the report itself was still printed

    server = mail_servers.start("plain", port=port)
    delivered = check(config, feed)
    assert delivered.exit_code == 1, delivered.output  # findings; nothing new to send, the old one went out
    assert outbox.pending() == []
    [mail] = server.received
    assert mail.message["Message-ID"] == kept_id
    assert mail.message["Subject"] == "[feedaudit] Тестовий магазин: 1 new, 0 resolved, 1 open"
    assert [r["offer_id"] for r in csv_rows(mail.message)] == ["A"]
    assert "outbox: delivered" in delivered.stderr


def test_login_over_starttls_and_a_password_that_never_shows(
    tmp_path: Path, mail_servers: ServerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = mail_servers.start("starttls", auth=True)
    login = {"security": "starttls", "username": LOGIN, "password-env": PASSWORD_ENV, "ca-file": mail_servers.ca_file}
    config = write_config(tmp_path, server.port, **login)
    feed = write_feed(tmp_path / "feed.xml", ["A", "A"])

    monkeypatch.setenv(PASSWORD_ENV, "wrong-" + PASSWORD)
    refused = check(config, feed, extra=("--verbose",))
    assert refused.exit_code == 2
    assert "authentication failed (535" in refused.stderr
    assert PASSWORD not in refused.output + refused.stderr
    assert len(Outbox(tmp_path / "state" / "outbox").pending()) == 1

    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    sent = check(config, feed)
    assert sent.exit_code == 1
    assert [m.login for m in server.received] == [LOGIN]
    assert PASSWORD not in sent.output + sent.stderr


def test_smtps_delivery(tmp_path: Path, mail_servers: ServerFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    server = mail_servers.start("ssl", auth=True)
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    login = {"security": "ssl", "username": LOGIN, "password-env": PASSWORD_ENV, "ca-file": mail_servers.ca_file}
    config = write_config(tmp_path, server.port, **login)
    result = check(config, write_feed(tmp_path / "feed.xml", ["A", "A"]))
    assert result.exit_code == 1, result.stderr
    assert len(server.received) == 1


@pytest.mark.parametrize(("policy", "mails"), [("always", 2), ("changes", 1), ("never", 0)])
def test_send_policy(tmp_path: Path, mail_servers: ServerFactory, policy: str, mails: int) -> None:
    server = mail_servers.start("plain")
    config = write_config(tmp_path, server.port, send=policy)
    feed = write_feed(tmp_path / "feed.xml", ["A", "A"])
    for _ in range(2):
        assert check(config, feed).exit_code == 1
    assert len(server.received) == mails
    with HistoryStore.open(tmp_path / "state" / "history.db") as store:
        assert len(store.recent_runs()) == 2  # the history is kept whatever the policy


def test_one_message_per_feed(tmp_path: Path, mail_servers: ServerFactory) -> None:
    server = mail_servers.start("plain")
    config = write_config(tmp_path, server.port, **{"per-feed": True})
    first = write_feed(tmp_path / "one.xml", ["A", "A"], shop="Shop One")
    second = write_feed(tmp_path / "two.xml", ["B"], shop="Shop Two")
    assert check(config, first, second).exit_code == 1
    # Shop Two has nothing new or resolved: no message for it
    assert [m.message["Subject"] for m in server.received] == ["[feedaudit] Shop One: 1 new, 0 resolved, 1 open"]
    write_feed(second, ["B", "B"], shop="Shop Two")
    assert check(config, first, second).exit_code == 1
    assert server.received[1].message["Subject"] == "[feedaudit] Shop Two: 1 new, 0 resolved, 1 open"


@pytest.mark.parametrize("jobs", [(), ("--jobs", "2")], ids=["in-process", "two-workers"])
def test_each_shop_gets_the_message_about_its_own_feed(
    tmp_path: Path, mail_servers: ServerFactory, jobs: tuple[str, ...]
) -> None:
    server = mail_servers.start("plain")
    shops = {"*/one.xml": ["owner@shop-one.example"], "*/two.xml": ["a@shop-two.example", "b@shop-two.example"]}
    config = write_config(tmp_path, server.port, **{"per-feed": True, "shops": shops})
    first = write_feed(tmp_path / "one.xml", ["A", "A"], shop="Shop One")
    second = write_feed(tmp_path / "two.xml", ["B", "B"], shop="Shop Two")
    assert check(config, first, second, extra=jobs).exit_code == 1
    by_shop = {m.message["Subject"].split(":")[0]: m for m in server.received}
    assert set(by_shop) == {"[feedaudit] Shop One", "[feedaudit] Shop Two"}
    one, two = by_shop["[feedaudit] Shop One"], by_shop["[feedaudit] Shop Two"]
    assert one.rcpt_tos == ["owner@shop.example", "owner@shop-one.example"]
    assert one.message["To"] == "owner@shop.example, owner@shop-one.example"
    assert two.rcpt_tos == ["owner@shop.example", "a@shop-two.example", "b@shop-two.example"]
    assert [row["offer_id"] for row in csv_rows(one.message)] == ["A"]
    assert [row["offer_id"] for row in csv_rows(two.message)] == ["B"]


def test_logs_have_timestamps_and_quiet_keeps_only_warnings(tmp_path: Path, mail_servers: ServerFactory) -> None:
    server = mail_servers.start("plain")
    config = write_config(tmp_path, server.port)
    feed = write_feed(tmp_path / "feed.xml", ["A", "A"])
    loud = check(config, feed)
    logged = loud.stderr.splitlines()
    assert logged, "a nightly run logs what it did"
    assert all(TIMESTAMPED.match(line) for line in logged), logged
    assert any("history: run 1 recorded: 1 new, 0 resolved, 0 still open" in line for line in logged)

    write_feed(feed, ["A"])
    quiet = check(config, feed, extra=("--quiet",))
    assert quiet.exit_code == 0
    assert quiet.stderr == ""
    assert len(server.received) == 2


def test_a_held_lock_makes_the_run_wait_then_give_up(tmp_path: Path, mail_servers: ServerFactory) -> None:
    server = mail_servers.start("plain")
    config = write_config(tmp_path, server.port)
    config.write_text(config.read_text().replace("lock-timeout = 5", "lock-timeout = 0.5"))
    feed = write_feed(tmp_path / "feed.xml", ["A", "A"])
    (tmp_path / "state").mkdir()
    lock_file = tmp_path / "state" / "history.db.lock"
    with filelock.FileLock(lock_file):  # another run is busy
        blocked = check(config, feed)
    assert blocked.exit_code == 2
    assert blocked.stderr.strip().splitlines()[-1] == (
        f"feedaudit: error: another feedaudit run still holds {lock_file} after 0.5 s; this run did nothing"
    )
    assert blocked.stdout == ""
    assert not (tmp_path / "state" / "history.db").exists()
    assert server.received == []


def test_a_run_waits_for_the_lock_to_be_released(tmp_path: Path, mail_servers: ServerFactory) -> None:
    server = mail_servers.start("plain")
    config = write_config(tmp_path, server.port)
    feed = write_feed(tmp_path / "feed.xml", ["A", "A"])
    (tmp_path / "state").mkdir()
    other_run = filelock.FileLock(tmp_path / "state" / "history.db.lock", thread_local=False)
    other_run.acquire()
    releaser = threading.Timer(0.5, other_run.release)
    releaser.start()
    started = time.monotonic()
    result = check(config, feed)
    releaser.join()
    assert result.exit_code == 1, result.stderr
    assert time.monotonic() - started >= 0.4
    assert "waiting up to 5 s" in result.stderr
    assert len(server.received) == 1


def test_two_overlapping_cron_runs_record_two_consistent_runs(tmp_path: Path, mail_servers: ServerFactory) -> None:
    server = mail_servers.start("plain")
    config = write_config(tmp_path, server.port)
    feed = write_feed(tmp_path / "feed.xml", ["A", "A", "B", "B"])
    command = [sys.executable, "-m", "feedaudit", "check", str(feed), "--config", str(config), "--email"]
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) for _ in range(2)]
    outcomes = [(run.wait(timeout=60), run.stderr.read().decode() if run.stderr else "") for run in runs]
    for run in runs:
        for stream in (run.stdout, run.stderr):
            if stream is not None:
                stream.close()
    assert [code for code, _ in outcomes] == [1, 1], outcomes
    with HistoryStore.open(tmp_path / "state" / "history.db") as store:
        recorded = sorted((r.new, r.still_open) for r in store.recent_runs())
    assert recorded == [(0, 2), (2, 0)]  # one run saw them first, the other saw them again
    assert len(server.received) == 1


@pytest.mark.parametrize(
    ("config_text", "extra", "error"),
    [
        ('[email]\nfrom = "a@b.example"\nto = ["c@d.example"]\n', ("--email",), "need a history"),
        ("[history]\npath = 'h.db'\n[email]\n", ("--email",), 'needs "from" and "to"'),
        (
            "[history]\npath = 'h.db'\n[email]\nfrom = 'a@b.example'\nto = ['c@d.example']\nusername = 'u'\n"
            "password-env = 'FEEDAUDIT_TEST_UNSET_VARIABLE'\n",
            ("--email",),
            "FEEDAUDIT_TEST_UNSET_VARIABLE is not set",
        ),
        ("[email]\npasword-env = 'X'\n", (), "email.pasword-env: unknown key"),
        ("[history]\nlock-timeout = -1\n", (), "history.lock-timeout"),
        ("[email.shops]\n'*' = ['a@b.example']\n", (), "shops needs per-feed = true"),
        ("[email]\nper-feed = true\n[email.shops]\n'*' = ['not an address']\n", (), "is not an e-mail address"),
    ],
)
def test_configuration_errors_are_one_line_and_exit_2(
    tmp_path: Path, config_text: str, extra: tuple[str, ...], error: str, fixtures_dir: Path
) -> None:
    config = tmp_path / "feedaudit.toml"
    config.write_text(config_text)
    args = ["check", str(fixtures_dir / "feeds" / "prom.xml"), "--config", str(config), *extra]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert error in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("feedaudit: error: ")
    assert not (tmp_path / "h.db").exists()


def test_history_command(tmp_path: Path, fixtures_dir: Path) -> None:
    database = tmp_path / "h.db"
    missing = CliRunner().invoke(main, ["history", "--history", str(database)])
    assert missing.exit_code == 2
    assert "no history at" in missing.stderr
    nothing = CliRunner().invoke(main, ["history"])
    assert nothing.exit_code == 2
    assert "give --history PATH" in nothing.stderr

    feed = str(fixtures_dir / "feeds" / "prom.xml")
    for _ in range(3):
        result = CliRunner().invoke(main, ["check", feed, "--select", "FD,ID", "--history", str(database), "-q"])
        assert result.exit_code == 1
    table = CliRunner().invoke(main, ["history", "--history", str(database), "--limit", "2"])
    assert table.exit_code == 0
    lines = table.stdout.splitlines()
    assert lines[0].split() == [
        "run",
        "started",
        "(UTC)",
        "took",
        "feeds",
        "offers",
        "findings",
        "new",
        "still",
        "open",
        "resolved",
    ]
    assert [line.split()[0] for line in lines[1:]] == ["3", "2"]
    as_json = CliRunner().invoke(main, ["history", "--history", str(database), "--output-format", "json"])
    runs = json.loads(as_json.stdout)
    assert [(r["run"], r["offers"], r["findings"], r["new"], r["still_open"]) for r in runs] == [
        (3, 5, 2, 0, 2),
        (2, 5, 2, 0, 2),
        (1, 5, 2, 2, 0),
    ]
    assert runs[0]["sources"] == [feed]


def test_relative_paths_in_the_config_file_are_read_from_its_directory(
    tmp_path: Path, mail_servers: ServerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = mail_servers.start("plain")
    (tmp_path / "etc").mkdir()
    config = write_config(tmp_path / "etc", server.port)
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert check(config, write_feed(tmp_path / "feed.xml", ["A", "A"])).exit_code == 1
    assert (tmp_path / "etc" / "state" / "history.db").is_file()
    assert list(elsewhere.iterdir()) == []
    assert len(server.received) == 1
