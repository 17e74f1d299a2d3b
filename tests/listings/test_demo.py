"""The live-listings demo of the README: its feed can never reach whatever listens on some fixed port, and the
demo script serves the pages on a free port and stops its server however the audit ends."""

from __future__ import annotations

import importlib.util
import socket
import urllib.request
from types import ModuleType

import pytest
from click.testing import CliRunner

from feedaudit.cli import main
from tests.conftest import ROOT

PAGES = ROOT / "fixtures" / "pages"


def demo_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("pages_demo", PAGES / "demo.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_demo_feed_links_to_a_name_that_never_resolves(monkeypatch: pytest.MonkeyPatch) -> None:
    text = (PAGES / "feed.xml").read_text("utf-8")
    assert "127.0.0.1" not in text
    assert "localhost" not in text
    monkeypatch.chdir(ROOT)
    args = ["check", "fixtures/pages/feed.xml", "--listings", "--allow-private", "--select", "LS"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    findings = result.stdout.splitlines()[:-1]
    assert len(findings) == 7
    assert all("LS001" in line and "cannot resolve demo-shop.invalid" in line for line in findings)


def test_the_demo_server_takes_a_free_port_and_always_stops() -> None:
    demo = demo_module()
    ports: list[int] = []

    def audit_that_fails() -> None:
        with demo.serving(PAGES) as base_url:
            ports.append(int(base_url.rsplit(":", 1)[1]))
            with urllib.request.urlopen(f"{base_url}/prom.html", timeout=10) as page:
                assert page.status == 200
            assert f"{base_url}/prom.html" in demo.linked_feed(base_url)
            raise RuntimeError("audit failed")

    with pytest.raises(RuntimeError, match="audit failed"):
        audit_that_fails()
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", ports[0]), timeout=5):
        pass


def test_the_demo_exits_with_the_audit_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    demo = demo_module()
    assert demo.main(["--select", "LS002"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "fixtures/pages/feed.xml:59: LS002 [error] page is gone (HTTP 404) [offer OLD-1]",
        "Found 1 problem (1 error) in 7 offers in 1 feed.",
    ]
    assert demo.main(["--select", "LS002", "--exit-zero"]) == 0
