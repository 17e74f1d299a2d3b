"""The web page in a real headless browser (Playwright driving the system's Chromium): sign in, upload
a feed file, watch the page reload until the audit is done, read the report, download it.

Skipped when Playwright or a Chromium is not installed.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.service.server import Server, make_token

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _chromium() -> str:
    for candidate in (os.environ.get("FEEDAUDIT_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).is_file():
            return candidate
    pytest.skip("no Chromium installed (apt-get install chromium)")


@pytest.fixture(scope="module")
def browser() -> Any:
    executable = _chromium()
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def test_upload_see_the_report_and_download_it(
    server: Server, browser: Any, fixture_feed: Path, tmp_path: Path
) -> None:
    token = make_token(server.data_dir, "page-shop")
    context = browser.new_context(accept_downloads=True, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(server.base + "/")
        assert page.locator("html").get_attribute("lang") == "en"
        page.get_by_label("API token").fill(token)
        page.get_by_role("button", name="Sign in").click()
        assert page.get_by_role("heading", level=1).inner_text() == "Audit a product feed"
        page.get_by_label("or a feed file").set_input_files(str(fixture_feed))
        page.get_by_role("button", name="Audit").click()
        # without JavaScript the job page reloads itself (<meta refresh>) until the audit is done
        page.get_by_role("heading", name="Audit report", level=1).wait_for(timeout=60_000)
        assert "9 findings (6 errors, 2 warnings, 1 info) in 5 offers." in page.get_by_role("status").inner_text()
        report = page.frame_locator("iframe[title='Audit report']")
        assert report.get_by_role("heading", name="feedaudit report").is_visible()
        assert report.get_by_role("row").filter(has_text="price 0 is a sentinel").count() == 1
        with page.expect_download() as pending:
            page.get_by_role("link", name="Download JSON").click()
        download = pending.value
        assert download.suggested_filename.endswith(".json")
        saved = tmp_path / download.suggested_filename
        download.save_as(saved)
        findings = json.loads(saved.read_text("utf-8"))["findings"]
        assert len(findings) == 9
        assert {f["source"] for f in findings} == {"prom.xml"}
        page.goto(server.base + "/")
        assert page.get_by_role("link", name="prom.xml").count() == 1
    finally:
        context.close()
