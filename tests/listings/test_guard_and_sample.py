"""The address guard's verdicts and the deterministic page sample."""

from __future__ import annotations

import asyncio
from ipaddress import ip_address, ip_network

import pytest

from feedaudit.listings.guard import AddressRefusedError, Guard, GuardedBackend, address_kind
from feedaudit.listings.sample import Sample
from feedaudit.listings.settings import ListingsSettings, parse_sample


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.9", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("::ffff:127.0.0.1", "loopback"),
        ("100.64.0.1", "shared"),
        ("fd00::1", "private"),
        ("0.1.2.3", "unspecified"),
        ("198.18.0.1", "reserved"),
        ("192.0.2.1", "reserved"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("fec0::1", "private"),
        ("ff02::1", "multicast"),
        ("2001:db8::1", "reserved"),
        ("2001::1", "reserved"),
        ("::10.0.0.1", "reserved"),
        ("4000::1", "reserved"),
        ("::ffff:169.254.169.254", "link-local"),
        ("2002:a00:1::1", "private"),
        ("2002:7f00:1::", "loopback"),
        ("2002:a9fe:a9fe::1", "link-local"),
        ("64:ff9b::a00:1", "private"),
        ("64:ff9b::a9fe:a9fe", "link-local"),
        ("64:ff9b:1::1", "private"),
        ("8.8.8.8", None),
        ("2606:4700::1111", None),
        ("2002:808:808::1", None),
        ("64:ff9b::808:808", None),
    ],
)
def test_address_kinds(address: str, kind: str | None) -> None:
    assert address_kind(ip_address(address)) == kind


def test_guard_allows_only_listed_networks() -> None:
    guard = Guard([ip_network("127.0.0.1/32")])
    assert guard.refusal(ip_address("127.0.0.1")) is None
    assert guard.refusal(ip_address("127.0.0.2")) == "loopback"
    assert Guard(True).refusal(ip_address("10.0.0.1")) is None
    with pytest.raises(AddressRefusedError, match=r"169\.254\.169\.254: link-local"):
        Guard(False).check("169.254.169.254", ["169.254.169.254"])


@pytest.mark.parametrize("address", ["169.254.169.254", "fe80::1", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe"])
def test_allow_private_never_opens_link_local(address: str) -> None:
    """`--allow-private` lets private and loopback addresses through, but never cloud metadata."""
    assert Guard(True).refusal(ip_address(address)) == "link-local"
    with pytest.raises(AddressRefusedError, match="name the network in allow-private"):
        Guard(True).check("metadata.internal", [address])


def test_link_local_is_allowed_when_its_network_is_named() -> None:
    guard = Guard([ip_network("169.254.169.254/32"), ip_network("127.0.0.1/32")])
    assert guard.refusal(ip_address("169.254.169.254")) is None
    assert guard.refusal(ip_address("::ffff:169.254.169.254")) is None  # the same address, IPv6-mapped
    assert guard.refusal(ip_address("::ffff:127.0.0.1")) is None
    assert guard.refusal(ip_address("169.254.1.1")) == "link-local"


def test_backend_refuses_before_connecting() -> None:
    class Exploding(GuardedBackend):
        pass

    backend = Exploding(Guard(False))

    async def connect() -> None:
        await backend.connect_tcp("localhost", 9, timeout=1)

    with pytest.raises(AddressRefusedError, match=r"localhost \((127\.0\.0\.1|::1)\): loopback"):
        asyncio.run(connect())


def test_settings_reject_bad_networks_and_samples() -> None:
    with pytest.raises(ValueError, match="not an IP address"):
        ListingsSettings.model_validate({"allow-private": ["shop.example.ua"]})
    with pytest.raises(ValueError, match="neither a count"):
        ListingsSettings.model_validate({"sample": "many"})
    assert parse_sample("5%") == (None, 0.05)
    assert parse_sample("200") == (200, None)
    with pytest.raises(ValueError, match="above 0%"):
        parse_sample("0%")


URLS = [f"https://shop.example.ua/p/{n}" for n in range(1000)]


def run_sample(sample: int | str, seed: int, urls: list[str]) -> set[str]:
    chooser = Sample(sample, seed)
    kept = [url for url in urls if chooser.offer(url)]
    return chooser.final(kept)


def test_count_sample_is_exact_deterministic_and_order_free() -> None:
    first = run_sample(50, 7, URLS)
    assert len(first) == 50
    assert run_sample(50, 7, list(reversed(URLS))) == first
    assert run_sample(50, 8, URLS) != first


def test_share_sample_is_close_to_the_share_and_deterministic() -> None:
    chosen = run_sample("10%", 1, URLS)
    assert 60 <= len(chosen) <= 140
    assert run_sample("10%", 1, URLS) == chosen
    assert run_sample("10%", 1, URLS[:500]) == {url for url in chosen if url in URLS[:500]}


def test_sample_starts_afresh_for_each_feed() -> None:
    chooser = Sample(3, 0)
    first = chooser.final([url for url in URLS[:100] if chooser.offer(url)])
    second = chooser.final([url for url in URLS[100:200] if chooser.offer(url)])
    assert len(first) == len(second) == 3
    assert first.isdisjoint(second)
