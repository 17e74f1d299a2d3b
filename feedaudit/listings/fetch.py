"""The polite async crawler that fetches product pages.

Politeness is per host: at most `per-host` requests in flight (an `asyncio.Semaphore`) spaced by at
least `1 / rate` seconds (an `aiolimiter.AsyncLimiter` of one request per interval), slower still when
robots.txt asks for it (`Crawl-delay`, `Request-rate`), and paused for every request to a host that
answered 429 or 503 with `Retry-After`. robots.txt is fetched once per origin before any page of it
and obeyed for the `feedaudit` user agent (RFC 9309: 4xx means allow all, 5xx or unreachable means
disallow all). Requests are retried on 408, 425, 429, 500, 502, 503, 504 and on dropped connections
or timeouts, honouring `Retry-After` up to `max-retry-after`, else with doubling backoff and jitter.
Redirects are followed by hand, so each hop passes robots.txt, the politeness gate and the address
guard (see `guard.py`); a loop or too many hops ends the fetch. Bodies are streamed raw, their
`Content-Encoding` undone by `feedaudit.decoding` and cut at `max-bytes` of decoded size, so
compression cannot smuggle a bomb past the cap. A page has a wall-clock `deadline` for all its
requests together (time waiting for its turn does not count), on top of the per-read `timeout`, so a
server that trickles its headers or body a byte at a time ends the page instead of stalling the run.

A fetch never raises for what a server does: the `Page` carries the status or the reason it failed.
"""

from __future__ import annotations

import asyncio
import email.utils
import importlib.util
import random
import ssl
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx
from aiolimiter import AsyncLimiter
from protego import Protego

from feedaudit._version import __version__
from feedaudit.decoding import ACCEPT_ENCODING, ContentDecoder, DecodingError, OutputTooLargeError
from feedaudit.listings.cache import CacheEntry, PageCache
from feedaudit.listings.guard import AddressRefusedError, Guard, GuardedBackend
from feedaudit.listings.settings import ListingsSettings

RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
ROBOTS_MAX_BYTES = 500 * 1024
ROBOTS_MAX_REDIRECTS = 5
PRODUCT_TOKEN = "feedaudit"


@dataclass(frozen=True, slots=True)
class Page:
    """The outcome of fetching one URL: the final response, or why there is none."""

    url: str
    final_url: str | None = None
    status: int | None = None
    content_type: str | None = None
    body: bytes = b""
    error: str | None = None
    redirects: tuple[str, ...] = ()
    from_cache: bool = False
    attempts: int = 0


class FetchError(Exception):
    """A request that ended without a usable response; the message says why."""


class _BodyError(Exception):
    """A body over its cap, or one that cannot be decoded."""


@dataclass(slots=True)
class _Budget:
    """What is left of a page's deadline (see `Crawler._get`)."""

    seconds: float
    spent: float = 0.0

    def left(self) -> float:
        return self.seconds - self.spent

    def message(self) -> str:
        return f"no complete response within the {self.seconds:g}-second deadline"


@dataclass(slots=True)
class _Response:
    status: int
    headers: httpx.Headers
    body: bytes = b""
    from_cache: bool = False
    attempts: int = 1


@dataclass(slots=True)
class _Host:
    """Politeness state of one host name."""

    semaphore: asyncio.Semaphore
    interval: float
    limiter: AsyncLimiter
    pause_until: float = 0.0

    def slow_down(self, interval: float) -> None:
        if interval > self.interval:
            self.interval = interval
            self.limiter = AsyncLimiter(1, interval)

    def pause(self, seconds: float) -> None:
        self.pause_until = max(self.pause_until, time.monotonic() + seconds)


