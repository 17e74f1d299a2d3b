"""Servers shared by the service tests: one that may fetch from loopback (where the tests' feed servers
are), one with the default address guard."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

from tests.conftest import FIXTURES
from tests.service.server import Server, running

UPLOAD_CAP = 256 * 1024


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Allows loopback feeds and webhooks (the test servers are there), an inventory named `stock`."""
    data_dir = tmp_path_factory.mktemp("service")
    with running(
        data_dir,
        "--allow-private",
        "127.0.0.0/8",
        "--max-upload-bytes",
        str(UPLOAD_CAP),
        "--inventory",
        f"stock={FIXTURES / 'inventory' / 'stock.csv'}",
        "--inventory",
        f"gone={FIXTURES / 'inventory' / 'no-such-stock.csv'}",
        "--lease-seconds",
        "5",
    ) as started:
        yield started


@pytest.fixture(scope="session")
def strict_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The address guard as shipped: no private or loopback addresses."""
    with running(tmp_path_factory.mktemp("service-strict")) as started:
        yield started


@pytest.fixture
def fixture_feed() -> Path:
    return FIXTURES / "feeds" / "prom.xml"
