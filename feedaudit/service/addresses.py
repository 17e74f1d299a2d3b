"""Feed and webhook URLs given to the service are untrusted: each host is resolved and checked with the
crawler's address guard (`feedaudit.listings.guard`) before anything is fetched from it or sent to it,
so a submission cannot make the service reach its own network (loopback, private, link-local, metadata
addresses) unless the operator allowed those networks."""

from __future__ import annotations

import socket
from ipaddress import ip_address
from urllib.parse import urlsplit

from feedaudit.listings.guard import AddressRefusedError, Guard, Network


def refusal(url: str, allow: bool | tuple[Network, ...]) -> str | None:
    """Why `url` may not be fetched (a sentence), or None. A host that does not resolve is not refused
    here: fetching it fails on its own, as a finding."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        return f"not a valid URL: {exc}"
    if parts.scheme not in ("http", "https") or not host:
        return "only http and https URLs with a host can be fetched"
    try:
        addresses = [str(ip_address(host))]
    except ValueError:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            return None
        addresses = list(dict.fromkeys(str(info[4][0]).split("%", 1)[0] for info in infos))
    try:
        Guard(allow).check(host, addresses)
    except AddressRefusedError as exc:
        return str(exc)
    return None
