"""The optional on-disk page cache, so nightly runs do not download unchanged pages again.

A page is kept only when its response carries an `ETag` or a `Last-Modified` validator. The next run
sends `If-None-Match` / `If-Modified-Since`; a `304 Not Modified` answer is served from the cache. Each
entry is one gzip file named by the SHA-256 of the URL: a JSON line of metadata, then the body. Files
are written atomically (a temporary file renamed into place); an unreadable entry counts as a miss.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

_KEPT_HEADERS = ("content-type", "etag", "last-modified")


@dataclass(frozen=True, slots=True)
class CacheEntry:
    url: str
    headers: httpx.Headers
    body: bytes
    stored: float

    def conditional_headers(self) -> dict[str, str]:
        result = {}
        if "etag" in self.headers:
            result["If-None-Match"] = self.headers["etag"]
        if "last-modified" in self.headers:
            result["If-Modified-Since"] = self.headers["last-modified"]
        return result


class PageCache:
    """A directory of cached pages keyed by URL."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.hits = 0  # revalidated (304) answers served from the cache

    def _path(self, url: str) -> Path:
        digest = hashlib.sha256(url.encode("utf-8")).hexdigest()
        return self.directory / digest[:2] / f"{digest}.gz"

    def lookup(self, url: str) -> CacheEntry | None:
        path = self._path(url)
        try:
            with gzip.open(path, "rb") as handle:
                meta = json.loads(handle.readline())
                body = handle.read()
        except (OSError, EOFError, ValueError):
            return None
        if not isinstance(meta, dict) or meta.get("url") != url:
            return None
        return CacheEntry(url, httpx.Headers(meta.get("headers", {})), body, float(meta.get("stored", 0)))

    def store(self, url: str, headers: httpx.Headers, body: bytes) -> bool:
        """Keep a 2xx page that has a validator; return whether it was kept."""
        if "etag" not in headers and "last-modified" not in headers:
            return False
        path = self._path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {
            "url": url,
            "headers": {name: headers[name] for name in _KEPT_HEADERS if name in headers},
            "stored": time.time(),
        }
        handle, temporary = tempfile.mkstemp(prefix=".page.", dir=path.parent)
        try:
            with os.fdopen(handle, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=5) as out:
                out.write(json.dumps(meta, ensure_ascii=False).encode("utf-8") + b"\n")
                out.write(body)
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        return True
