"""Where feed bytes come from: a path, an http(s) URL, `-` for stdin, gzip or zip, under a size cap.

`open_source` returns a `Source`: a small read-only binary stream that counts the bytes it has given
out, stops at the size cap (and says so), and undoes gzip/zip compression with a cap on the
*decompressed* size, so a compression bomb is just a feed that hit the cap. Opening failures raise
`SourceError` with a message fit for a finding; nothing here knows XML.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import IO, TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import httpx

from feedaudit.errors import SourceError

DEFAULT_MAX_BYTES = 8 * 1024**3  # 8 GiB decompressed; Google's own per-file cap is 4 GB
DEFAULT_TIMEOUT = 30.0
CHUNK = 64 * 1024
GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


@dataclass(frozen=True, slots=True)
class SourceOptions:
    max_bytes: int = DEFAULT_MAX_BYTES
    timeout: float = DEFAULT_TIMEOUT
    user_agent: str = "feedaudit"


class Source(io.RawIOBase):
    """A capped, counting, read-only byte stream over one feed."""

    def __init__(
        self,
        name: str,
        raw: Readable,
        *,
        max_bytes: int,
        total_size: int | None = None,
        closers: tuple[IO[bytes] | httpx.Response | httpx.Client, ...] = (),
        position: Callable[[], int] | None = None,
    ) -> None:
        super().__init__()
        self._position = position
        self.name = name
        self.max_bytes = max_bytes
        self.total_size = total_size  # compressed or transfer size when known, for progress only
        self.bytes_read = 0
        self.limit_hit = False
        self._raw = raw
        self._closers = closers

    def readable(self) -> bool:
        return True

    def progress(self) -> tuple[int, int | None]:
        """(bytes consumed, total) on the scale of `total_size` (compressed bytes for a .gz file)."""
        if self._position is not None:
            try:
                return self._position(), self.total_size
            except (OSError, ValueError):
                pass
        return self.bytes_read, self.total_size

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        room = self.max_bytes - self.bytes_read
        if room <= 0:
            if self._raw.read(1):
                self.limit_hit = True
            return 0
        data = self._raw.read(min(len(buffer), room))
        n = len(data)
        buffer[:n] = data
        self.bytes_read += n
        return n

    def close(self) -> None:
        if not self.closed:
            for closer in reversed(self._closers):
                closer.close()
        super().close()

    def __enter__(self) -> Source:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class Prefixed:
    """A reader that first returns already-read bytes, then the rest of the underlying stream."""

    def __init__(self, head: bytes, rest: Readable) -> None:
        self._head = head
        self._rest = rest

    def read(self, size: int = -1, /) -> bytes:
        if not self._head:
            return self._rest.read(size)
        if size < 0:
            head, self._head = self._head, b""
            return head + self._rest.read()
        head, self._head = self._head[:size], self._head[size:]
        return head


class _ChunkReader:
    """Turns an iterator of byte chunks (an HTTP body) into a `read(n)` stream."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""

    def read(self, size: int = -1, /) -> bytes:
        while size < 0 or len(self._buffer) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
        if size < 0:
            data, self._buffer = self._buffer, b""
        else:
            data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data


class _GzipMembers:
    """Streaming gzip decoder (all members), raising `SourceError` on corrupt data."""

    def __init__(self, raw: Readable, name: str) -> None:
        self._raw = raw
        self._name = name
        self._decoder = zlib.decompressobj(wbits=31)
        self._pending = b""

    def read(self, size: int = -1, /) -> bytes:
        want = CHUNK if size < 0 else size
        out = b""
        try:
            while len(out) < want:
                if self._decoder.unconsumed_tail:
                    out += self._decoder.decompress(self._decoder.unconsumed_tail, want - len(out))
                    continue
                if self._decoder.eof:
                    rest = self._decoder.unused_data
                    if not rest:
                        rest = self._raw.read(CHUNK)
                    if not rest.lstrip(b"\0"):
                        break
                    self._decoder = zlib.decompressobj(wbits=31)
                    out += self._decoder.decompress(rest, want - len(out))
                    continue
                chunk = self._raw.read(CHUNK)
                if not chunk:
                    if not out:
                        raise SourceError(f"{self._name}: gzip data is truncated")
                    break
                out += self._decoder.decompress(chunk, want - len(out))
        except zlib.error as exc:
            raise SourceError(f"{self._name}: corrupt gzip data ({exc})") from exc
        return out


