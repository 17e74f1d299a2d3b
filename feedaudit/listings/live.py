"""`LiveListings`: the engine's `ListingFetcher`, and the bridge from the sync engine to the async crawler.

While a feed streams, `wants(offer)` keeps the offers whose URL is in the sample; at the end of the
feed, `fetch(offers)` crawls their pages and yields `(offer, Listing)` in the feed's order, as soon as
each page (and every page before it) is done. The crawl runs on its own event loop in a worker
thread, so the engine stays synchronous and callers that already run an event loop are not
disturbed; pages are read into listings on that thread, so only small listings cross over. Closing
the iterator early cancels the crawl.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import ssl
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TypeVar

import httpx

from feedaudit.listings.cache import PageCache
from feedaudit.listings.extract import Target, extract_listing
from feedaudit.listings.fetch import Crawler, Page
from feedaudit.listings.sample import Sample
from feedaudit.listings.settings import ListingsSettings
from feedaudit.model import Listing, Offer

T = TypeVar("T")
PageProgress = Callable[[str, int, int], None]  # (label, done, total)


class _Done:
    pass


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


class LiveListings:
    """Fetches and reads the live pages of a sample of offers (or of given URLs)."""

    def __init__(
        self,
        settings: ListingsSettings | None = None,
        *,
        progress: PageProgress | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.settings = settings or ListingsSettings()
        self.progress = progress
        self.sample = Sample(self.settings.sample, self.settings.seed)
        self.cache = PageCache(self.settings.cache_dir) if self.settings.cache_dir is not None else None
        self._transport = transport
        self._ssl_context = ssl_context
        self.pages = 0  # pages fetched (or tried) so far
        self.requests = 0  # HTTP requests sent so far, robots.txt and retries included

    # -- the engine's ListingFetcher --------------------------------------------------------------

    def wants(self, offer: Offer) -> bool:
        url = (offer.url or "").strip()
        return bool(url) and self.sample.offer(url)

    def fetch(self, offers: Sequence[Offer]) -> Iterator[tuple[Offer, Listing]]:
        chosen = self.sample.final((offer.url or "").strip() for offer in offers)
        by_url: dict[str, list[Offer]] = {}
        for offer in offers:
            url = (offer.url or "").strip()
            if url in chosen:
                by_url.setdefault(url, []).append(offer)
        urls = list(by_url)
        groups = [by_url[url] for url in urls]

        def read(index: int, page: Page) -> list[Listing]:
            return [
                extract_listing(page, Target.of(offer.url, offer.offer_id, offer.vendor_code, offer.barcode))
                for offer in groups[index]
            ]

        for index, listings in enumerate(self._crawl(urls, read, label="pages")):
            yield from zip(groups[index], listings, strict=True)

    # -- pages on their own -------------------------------------------------------------------------

    def fetch_urls(self, urls: Iterable[str]) -> Iterator[Listing]:
        """The listing of each URL, in the order given (duplicates fetched once)."""
        ordered = list(dict.fromkeys(url.strip() for url in urls if url.strip()))
        yield from self._crawl(ordered, lambda _index, page: extract_listing(page), label="pages")

    def fetch_pages(self, urls: Sequence[str]) -> Iterator[Page]:
        """The raw fetched pages, in order (for tools and tests that want bytes, not listings)."""
        yield from self._crawl(list(urls), lambda _index, page: page, label="pages")

    # -- the bridge ---------------------------------------------------------------------------------

    def _crawl(self, urls: Sequence[str], read: Callable[[int, Page], T], *, label: str) -> Iterator[T]:
        if not urls:
            return
        results: queue.Queue[tuple[int, T] | _Done | _Failed] = queue.Queue()
        stop = threading.Event()
        lock = threading.Lock()
        running: dict[str, object] = {}
        total = len(urls)

        def on_done(done: int) -> None:
            if self.progress is not None:
                self.progress(label, done, total)

        async def crawl() -> None:
            with lock:
                if stop.is_set():
                    return
                running["loop"] = asyncio.get_running_loop()
                running["task"] = asyncio.current_task()
            crawler = Crawler(self.settings, cache=self.cache, transport=self._transport, ssl_context=self._ssl_context)
            try:
                async with crawler:
                    async for index, page in crawler.crawl(urls, on_done):
                        self.pages += 1
                        results.put((index, read(index, page)))
            finally:
                self.requests += crawler.requests

        def work() -> None:
            try:
                asyncio.run(crawl())
            except BaseException as exc:  # handed to the consuming thread, which re-raises it
                results.put(_Failed(exc))
            else:
                results.put(_Done())

        thread = threading.Thread(target=work, name="feedaudit-crawler", daemon=True)
        thread.start()
        position = 0
        try:
            waiting: dict[int, T] = {}
            while position < total:
                item = results.get()
                if isinstance(item, _Failed):
                    raise item.error
                if isinstance(item, _Done):
                    break
                waiting[item[0]] = item[1]
                while position in waiting:
                    yield waiting.pop(position)
                    position += 1
        finally:
            with lock:
                stop.set()
                loop, task = running.get("loop"), running.get("task")
                early = position < total and thread.is_alive()  # closed before the end: cancel the crawl
                if early and isinstance(loop, asyncio.AbstractEventLoop) and isinstance(task, asyncio.Task):
                    with contextlib.suppress(RuntimeError):  # the loop closed in the meantime
                        loop.call_soon_threadsafe(task.cancel)
            thread.join()