@dataclass(slots=True)
class _Robots:
    """robots.txt verdict of one origin: a parsed file, or allow / disallow all."""

    rules: Protego | None = None
    allow_all: bool = True
    reason: str = ""

    def allows(self, url: str) -> bool:
        if self.rules is not None:
            return bool(self.rules.can_fetch(url, PRODUCT_TOKEN))
        return self.allow_all


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with the address guard as its network backend."""

    def __init__(
        self, guard: Guard, *, http2: bool, max_connections: int, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        context = ssl_context or httpx.create_ssl_context()
        super().__init__(verify=context, http2=http2, trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=context,
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=5.0,
            http1=True,
            http2=http2,
            network_backend=GuardedBackend(guard),
        )


def http2_available() -> bool:
    return importlib.util.find_spec("h2") is not None


def user_agent(contact: str | None) -> str:
    """`feedaudit/<version>`, with `(+contact)` when the configuration gives one."""
    return f"{PRODUCT_TOKEN}/{__version__}" + (f" (+{contact})" if contact else "")


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header: delta-seconds or an HTTP-date; None if unreadable."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def describe(exc: Exception) -> str:
    """A short reason for a transport failure."""
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out ({exc.__class__.__name__})"
    text = str(exc).strip() or exc.__class__.__name__
    return text.splitlines()[0]


class Crawler:
    """Fetches pages politely; use as `async with Crawler(settings) as crawler:`."""

    def __init__(
        self,
        settings: ListingsSettings,
        *,
        cache: PageCache | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.settings = settings
        self.cache = cache
        self.user_agent = user_agent(settings.contact)
        self.guard = Guard(settings.private_networks())
        self.http2 = settings.http2 and http2_available()
        self._transport = transport or GuardedTransport(
            self.guard, http2=self.http2, max_connections=settings.concurrency, ssl_context=ssl_context
        )
        self._client: httpx.AsyncClient | None = None
        self._hosts: dict[str, _Host] = {}
        self._robots: dict[str, _Robots] = {}
        self._robots_locks: dict[str, asyncio.Lock] = {}
        self._slots: asyncio.Semaphore | None = None
        self.requests = 0  # requests sent, robots.txt included (for reports and tests)

    async def __aenter__(self) -> Crawler:
        self._client = httpx.AsyncClient(
            transport=self._transport,
            headers={
                "User-Agent": self.user_agent,
                "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
                "Accept-Encoding": ACCEPT_ENCODING,
            },
            timeout=httpx.Timeout(self.settings.timeout, pool=None),
            follow_redirects=False,
            trust_env=False,
        )
        self._slots = asyncio.Semaphore(self.settings.concurrency)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # -- many pages ---------------------------------------------------------------------------------

    async def crawl(
        self, urls: Sequence[str], on_done: Callable[[int], None] | None = None
    ) -> AsyncIterator[tuple[int, Page]]:
        """Fetch every URL; yield `(index, page)` as each completes (not in order)."""
        window = max(self.settings.concurrency * 8, 64)
        pending: set[asyncio.Task[tuple[int, Page]]] = set()
        done_count = 0

        async def one(index: int, url: str) -> tuple[int, Page]:
            return index, await self.fetch(url)

        position = 0
        try:
            while position < len(urls) or pending:
                while position < len(urls) and len(pending) < window:
                    pending.add(asyncio.create_task(one(position, urls[position])))
                    position += 1
                finished, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in finished:
                    done_count += 1
                    if on_done is not None:
                        on_done(done_count)
                    yield task.result()
        finally:
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)

    # -- one page -----------------------------------------------------------------------------------

    async def fetch(self, url: str) -> Page:
        """Fetch one page: robots.txt, politeness, retries, redirects, caps. Never raises for the server."""
        redirects: list[str] = []
        current = url
        attempts = 0
        budget = _Budget(self.settings.deadline)
        try:
            for _hop in range(self.settings.max_redirects + 1):
                problem = _unfetchable(current)
                if problem:
                    return Page(url, final_url=current, error=problem, redirects=tuple(redirects), attempts=attempts)
                robots = await self._robots_for(current)
                if not robots.allows(current):
                    reason = robots.reason or "robots.txt disallows it for feedaudit"
                    return Page(url, final_url=current, error=reason, redirects=tuple(redirects), attempts=attempts)
                response = await self._get(current, budget, want_body=True)
                attempts += response.attempts
                location = response.headers.get("location")
                if response.status in REDIRECT_STATUSES and location:
                    target = urljoin(current, location.strip())
                    if target == url or target in redirects:
                        return Page(
                            url,
                            final_url=target,
                            status=response.status,
                            error=f"redirect loop: {' -> '.join([url, *redirects, target])}",
                            redirects=tuple(redirects),
                            attempts=attempts,
                        )
                    redirects.append(target)
                    current = target
                    continue
                return Page(
                    url,
                    final_url=current,
                    status=response.status,
                    content_type=response.headers.get("content-type"),
                    body=response.body,
                    redirects=tuple(redirects),
                    from_cache=response.from_cache,
                    attempts=attempts,
                )
        except FetchError as exc:
            return Page(url, final_url=current, error=str(exc), redirects=tuple(redirects), attempts=attempts)
        return Page(
            url,
            final_url=current,
            error=f"more than {self.settings.max_redirects} redirects",
            redirects=tuple(redirects),
            attempts=attempts,
        )

    # -- robots.txt ---------------------------------------------------------------------------------

    async def _robots_for(self, url: str) -> _Robots:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}".lower()
        known = self._robots.get(origin)
        if known is not None:
            return known
        lock = self._robots_locks.setdefault(origin, asyncio.Lock())
        async with lock:
            known = self._robots.get(origin)
            if known is None:
                known = await self._load_robots(origin)
                self._robots[origin] = known
                rules = known.rules
                if rules is not None:
                    self._apply_robots_pace(parts.hostname or "", rules)
            return known

    async def _load_robots(self, origin: str) -> _Robots:
        current = f"{origin}/robots.txt"
        budget = _Budget(self.settings.deadline)
        try:
            for _hop in range(ROBOTS_MAX_REDIRECTS + 1):
                response = await self._get(current, budget, want_body=True, body_cap=ROBOTS_MAX_BYTES, cache=False)
                location = response.headers.get("location")
                if response.status in REDIRECT_STATUSES and location:
                    current = urljoin(current, location.strip())
                    if _unfetchable(current):
                        return _Robots(allow_all=True)  # RFC 9309: an unusable redirect counts as "not found"
                    continue
                if 200 <= response.status < 300:
                    text = response.body.decode("utf-8", errors="replace")
                    return _Robots(rules=Protego.parse(text))
                if 400 <= response.status < 500 and response.status != 429:
                    return _Robots(allow_all=True)
                return _Robots(allow_all=False, reason=f"robots.txt unavailable (HTTP {response.status}): disallow all")
        except FetchError as exc:
            if "refused to connect" in str(exc):
                return _Robots(allow_all=False, reason=str(exc))
            return _Robots(allow_all=False, reason=f"robots.txt unreachable ({exc}): disallow all")
        return _Robots(allow_all=True)

    def _apply_robots_pace(self, hostname: str, rules: Protego) -> None:
        host = self._host(hostname)
        delay = rules.crawl_delay(PRODUCT_TOKEN)
        if delay:
            host.slow_down(float(delay))
        rate = rules.request_rate(PRODUCT_TOKEN)
        if rate is not None and rate.requests:
            host.slow_down(rate.seconds / rate.requests)

    # -- requests -----------------------------------------------------------------------------------

    def _host(self, hostname: str) -> _Host:
        key = hostname.lower()
        host = self._hosts.get(key)
        if host is None:
            interval = 1.0 / self.settings.rate
            host = _Host(asyncio.Semaphore(self.settings.per_host), interval, AsyncLimiter(1, interval))
            self._hosts[key] = host
        return host

    async def _get(
        self,
        url: str,
        budget: _Budget,
        *,
        want_body: bool,
        body_cap: int | None = None,
        cache: bool = True,
    ) -> _Response:
        """One GET with retries and politeness; raises `FetchError` when no response is usable.

        Every attempt runs under what is left of `budget`: time in requests counts, waiting for a
        turn (politeness, retry delays) does not."""
        assert self._client is not None, "use the crawler as an async context manager"
        assert self._slots is not None
        host = self._host(urlsplit(url).hostname or "")
        entry = self.cache.lookup(url) if cache and self.cache is not None else None
        headers = entry.conditional_headers() if entry is not None else {}
        attempts = self.settings.retries + 1
        for attempt in range(attempts):
            async with host.semaphore:
                wait = host.pause_until - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                await host.limiter.acquire()
                async with self._slots:
                    if budget.left() <= 0:
                        raise FetchError(budget.message())
                    started = time.monotonic()
                    try:
                        async with asyncio.timeout(budget.left()):
                            outcome = await self._attempt(
                                url, headers, entry, host, attempt, want_body=want_body, body_cap=body_cap, cache=cache
                            )
                    except TimeoutError as exc:
                        raise FetchError(budget.message()) from exc
                    finally:
                        budget.spent += time.monotonic() - started
            if isinstance(outcome, _Response):
                return outcome
            await asyncio.sleep(outcome)
        raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover

    async def _attempt(
        self,
        url: str,
        headers: dict[str, str],
        entry: CacheEntry | None,
        host: _Host,
        attempt: int,
        *,
        want_body: bool,
        body_cap: int | None,
        cache: bool,
    ) -> _Response | float:
        """One request: the response, or the delay before the next attempt."""
        assert self._client is not None
        last = attempt == self.settings.retries
        try:
            self.requests += 1
            async with self._client.stream("GET", url, headers=headers) as response:
                status = response.status_code
                if status in RETRY_STATUSES and not last:
                    delay = self._retry_delay(response, attempt)
                    if delay is None:  # Retry-After beyond the cap: stop here
                        return _Response(status, response.headers, attempts=attempt + 1)
                    if status in {429, 503}:
                        host.pause(delay)
                    return delay
                if status == 304 and entry is not None and self.cache is not None:
                    self.cache.hits += 1
                    return _Response(200, entry.headers, entry.body, from_cache=True, attempts=attempt + 1)
                body = b""
                if want_body and 200 <= status < 300:
                    body = await _read_capped(response, body_cap or self.settings.max_bytes)
                    if cache and self.cache is not None:
                        self.cache.store(url, response.headers, body)
                return _Response(status, response.headers, body, attempts=attempt + 1)
        except AddressRefusedError as exc:
            raise FetchError(str(exc)) from exc
        except _BodyError as exc:
            raise FetchError(str(exc)) from exc
        except httpx.TransportError as exc:
            if last or not _retryable(exc):
                raise FetchError(describe(exc)) from exc
            return self._backoff(attempt)

    def _retry_delay(self, response: httpx.Response, attempt: int) -> float | None:
        asked = retry_after(response.headers.get("retry-after"))
        if asked is None:
            return self._backoff(attempt)
        if asked > self.settings.max_retry_after:
            return None
        return asked

    def _backoff(self, attempt: int) -> float:
        base: float = self.settings.backoff * (2**attempt)
        jitter: float = random.uniform(0, base / 4)  # spreads retries out; not cryptography
        return base + jitter


def _retryable(exc: httpx.TransportError) -> bool:
    return isinstance(exc, httpx.TimeoutException | httpx.NetworkError | httpx.RemoteProtocolError)


def _unfetchable(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return f"not a valid URL: {url!r}"
    if parts.scheme not in {"http", "https"}:
        return f"not an http(s) URL: {url!r}"
    if not parts.hostname:
        return f"URL has no host: {url!r}"
    return None


async def _read_capped(response: httpx.Response, cap: int) -> bytes:
    """The body, its `Content-Encoding` undone here (see `feedaudit.decoding`), cut at `cap` decoded bytes."""
    length = response.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > cap and "content-encoding" not in response.headers:
        raise _BodyError(f"page is larger than the {cap:,}-byte cap (Content-Length {int(length):,})")
    chunks: list[bytes] = []
    size = 0
    try:
        decoder = ContentDecoder(response.headers.get("content-encoding"), max_output=cap)
        async for raw in response.aiter_raw():
            decoder.give(raw)
            while data := decoder.take(cap - size + 1):
                size += len(data)
                if size > cap:
                    raise _BodyError(f"page is larger than the {cap:,}-byte cap")
                chunks.append(data)
        decoder.end()
    except OutputTooLargeError as exc:
        raise _BodyError(f"page is larger than the {cap:,}-byte cap ({exc})") from exc
    except DecodingError as exc:
        raise _BodyError(f"cannot decode the page: {exc}") from exc
    return b"".join(chunks)
