"""The SSRF guard: which addresses feedaudit may connect to, for pages, robots.txt and feed URLs alike.

URLs in a feed (and the feed URLs of a many-feeds run) are untrusted: a product link or a feed's
redirect to `http://169.254.169.254/` or `http://localhost:6379/` must not make feedaudit talk to the
cloud metadata service or a database on the auditor's network. The guard sits where connections are
made (an httpcore network backend, async for the crawler and sync for feed downloads), so it applies
to every request: the first one, every redirect hop and robots.txt. It resolves the host name itself,
refuses the connection when any address is not public, and then connects to the checked address, so
a second DNS answer cannot swap in another one.

Not public: the IPv4 special-purpose ranges (0/8, 10/8, 100.64/10, 127/8, 169.254/16, 172.16/12,
192.0.0/24, the documentation and benchmarking ranges, 192.168/16, 224/4, 240/4) and, for IPv6,
everything outside global unicast 2000::/3 plus unique-local, site-local (fec0::/10), documentation,
Teredo and the like. IPv6 forms that carry an IPv4 address (IPv4-mapped ::ffff:0:0/96, NAT64
64:ff9b::/96, 6to4 2002::/16) are judged by that IPv4 address. The tables are this module's own, so
the verdicts do not change with the Python release.

`allow` is False (refuse them all), True (`--allow-private`: every non-public address except
link-local, where cloud metadata services live) or a list of networks let through, link-local too
when listed. `Deadline` bounds the time a feed download may wait on the network.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable, Iterable, Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address
from typing import Any, TypeVar

import httpcore

IPAddress = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network
T = TypeVar("T")

NEVER_IMPLIED = frozenset({"link-local"})  # opened only by naming the network, never by `--allow-private`

_IPV4_RANGES: tuple[tuple[IPv4Network, str], ...] = tuple(
    (IPv4Network(network), kind)
    for network, kind in (
        ("0.0.0.0/8", "unspecified"),
        ("10.0.0.0/8", "private"),
        ("100.64.0.0/10", "shared"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local"),
        ("172.16.0.0/12", "private"),
        ("192.0.0.0/24", "reserved"),
        ("192.0.2.0/24", "reserved"),
        ("192.88.99.0/24", "reserved"),
        ("192.168.0.0/16", "private"),
        ("198.18.0.0/15", "reserved"),
        ("198.51.100.0/24", "reserved"),
        ("203.0.113.0/24", "reserved"),
        ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved"),
    )
)
_IPV6_RANGES: tuple[tuple[IPv6Network, str], ...] = tuple(
    (IPv6Network(network), kind)
    for network, kind in (
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("fe80::/10", "link-local"),
        ("fec0::/10", "private"),
        ("fc00::/7", "private"),
        ("ff00::/8", "multicast"),
        ("64:ff9b:1::/48", "private"),
        ("2001::/23", "reserved"),  # IETF protocol assignments, Teredo among them
        ("2001:db8::/32", "reserved"),
        ("3fff::/20", "reserved"),
    )
)
_GLOBAL_UNICAST = IPv6Network("2000::/3")
_IPV4_MAPPED = IPv6Network("::ffff:0:0/96")
_NAT64 = IPv6Network("64:ff9b::/96")
_SIX_TO_FOUR = IPv6Network("2002::/16")


class AddressRefusedError(Exception):
    """A connection the guard would not make."""

    def __init__(self, host: str, address: str, kind: str) -> None:
        where = address if host == address else f"{host} ({address})"
        hint = f"name the network in allow-private to allow {kind}" if kind in NEVER_IMPLIED else "use --allow-private"
        super().__init__(f"refused to connect to {where}: {kind} address ({hint})")
        self.host = host
        self.address = address
        self.kind = kind


class DeadlineExceededError(Exception):
    """A download that waited on the network for longer than its deadline allows."""


def embedded_ipv4(address: IPAddress) -> IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (IPv4-mapped, NAT64, 6to4), if any."""
    if isinstance(address, IPv4Address):
        return None
    value = int(address)
    if address in _IPV4_MAPPED or address in _NAT64:
        return IPv4Address(value & 0xFFFFFFFF)
    if address in _SIX_TO_FOUR:
        return IPv4Address((value >> 80) & 0xFFFFFFFF)
    return None


def address_kind(address: IPAddress) -> str | None:
    """Why `address` is not a public one (`'loopback'`, `'private'`, …), or None when it is."""
    inner = embedded_ipv4(address)
    if inner is not None:
        return address_kind(inner)
    if isinstance(address, IPv4Address):
        return next((kind for network, kind in _IPV4_RANGES if address in network), None)
    kind = next((kind for network, kind in _IPV6_RANGES if address in network), None)
    if kind is None and address not in _GLOBAL_UNICAST:
        return "reserved"
    return kind


class Guard:
    """Decides whether an address may be connected to."""

    def __init__(self, allow: bool | Sequence[Network] = False) -> None:
        self.allow_all = allow is True
        self.networks: tuple[Network, ...] = () if isinstance(allow, bool) else tuple(allow)

    def refusal(self, address: IPAddress) -> str | None:
        """The reason to refuse `address`, or None to allow it."""
        kind = address_kind(address)
        if kind is None:
            return None
        forms = [address] + [inner for inner in (embedded_ipv4(address),) if inner is not None]
        if any(form.version == net.version and form in net for form in forms for net in self.networks):
            return None
        if self.allow_all and kind not in NEVER_IMPLIED:
            return None
        return kind

    def check(self, host: str, addresses: Iterable[str]) -> None:
        for text in addresses:
            kind = self.refusal(ip_address(text))
            if kind is not None:
                raise AddressRefusedError(host, text, kind)


