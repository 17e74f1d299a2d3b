"""Which pages to fetch: all of them, a count (`--sample 200`) or a share (`--sample 5%`).

The choice is deterministic: each URL gets a key from a keyed hash of the seed and the URL, a share
takes the URLs whose key falls below it, and a count takes the URLs with the smallest keys (a
bottom-k sample, kept while the feed streams past with a heap). The same seed over the same feed
picks the same pages whatever the order of the offers; another seed picks another sample. Offers that
share a URL are fetched once and are in or out together.
"""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Iterable

from feedaudit.listings.settings import parse_sample

_SCALE = float(1 << 64)


class Sample:
    """Decides, while offers stream past, which URLs are (still) in the sample."""

    def __init__(self, sample: int | str | None, seed: int = 0) -> None:
        self.count, self.share = parse_sample(sample)
        self.seed = seed
        self._heap: list[tuple[float, str]] = []  # max-heap of the `count` smallest keys (negated)
        self._members: set[str] = set()

    def key(self, url: str) -> float:
        digest = hashlib.blake2b(url.encode("utf-8"), digest_size=8, key=str(self.seed).encode("ascii")).digest()
        return int.from_bytes(digest) / _SCALE

    def offer(self, url: str) -> bool:
        """Whether `url` is in the sample as far as the URLs seen so far tell."""
        if self.share is not None:
            return self.key(url) < self.share
        if self.count is None:
            return True
        if url in self._members:
            return True
        key = self.key(url)
        if len(self._heap) < self.count:
            heapq.heappush(self._heap, (-key, url))
            self._members.add(url)
            return True
        largest = -self._heap[0][0]
        if key >= largest:
            return False
        _, dropped = heapq.heapreplace(self._heap, (-key, url))
        self._members.discard(dropped)
        self._members.add(url)
        return True

    def final(self, urls: Iterable[str]) -> set[str]:
        """Of the URLs let through while streaming, the ones in the final sample; then start afresh."""
        kept = set(urls) if self.count is None else set(urls) & self._members
        self._heap.clear()
        self._members.clear()
        return kept
