"""The crawler against real HTTP servers on loopback addresses (no other network).

Each server polices its client: it records a violation for any request to a robots-forbidden path
and whenever a host has more requests in flight than the crawler's per-host limit; every test
asserts there were none.
"""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from pathlib import Path

import brotli
import pytest

from feedaudit.listings.fetch import Page
from feedaudit.listings.live import LiveListings
from feedaudit.listings.settings import ListingsSettings
from tests.listings.shopserver import Police, Reply, Request, ShopServer, gzip_bomb, html_page, running

ROBOTS_404 = Reply(404, b"")


def settings(**changes: object) -> ListingsSettings:
    base: dict[str, object] = {
        "rate": 1000.0,
        "per_host": 2,
        "timeout": 2.0,
        "retries": 2,
        "backoff": 0.05,
        "allow_private": ["127.0.0.1/32"],
    }
    return ListingsSettings.model_validate(base | changes)


def crawl(config: ListingsSettings, urls: Sequence[str]) -> list[Page]:
    return list(LiveListings(config).fetch_pages(list(urls)))


@pytest.fixture
def shop() -> ShopServer:
    return ShopServer("127.0.0.1", Police(per_host_limit=2))


def test_robots_txt_disallow_is_obeyed_and_fetched_first(shop: ShopServer) -> None:
    shop.police.forbidden = ("/private/",)
    shop.routes["/robots.txt"] = Reply(
        200, b"User-agent: *\nDisallow: /\n\nUser-agent: feedaudit\nDisallow: /private/\nAllow: /\n"
    )
    shop.routes["/ok.html"] = Reply(200, html_page())
    shop.routes["/private/secret.html"] = Reply(200, html_page())
    with running(shop):
        ok, secret = crawl(settings(), [shop.url("/ok.html"), shop.url("/private/secret.html")])
    assert ok.status == 200
    assert secret.status is None
    assert secret.error is not None
    assert "robots.txt" in secret.error
    assert shop.paths() == ["/robots.txt", "/ok.html"]
    assert shop.police.violations == []


def test_robots_txt_server_error_disallows_the_whole_origin(shop: ShopServer) -> None:
    shop.routes["/robots.txt"] = Reply(500, b"oops")
    shop.routes["/ok.html"] = Reply(200, html_page())
    with running(shop):
        (page,) = crawl(settings(retries=0), [shop.url("/ok.html")])
    assert page.error is not None
    assert "disallow all" in page.error
    assert shop.paths() == ["/robots.txt"]


def test_429_with_retry_after_waits_that_long_then_succeeds(shop: ShopServer) -> None:
    shop.routes["/robots.txt"] = ROBOTS_404
    shop.routes["/busy.html"] = [Reply(429, b"", {"Retry-After": "1"}), Reply(200, html_page())]
    with running(shop):
        (page,) = crawl(settings(), [shop.url("/busy.html")])
    assert page.status == 200
    assert page.attempts == 2
    first, second = [r for r in shop.log if r.path == "/busy.html"]
    assert second.started - first.started >= 0.95


def test_retry_after_beyond_the_cap_ends_the_retries(shop: ShopServer) -> None:
    shop.routes["/robots.txt"] = ROBOTS_404
    shop.routes["/busy.html"] = Reply(429, b"", {"Retry-After": "120"})
    with running(shop):
        (page,) = crawl(settings(max_retry_after=5), [shop.url("/busy.html")])
    assert page.status == 429
    assert shop.paths().count("/busy.html") == 1


def test_503_then_200_is_retried(shop: ShopServer) -> None:
    shop.routes["/robots.txt"] = ROBOTS_404
    shop.routes["/flaky.html"] = [Reply(503, b"down"), Reply(200, html_page())]
    with running(shop):
        (page,) = crawl(settings(), [shop.url("/flaky.html")])
    assert page.status == 200
    assert page.attempts == 2
    assert b"schema.org" in page.body


def test_persistent_503_gives_up_after_the_retries(shop: ShopServer) -> None:
    shop.routes["/robots.txt"] = ROBOTS_404
    shop.routes["/down.html"] = Reply(503, b"down")
    with running(shop):
        (page,) = crawl(settings(retries=2), [shop.url("/down.html")])
    assert page.status == 503
    assert shop.paths().count("/down.html") == 3