def is_url(spec: str) -> bool:
    """Whether a feed spec is fetched over the network (else it is a path, or `-`)."""
    return spec.startswith(("http://", "https://"))


def open_source(spec: str, options: SourceOptions | None = None) -> Source:
    """Open a feed for reading. `spec` is a path, an http(s) URL, or `-` for standard input."""
    options = options or SourceOptions()
    closers: list[IO[bytes] | httpx.Response | httpx.Client] = []
    total: int | None = None
    position: Callable[[], int] | None = None
    raw: Readable
    try:
        if spec == "-":
            raw = sys.stdin.buffer
            name = "<stdin>"
        elif is_url(spec):
            raw, total = _open_url(spec, options, closers)
            name = spec
        else:
            handle = open(spec, "rb")  # noqa: SIM115 - closed by Source.close
            closers.append(handle)
            total = os.fstat(handle.fileno()).st_size
            position = handle.tell
            raw = handle
            name = spec
        head = raw.read(4)
        raw = Prefixed(head, raw)
        if head.startswith(GZIP_MAGIC):
            raw = _GzipMembers(raw, name)
        elif head.startswith(ZIP_MAGIC):
            raw = _open_zip_member(spec, raw, name, closers)
    except OSError as exc:
        for closer in closers:
            closer.close()
        reason = exc.strerror or str(exc)
        raise SourceError(f"cannot read {spec}: {reason}") from exc
    except SourceError:
        for closer in closers:
            closer.close()
        raise
    return Source(name, raw, max_bytes=options.max_bytes, total_size=total, closers=tuple(closers), position=position)


def _open_url(
    url: str,
    options: SourceOptions,
    closers: list[IO[bytes] | httpx.Response | httpx.Client],
) -> tuple[Readable, int | None]:
    import httpx  # noqa: PLC0415 - imported on first use: it costs ~80 ms of start-up that local feeds never need

    client = httpx.Client(
        timeout=options.timeout,
        follow_redirects=True,
        max_redirects=5,
        headers={"User-Agent": options.user_agent, "Accept-Encoding": "gzip, deflate"},
    )
    closers.append(client)
    try:
        request = client.build_request("GET", url)
        response = client.send(request, stream=True)
    except httpx.HTTPError as exc:
        raise SourceError(f"cannot fetch {url}: {exc.__class__.__name__}: {exc}") from exc
    closers.append(response)
    if response.status_code >= 400:
        raise SourceError(f"cannot fetch {url}: HTTP {response.status_code} {response.reason_phrase}")
    length = response.headers.get("content-length")
    total = int(length) if length and length.isdigit() else None

    def chunks() -> Iterator[bytes]:
        try:
            yield from response.iter_bytes(CHUNK)
        except httpx.HTTPError as exc:
            raise SourceError(f"{url}: transfer failed: {exc.__class__.__name__}: {exc}") from exc

    return _ChunkReader(chunks()), total


def _open_zip_member(
    spec: str,
    raw: Readable,
    name: str,
    closers: list[IO[bytes] | httpx.Response | httpx.Client],
) -> Readable:
    """The first XML member of a zip archive. Needs a seekable file, so URLs and stdin are spooled."""
    if spec != "-" and not is_url(spec):
        archive_file: IO[bytes] = open(spec, "rb")  # noqa: SIM115 - closed by Source.close
    else:
        archive_file = _spool(raw)
    closers.append(archive_file)
    try:
        archive = zipfile.ZipFile(archive_file)
    except zipfile.BadZipFile as exc:
        raise SourceError(f"{name}: not a readable zip archive ({exc})") from exc
    members = [m for m in archive.infolist() if not m.is_dir()]
    xml_members = [m for m in members if m.filename.lower().endswith((".xml", ".yml"))] or members
    if not xml_members:
        raise SourceError(f"{name}: zip archive holds no files")
    member = archive.open(xml_members[0])
    closers.append(member)
    return member


def _spool(raw: Readable) -> IO[bytes]:
    spool = tempfile.SpooledTemporaryFile(max_size=64 * 1024 * 1024)  # noqa: SIM115 - closed by Source.close
    while chunk := raw.read(CHUNK):
        spool.write(chunk)
    spool.seek(0)
    return spool


__all__ = ["DEFAULT_MAX_BYTES", "Prefixed", "Readable", "Source", "SourceOptions", "open_source"]
