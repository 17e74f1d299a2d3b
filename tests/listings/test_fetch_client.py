"""Crawler client logic with respx (no sockets): retries, robots.txt verdicts, redirects, headers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
import pytest
import respx

from feedaudit.listings.fetch import Crawler, Page, retry_after, user_agent
from feedaudit.listings.settings import ListingsSettings

SHOP = "https://shop.example.ua"


def fetch(url: str, **changes: object) -> tuple[Page, Crawler]:
    settings = ListingsSettings.model_validate({"rate": 1000.0, "backoff": 0.01, **changes})

    async def run() -> tuple[Page, Crawler]:
        async with Crawler(settings) as crawler:
            return await crawler.fetch(url), crawler

    return asyncio.run(run())


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2026, 11, 20, 10, 0, 0, tzinfo=UTC)
    assert retry_after("7") == 7.0
    assert retry_after("Fri, 20 Nov 2026 10:00:30 GMT", now) == 30.0
    assert retry_after("Fri, 20 Nov 2026 09:00:00 GMT", now) == 0.0
    assert retry_after("soon") is None
    assert retry_after(None) is None


def test_user_agent_is_the_product_token_and_contact() -> None:
    assert user_agent(None).startswith("feedaudit/")
    assert user_agent("https://shop.example.ua/bot").endswith(" (+https://shop.example.ua/bot)")


@respx.mock(assert_all_called=True)
def test_connect_error_then_success_is_retried(respx_mock: respx.MockRouter) -> None:
    respx_mock.get(f"{SHOP}/robots.txt").respond(404)
    route = respx_mock.get(f"{SHOP}/p/1").mock(
        side_effect=[httpx.ConnectError("refused"), httpx.Response(200, text="ok")]
    )
    page, _ = fetch(f"{SHOP}/p/1")
    assert page.status == 200
    assert route.call_count == 2


@respx.mock(assert_all_called=True)
def test_not_found_is_not_retried(respx_mock: respx.MockRouter) -> None:
    respx_mock.get(f"{SHOP}/robots.txt").respond(404)
    route = respx_mock.get(f"{SHOP}/p/1").respond(404)
    page, crawler = fetch(f"{SHOP}/p/1", retries=3)
    assert page.status == 404
    assert route.call_count == 1
    assert crawler.requests == 2


@respx.mock(assert_all_called=False)
def test_robots_unavailable_disallows_and_the_page_is_never_requested(respx_mock: respx.MockRouter) -> None:
    respx_mock.get(f"{SHOP}/robots.txt").respond(503)
    page_route = respx_mock.get(f"{SHOP}/p/1").respond(200)
    page, _ = fetch(f"{SHOP}/p/1", retries=0)
    assert page.error == "robots.txt unavailable (HTTP 503): disallow all"
    assert not page_route.called


@respx.mock
def test_redirects_are_followed_by_hand_and_recorded() -> None:
    respx.get(f"{SHOP}/robots.txt").respond(404)
    respx.get(f"{SHOP}/old").respond(301, headers={"Location": "/new"})
    respx.get(f"{SHOP}/new").respond(200, text="<html></html>", headers={"Content-Type": "text/html"})
    page, _ = fetch(f"{SHOP}/old")
    assert (page.status, page.final_url, page.redirects) == (200, f"{SHOP}/new", (f"{SHOP}/new",))
    assert page.content_type == "text/html"


@respx.mock
def test_redirect_to_another_scheme_is_refused() -> None:
    respx.get(f"{SHOP}/robots.txt").respond(404)
    respx.get(f"{SHOP}/p").respond(302, headers={"Location": "file:///etc/passwd"})
    page, _ = fetch(f"{SHOP}/p")
    assert page.error == "not an http(s) URL: 'file:///etc/passwd'"


@respx.mock
def test_requests_carry_the_user_agent_and_accept_compression() -> None:
    respx.get(f"{SHOP}/robots.txt").respond(404)
    route = respx.get(f"{SHOP}/p").respond(200, text="ok")
    fetch(f"{SHOP}/p", contact="mailto:a@shop.example.ua")
    request = route.calls.last.request
    assert request.headers["user-agent"].endswith("(+mailto:a@shop.example.ua)")
    assert "gzip" in request.headers["accept-encoding"]
    assert "br" in request.headers["accept-encoding"]


@pytest.mark.parametrize("url", ["ftp://shop.example.ua/p", "/relative/p", "https:///nohost"])
def test_unfetchable_urls_fail_without_a_request(url: str) -> None:
    with respx.mock(assert_all_mocked=True) as mock:
        page, crawler = fetch(url)
        assert not mock.calls
    assert page.error is not None
    assert crawler.requests == 0