def _literal(host: str) -> list[str] | None:
    try:
        return [str(ip_address(host.strip("[]")))]
    except ValueError:
        return None


def _addresses(host: str, infos: Iterable[tuple[Any, ...]]) -> list[str]:
    addresses: list[str] = []
    for *_rest, sockaddr in infos:
        text = str(sockaddr[0]).split("%", 1)[0]
        if text not in addresses:
            addresses.append(text)
    if not addresses:
        raise httpcore.ConnectError(f"cannot resolve {host}: no address")
    return addresses


async def resolve(host: str, port: int, timeout: float | None) -> list[str]:
    """The addresses `host` resolves to (an address literal resolves to itself)."""
    literal = _literal(host)
    if literal is not None:
        return literal
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP), timeout
        )
    except TimeoutError as exc:
        raise httpcore.ConnectTimeout(f"resolving {host} timed out") from exc
    except OSError as exc:
        raise httpcore.ConnectError(f"cannot resolve {host}: {exc.strerror or exc}") from exc
    return _addresses(host, infos)


def resolve_sync(host: str, port: int) -> list[str]:
    """`resolve` for blocking code (feed downloads)."""
    literal = _literal(host)
    if literal is not None:
        return literal
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise httpcore.ConnectError(f"cannot resolve {host}: {exc.strerror or exc}") from exc
    return _addresses(host, infos)


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that resolves, checks, then connects to the checked address."""

    def __init__(self, guard: Guard, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self.guard = guard
        self.inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await resolve(host, port, timeout)
        self.guard.check(host, addresses)
        error: Exception | None = None
        for address in addresses:
            try:
                return await self.inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None
        raise error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise AddressRefusedError(path, path, "unix-socket")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class Deadline:
    """The time a download may spend waiting on the network (connecting, sending, receiving).

    `seconds` of waiting in all, plus one second for every `bytes_per_second` bytes received: a
    stalled or trickling server runs out after about `seconds`, while a large feed that keeps
    arriving is never cut. Time the reader spends on the bytes it has (parsing) is not counted.
    """

    def __init__(self, seconds: float, bytes_per_second: float) -> None:
        self.seconds = seconds
        self.bytes_per_second = bytes_per_second
        self.waited = 0.0
        self.received = 0

    def left(self) -> float:
        return self.seconds + self.received / self.bytes_per_second - self.waited

    def clamp(self, timeout: float | None) -> float:
        left = self.left()
        if left <= 0:
            raise DeadlineExceededError(self.message())
        return left if timeout is None else min(timeout, left)

    def timed(self, timeout: float | None, operation: Callable[[float | None], T]) -> T:
        """Run a blocking network operation with its timeout cut to what is left; count the wait."""
        limit = self.clamp(timeout)
        started = time.monotonic()
        try:
            return operation(limit)
        except (httpcore.ReadTimeout, httpcore.WriteTimeout, httpcore.ConnectTimeout) as exc:
            if timeout is None or limit < timeout:
                raise DeadlineExceededError(self.message(time.monotonic() - started)) from exc
            raise
        finally:
            self.waited += time.monotonic() - started

    def message(self, waiting: float = 0.0) -> str:
        return (
            f"the download ran past its {self.seconds:g}-second deadline "
            f"({self.received:,} bytes received in {self.waited + waiting:.0f} s)"
        )


class _DeadlineStream(httpcore.NetworkStream):
    """A network stream whose every operation is bounded by what is left of a `Deadline`."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: Deadline) -> None:
        self._inner = inner
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        data: bytes = self._deadline.timed(timeout, lambda limit: self._inner.read(max_bytes, limit))
        self._deadline.received += len(data)
        return data

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._deadline.timed(timeout, lambda limit: self._inner.write(buffer, limit))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        inner = self._deadline.timed(timeout, lambda limit: self._inner.start_tls(ssl_context, server_hostname, limit))
        return _DeadlineStream(inner, self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class GuardedSyncBackend(httpcore.NetworkBackend):
    """The blocking twin of `GuardedBackend`, for feed downloads; with a `Deadline` when given."""

    def __init__(
        self, guard: Guard, deadline: Deadline | None = None, inner: httpcore.NetworkBackend | None = None
    ) -> None:
        self.guard = guard
        self.deadline = deadline
        self.inner = inner or httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = resolve_sync(host, port)
        self.guard.check(host, addresses)
        error: Exception | None = None
        for address in addresses:

            def connect(limit: float | None, address: str = address) -> httpcore.NetworkStream:
                return self.inner.connect_tcp(
                    address, port, timeout=limit, local_address=local_address, socket_options=socket_options
                )

            try:
                if self.deadline is None:
                    return connect(timeout)
                stream = self.deadline.timed(timeout, connect)
                return _DeadlineStream(stream, self.deadline)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None
        raise error

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        raise AddressRefusedError(path, path, "unix-socket")

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)
