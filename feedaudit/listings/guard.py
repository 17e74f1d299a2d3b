"""The SSRF guard: which addresses the crawler may connect to.

URLs in a feed are untrusted: a product link to `http://169.254.169.254/` or `http://localhost:6379/`
must not make feedaudit talk to the cloud metadata service or a database on the auditor's network.
The guard sits where connections are made (an httpcore network backend), so it applies to every
request: the first one, every redirect hop and robots.txt. It resolves the host name itself, refuses
the connection when any address is not public (private, loopback, link-local, unspecified, multicast,
reserved, shared), and then connects to the checked address, so a second DNS answer cannot swap in
another one. `allow` is False (refuse all of them), True, or a list of networks that are let through.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterable, Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

import httpcore

IPAddress = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network


class AddressRefusedError(Exception):
    """A connection the guard would not make."""

    def __init__(self, host: str, address: str, kind: str) -> None:
        where = address if host == address else f"{host} ({address})"
        super().__init__(f"refused to connect to {where}: {kind} address (use --allow-private to allow)")
        self.host = host
        self.address = address
        self.kind = kind


def address_kind(address: IPAddress) -> str | None:
    """Why `address` is not a public one (`'loopback'`, `'private'`, …), or None when it is."""
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address_kind(address.ipv4_mapped)
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
    )
    for kind, hit in checks:
        if hit:
            return kind
    return None if address.is_global else "non-public"


class Guard:
    """Decides whether an address may be connected to."""

    def __init__(self, allow: bool | Sequence[Network] = False) -> None:
        self.allow_all = allow is True
        self.networks: tuple[Network, ...] = () if isinstance(allow, bool) else tuple(allow)

    def refusal(self, address: IPAddress) -> str | None:
        """The reason to refuse `address`, or None to allow it."""
        kind = address_kind(address)
        if kind is None or self.allow_all:
            return None
        if any(address.version == net.version and address in net for net in self.networks):
            return None
        return kind

    def check(self, host: str, addresses: Iterable[str]) -> None:
        for text in addresses:
            kind = self.refusal(ip_address(text))
            if kind is not None:
                raise AddressRefusedError(host, text, kind)


async def resolve(host: str, port: int, timeout: float | None) -> list[str]:
    """The addresses `host` resolves to (an address literal resolves to itself)."""
    try:
        return [str(ip_address(host.strip("[]")))]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP), timeout
        )
    except TimeoutError as exc:
        raise httpcore.ConnectTimeout(f"resolving {host} timed out") from exc
    except OSError as exc:
        raise httpcore.ConnectError(f"cannot resolve {host}: {exc.strerror or exc}") from exc
    addresses: list[str] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        text = str(sockaddr[0]).split("%", 1)[0]
        if text not in addresses:
            addresses.append(text)
    if not addresses:
        raise httpcore.ConnectError(f"cannot resolve {host}: no address")
    return addresses


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
