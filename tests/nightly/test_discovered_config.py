"""A `feedaudit.toml` that happens to be in the working directory never turns a plain check into a nightly run:
history and e-mail happen only when this run asks for them (flags, or a file named with `--config`), and a
run that does them says so in one log line."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from feedaudit.cli import main
from tests.nightly.conftest import ServerFactory, write_feed


def nightly_config(directory: Path, port: int) -> Path:
    path = directory / "feedaudit.toml"
    path.write_text(
        'select = ["ID"]\n[history]\npath = "state/history.db"\n'
        f'[email]\nenabled = true\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\ntimeout = 5\n'
        'from = "audit@shop.example"\nto = ["owner@shop.example"]\noutbox = "state/outbox"\n',
        "utf-8",
    )
    return path


@pytest.fixture
def shop_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    write_feed(tmp_path / "feed.xml", ["A", "A"])
    return tmp_path


def check(*args: str) -> Result:
    return CliRunner().invoke(main, ["check", "feed.xml", *args])


def nightly_lines(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if " nightly run: " in line]


def test_a_plain_check_ignores_the_history_and_email_of_a_discovered_file(
    shop_dir: Path, mail_servers: ServerFactory
) -> None:
    server = mail_servers.start("plain")
    nightly_config(shop_dir, server.port)
    result = check()
    assert result.exit_code == 1  # the duplicate id; not 2 for mail, and no mail at all
    assert "ID002" in result.stdout
    assert result.stderr == ""
    assert not (shop_dir / "state").exists()
    assert server.received == []
    # the rest of the discovered file still applies: only ID rules ran
    assert all(" ID0" in line for line in result.stdout.splitlines()[:-1])


def test_history_flag_with_a_discovered_file_keeps_history_but_sends_nothing(
    shop_dir: Path, mail_servers: ServerFactory
) -> None:
    server = mail_servers.start("plain")
    nightly_config(shop_dir, server.port)
    result = check("--history", "h.db")
    assert result.exit_code == 1
    assert (shop_dir / "h.db").is_file()
    assert not (shop_dir / "state").exists()
    assert server.received == []
    [line] = nightly_lines(result)
    assert line.endswith(f"feedaudit INFO nightly run: history in h.db (settings from {shop_dir / 'feedaudit.toml'})")


def test_email_flag_with_a_discovered_file_uses_its_history_and_mail_settings(
    shop_dir: Path, mail_servers: ServerFactory
) -> None:
    server = mail_servers.start("plain")
    nightly_config(shop_dir, server.port)
    result = check("--email")
    assert result.exit_code == 1, result.stderr
    assert (shop_dir / "state" / "history.db").is_file()
    assert len(server.received) == 1
    [line] = nightly_lines(result)
    assert f"nightly run: history in {shop_dir / 'state' / 'history.db'} and e-mail to owner@shop.example" in line


def test_a_file_named_with_config_is_asked_for(shop_dir: Path, mail_servers: ServerFactory) -> None:
    server = mail_servers.start("plain")
    config = nightly_config(shop_dir, server.port)
    result = check("--config", str(config))
    assert result.exit_code == 1, result.stderr
    assert (shop_dir / "state" / "history.db").is_file()
    assert len(server.received) == 1
    assert len(nightly_lines(result)) == 1
    quiet = check("--config", str(config), "--quiet")
    assert nightly_lines(quiet) == []  # --quiet keeps only warnings and errors


def test_the_log_line_never_shows_a_database_password() -> None:
    from feedaudit.config import Settings
    from feedaudit.nightly import Nightly

    settings = Settings.model_validate({"history": {"path": "postgresql://audit:s3cret@db.internal/feedaudit"}})
    assert Nightly(settings).announcement() == "nightly run: history in postgresql://audit:***@db.internal/feedaudit"
