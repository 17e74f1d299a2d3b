"""Crawl overhead: feedaudit's polite crawler against a bare httpx async loop, in one run.

A loopback shop (tests/listings/shopserver.py) runs in a child process on 127.0.0.1 … 127.0.0.N, one
server per address, each answering every product page after a fixed think time. Both clients fetch
the same pages at the same concurrency (N hosts × per-host limit in flight):

- bare: one `httpx.AsyncClient`, an `asyncio.Semaphore` of that size, GET and read each body;
- feedaudit: `LiveListings.fetch_pages` with politeness on: robots.txt fetched and obeyed per origin,
  per-host semaphores, the per-host rate limiter (its rate set above what the server can serve, so it
  spaces but does not bind), retries, redirect handling, the body cap, the address guard (loopback
  allowed by network), the crawler thread and in-order delivery;
- feedaudit+extract: the same, reading every page into a `Listing` (JSON-LD, microdata, OpenGraph, text).

Rounds alternate the clients; the median of each is reported with the ratio to the bare loop.

    python bench/crawl_bench.py --pages 2000 --hosts 4 --per-host 4 --think 0.03 --rounds 3
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import platform
import statistics
import sys
import time
from multiprocessing.connection import Connection
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from feedaudit.listings.live import LiveListings  # noqa: E402
from feedaudit.listings.settings import ListingsSettings  # noqa: E402
from tests.listings.shopserver import Reply, ShopServer  # noqa: E402


def serve(hosts: int, think: float, page: bytes, pipe: Connection) -> None:
    servers = []
    for n in range(hosts):
        server = ShopServer(f"127.0.0.{n + 1}")
        server.routes["/robots.txt"] = Reply(200, b"User-agent: *\nDisallow: /cart\n")
        server.routes["/p"] = Reply(200, page, {"Content-Type": "text/html; charset=utf-8"}, delay=think)
        server.start()
        servers.append(server)
    pipe.send([server.origin for server in servers])
    pipe.recv()  # wait until told to stop
    for server in servers:
        server.stop()


async def bare(urls: list[str], concurrency: int) -> int:
    limit = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(20.0, pool=None)) as client:

        async def one(url: str) -> int:
            async with limit:
                response = await client.get(url)
                return len(response.content)

        sizes = await asyncio.gather(*(one(url) for url in urls))
    return sum(sizes)


def timed(label: str, run: object) -> float:
    started = time.perf_counter()
    assert callable(run)
    count = run()
    elapsed = time.perf_counter() - started
    print(f"  {label:<18} {elapsed:7.2f} s  ({count} pages)", flush=True)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--hosts", type=int, default=4)
    parser.add_argument("--per-host", type=int, default=4)
    parser.add_argument("--think", type=float, default=0.03, help="server think time per page, seconds")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    page = (ROOT / "fixtures" / "pages" / "prom.html").read_bytes()
    here, there = multiprocessing.Pipe()
    child = multiprocessing.Process(target=serve, args=(args.hosts, args.think, page, there), daemon=True)
    child.start()
    origins: list[str] = here.recv()
    urls = [f"{origins[n % len(origins)]}/p?id={n}" for n in range(args.pages)]
    concurrency = args.hosts * args.per_host
    settings = ListingsSettings.model_validate(
        {
            "per-host": args.per_host,
            "concurrency": concurrency,
            "rate": 100_000.0,
            "allow-private": ["127.0.0.0/8"],
            "http2": False,
        }
    )

    def run_bare() -> int:
        asyncio.run(bare(urls, concurrency))
        return len(urls)

    def run_feedaudit() -> int:
        pages = list(LiveListings(settings).fetch_pages(urls))
        assert all(p.status == 200 for p in pages), {p.error or p.status for p in pages}
        return len(pages)

    def run_extract() -> int:
        listings = list(LiveListings(settings).fetch_urls(urls))
        assert all(listing.price is not None for listing in listings)
        return len(listings)

    print(f"{args.pages} pages, {args.hosts} hosts x {args.per_host} in flight = {concurrency}, think {args.think} s")
    print(f"python {platform.python_version()}, httpx {httpx.__version__}, {platform.machine()}")
    results: dict[str, list[float]] = {"bare": [], "feedaudit": [], "feedaudit+extract": []}
    run_bare()  # warm-up: imports, first connections
    for round_number in range(args.rounds):
        print(f"round {round_number + 1}")
        results["bare"].append(timed("bare httpx", run_bare))
        results["feedaudit"].append(timed("feedaudit", run_feedaudit))
        results["feedaudit+extract"].append(timed("feedaudit+extract", run_extract))
    here.send("stop")
    child.join(5)

    base = statistics.median(results["bare"])
    print("\nmedian wall time, pages/s, ratio to bare:")
    for label, times in results.items():
        median = statistics.median(times)
        print(f"  {label:<18} {median:7.2f} s  {args.pages / median:7.0f}/s  {median / base:5.2f}x")


if __name__ == "__main__":
    main()
