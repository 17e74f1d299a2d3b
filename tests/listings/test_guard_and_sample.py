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
        ("100.64.0.1", "non-public"),
        ("fd00::1", "private"),
        ("8.8.8.8", None),
        ("2606:4700::1111", None),
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
