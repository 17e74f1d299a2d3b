"""Per-token request rate: a token bucket per API token, refilled continuously, kept in memory (each
server process enforces the rate on its own)."""

from __future__ import annotations

import math
import threading
import time


class RateLimiter:
    def __init__(self) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}  # token id -> (tokens left, when counted)
        self._lock = threading.Lock()

    def take(self, key: str, per_minute: int) -> int:
        """Take one request from `key`'s bucket: 0 when allowed, else the seconds until one is."""
        now = time.monotonic()
        rate = per_minute / 60.0
        with self._lock:
            left, then = self._buckets.get(key, (float(per_minute), now))
            left = min(float(per_minute), left + (now - then) * rate)
            if left >= 1.0:
                self._buckets[key] = (left - 1.0, now)
                return 0
            self._buckets[key] = (left, now)
            return max(1, math.ceil((1.0 - left) / rate)) if rate > 0 else 60