def test_slow_response_times_out_and_is_retried_once(shop: ShopServer) -> None:
    shop.routes["/robots.txt"] = ROBOTS_404
    shop.routes["/slow.html"] = Reply(200, html_page(), delay=1.0)
    with running(shop):
        (page,) = crawl(settings(timeout=0.25, retries=1), [shop.url("/slow.html")])
    assert page.error is not None
    assert "timed out" in page.error
    assert shop.paths().count("/slow.html") == 2


@pytest.mark.parametrize(
    "reply",
    [
        Reply(200, b"x" * 300_000, {"Content-Type": "text/html"}),
        Reply(200, headers={"Content-Type": "text/html"}, stream=400_000),
        Reply(200, gzip_bomb(2_000_000), {"Content-Type": "text/html", "Content-Encoding": "gzip"}),
    ],
    ids=["content-length", "no-length", "gzip-bomb"],
)
def test_oversized_body_is_cut_at_the_cap(shop: ShopServer, reply: Reply) -> None:
    shop.routes["/robots.txt"] = ROBOTS_404
    shop.routes["/huge.html"] = reply
    with running(shop):
        (page,) = crawl(settings(max_bytes=100_000, retries=0), [shop.url("/huge.html")])
    assert page.error is not None
    assert "100,000-byte cap" in page.error
    assert page.body == b""


def test_compressed_pages_are_decoded(shop: ShopServer) -> None:
    shop.routes["/robots.txt"] = ROBOTS_404
    body = html_page(price="777")
    shop.routes["/br.html"] = Reply(200, brotli.compress(body), {"Content-Encoding": "br"})
    shop.routes["/gz.html"] = Reply(200, gzip.compress(body), {"Content-Encoding": "gzip"})
    with running(shop):
        pages = crawl(settings(), [shop.url("/br.html"), shop.url("/gz.html")])
    assert [p.body for p in pages] == [body, body]
    assert "br" in shop.log[-1].headers["accept-encoding"]


def test_redirect_loop_is_reported(shop: ShopServer) -> None:
    shop.routes["/robots.txt"] = ROBOTS_404
    shop.routes["/a"] = Reply(301, headers={"Location": "/b"})
    shop.routes["/b"] = Reply(302, headers={"Location": "/a"})
    with running(shop):
        (page,) = crawl(settings(), [shop.url("/a")])
    assert page.error is not None
    assert page.error.startswith("redirect loop")
    assert shop.paths() == ["/robots.txt", "/a", "/b"]


def test_too_many_redirects_stop_at_the_limit(shop: ShopServer) -> None:
    shop.routes["/robots.txt"] = ROBOTS_404
    for n in range(10):
        shop.routes[f"/r{n}"] = Reply(302, headers={"Location": f"/r{n + 1}"})
    with running(shop):
        (page,) = crawl(settings(max_redirects=3), [shop.url("/r0")])
    assert page.error == "more than 3 redirects"
    assert shop.paths() == ["/robots.txt", "/r0", "/r1", "/r2", "/r3"]


def test_redirect_to_a_private_address_is_refused_before_connecting() -> None:
    police = Police(per_host_limit=2)
    public = ShopServer("127.0.0.1", police)  # allowed below, standing in for a public shop
    internal = ShopServer("127.0.0.2", police)  # not allowed: what the redirect must not reach
    internal.routes["/robots.txt"] = ROBOTS_404
    internal.routes["/admin"] = Reply(200, b"internal")
    public.routes["/robots.txt"] = ROBOTS_404
    with running(public, internal):
        public.routes["/go"] = Reply(302, headers={"Location": internal.url("/admin")})
        (page,) = crawl(settings(), [public.url("/go")])
    assert page.error is not None
    assert "refused to connect to 127.0.0.2: loopback address" in page.error
    assert page.redirects == (internal.url("/admin"),)
    assert internal.log == []
    assert public.paths() == ["/robots.txt", "/go"]


def test_host_names_are_checked_after_dns_resolution(shop: ShopServer) -> None:
    shop.routes["/robots.txt"] = ROBOTS_404
    shop.routes["/p"] = Reply(200, html_page())
    with running(shop):
        (page,) = crawl(settings(allow_private=["127.0.0.2/32"]), [f"http://localhost:{shop.port}/p"])
    assert page.error is not None
    assert "refused to connect to localhost (" in page.error
    assert shop.log == []


def test_private_addresses_are_refused_by_default(shop: ShopServer) -> None:
    shop.routes["/p"] = Reply(200, html_page())
    with running(shop):
        (page,) = crawl(settings(allow_private=False), [shop.url("/p")])
    assert page.error is not None
    assert "loopback address" in page.error
    assert shop.log == []


def test_no_host_sees_more_concurrent_requests_than_its_limit() -> None:
    police = Police(per_host_limit=2)
    one, two = ShopServer("127.0.0.1", police), ShopServer("127.0.0.2", police)
    for server in (one, two):
        server.routes["/robots.txt"] = ROBOTS_404
        for n in range(10):
            server.routes[f"/p{n}"] = Reply(200, html_page(), delay=0.08)
    with running(one, two):
        urls = [server.url(f"/p{n}") for n in range(10) for server in (one, two)]
        pages = crawl(settings(per_host=2, concurrency=8, allow_private=["127.0.0.0/8"]), urls)
    assert [p.status for p in pages] == [200] * 20
    assert police.violations == []
    assert police.peak == {"127.0.0.1": 2, "127.0.0.2": 2}  # the limit is reached, never passed
    assert police.total_peak >= 3  # hosts are crawled side by side


def test_rate_limit_spaces_requests_to_one_host(shop: ShopServer) -> None:
    shop.routes["/robots.txt"] = ROBOTS_404
    for n in range(4):
        shop.routes[f"/p{n}"] = Reply(200, html_page())
    with running(shop):
        crawl(settings(rate=5.0, per_host=4), [shop.url(f"/p{n}") for n in range(4)])
    starts = [r.started for r in shop.log]
    assert len(starts) == 5
    assert starts[-1] - starts[0] >= 0.75  # 5 requests at 5/s: at least 4 intervals of 0.2 s
    assert shop.police.violations == []


def test_crawl_delay_in_robots_txt_slows_the_crawl(shop: ShopServer) -> None:
    shop.routes["/robots.txt"] = Reply(200, b"User-agent: feedaudit\nCrawl-delay: 0.4\n")
    for n in range(3):
        shop.routes[f"/p{n}"] = Reply(200, html_page())
    with running(shop):
        crawl(settings(per_host=3), [shop.url(f"/p{n}") for n in range(3)])
    pages = [r.started for r in shop.log if r.path != "/robots.txt"]
    assert pages[-1] - pages[0] >= 0.7


def test_user_agent_names_feedaudit_and_the_contact(shop: ShopServer) -> None:
    shop.routes["/robots.txt"] = ROBOTS_404
    shop.routes["/p"] = Reply(200, html_page())
    with running(shop):
        crawl(settings(contact="mailto:audit@shop.example"), [shop.url("/p")])
    agents = {r.headers["user-agent"] for r in shop.log}
    assert len(agents) == 1
    (agent,) = agents
    assert agent.startswith("feedaudit/")
    assert agent.endswith("(+mailto:audit@shop.example)")


def test_cache_revalidates_with_etag_and_serves_304_from_disk(shop: ShopServer, tmp_path: Path) -> None:
    body = html_page(price="4321")

    def page(request: Request) -> Reply:
        if request.headers.get("if-none-match") == '"v1"':
            return Reply(304, headers={"ETag": '"v1"'})
        return Reply(200, body, {"ETag": '"v1"', "Content-Type": "text/html; charset=utf-8"})

    shop.routes["/robots.txt"] = ROBOTS_404
    shop.routes["/p"] = page
    config = settings(cache_dir=str(tmp_path))
    with running(shop):
        (first,) = LiveListings(config).fetch_urls([shop.url("/p")])
        second_fetcher = LiveListings(config)
        (second,) = second_fetcher.fetch_urls([shop.url("/p")])
    assert first.price == second.price == 4321
    assert second_fetcher.cache is not None
    assert second_fetcher.cache.hits == 1
    requests = [r for r in shop.log if r.path == "/p"]
    assert "if-none-match" not in requests[0].headers
    assert requests[1].headers["if-none-match"] == '"v1"'


def test_closing_the_crawl_early_cancels_it(shop: ShopServer) -> None:
    shop.routes["/robots.txt"] = ROBOTS_404
    for n in range(20):
        shop.routes[f"/p{n}"] = Reply(200, html_page(), delay=0.05)
    with running(shop):
        pages = LiveListings(settings(per_host=1)).fetch_pages([shop.url(f"/p{n}") for n in range(20)])
        first = next(iter(pages))
        pages.close()  # type: ignore[attr-defined]
        fetched = len(shop.log)
    assert first.status == 200
    assert fetched < 21
