"""Where feed bytes come from: a path, an http(s) URL, `-` for stdin, gzip or zip, under a size cap.

`open_source` returns a `Source`: a small read-only binary stream that counts the bytes it has given
out, stops at the size cap (and says so), and undoes gzip/zip compression and HTTP `Content-Encoding`
(see `feedaudit.decoding`) with a cap on the *decompressed* size, so a compression bomb is just a
feed that hit the cap. A feed URL is fetched through the crawler's address guard (every redirect hop
too) and within a deadline, so a trickling server is cut off. Opening and reading failures raise
`SourceError` with a message fit for a finding; nothing here knows XML.
"""

from __future__ import annotations

import functools
import io
import os
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import IO, TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import ssl
    from ipaddress import IPv4Network, IPv6Network

    import httpx

    from feedaudit.listings.guard import Deadline, Guard

from feedaudit.decoding import (
    ACCEPT_ENCODING,
    MAX_RATIO,
    RATIO_FLOOR,
    ContentDecoder,
    DecodedReader,
    DecodingError,
    OutputTooLargeError,
)
from feedaudit.errors import SourceError, SourceLimitError

DEFAULT_MAX_BYTES = 8 * 1024**3  # 8 GiB decompressed; Google's own per-file cap is 4 GB
DEFAULT_TIMEOUT = 30.0
DEFAULT_DEADLINE = 45.0
DEADLINE_BYTES_PER_SECOND = 64 * 1024  # each 64 KiB received earns a download one more second
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
    deadline: float = DEFAULT_DEADLINE  # seconds a download may wait on the network (see `guard.Deadline`)
    allow_private: bool | Sequence[IPv4Network | IPv6Network] = False  # non-public addresses let through
    max_ratio: int = MAX_RATIO  # decoded bytes per compressed byte (see `decoding`)


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


class _Decoded:
    """The decoded bytes of a raw stream (a gzip file, a `Content-Encoding`), errors told as `SourceError`."""

    def __init__(self, raw: Readable, decoder: ContentDecoder, name: str) -> None:
        self._reader = DecodedReader(raw, decoder)
        self._name = name

    def read(self, size: int = -1, /) -> bytes:
        try:
            return self._reader.read(size)
        except OutputTooLargeError as exc:
            raise SourceLimitError(f"{self._name}: {exc}") from exc
        except DecodingError as exc:
            raise SourceError(f"{self._name}: {exc}") from exc


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
            decoder = ContentDecoder("gzip", max_output=options.max_bytes + CHUNK, max_ratio=options.max_ratio)
            raw = _Decoded(raw, decoder, name)
        elif head.startswith(ZIP_MAGIC):
            raw = _open_zip_member(spec, raw, name, closers, options.max_bytes, options.max_ratio)
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
    """The decoded body of a feed URL. Every connection (redirects too) passes the address guard, the
    download as a whole has a deadline, and `Content-Encoding` is undone here under the size cap."""
    import httpx  # noqa: PLC0415 - imported on first use: it costs ~80 ms of start-up that local feeds never need

    from feedaudit.listings.guard import (  # noqa: PLC0415 - with httpx
        AddressRefusedError,
        Deadline,
        DeadlineExceededError,
        Guard,
    )

    deadline = Deadline(options.deadline, DEADLINE_BYTES_PER_SECOND)
    client = httpx.Client(
        transport=_guarded_transport(Guard(options.allow_private), deadline),
        timeout=options.timeout,
        follow_redirects=True,
        max_redirects=5,
        headers={"User-Agent": options.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
        trust_env=False,  # an environment proxy would connect past the guard
    )
    closers.append(client)
    try:
        request = client.build_request("GET", url)
        response = client.send(request, stream=True)
    except (httpx.HTTPError, AddressRefusedError, DeadlineExceededError) as exc:
        raise SourceError(f"cannot fetch {url}: {_reason(exc)}") from exc
    closers.append(response)
    if response.status_code >= 400:
        raise SourceError(f"cannot fetch {url}: HTTP {response.status_code} {response.reason_phrase}")
    try:
        decoder = ContentDecoder(
            response.headers.get("content-encoding"), max_output=options.max_bytes + CHUNK, max_ratio=options.max_ratio
        )
    except DecodingError as exc:
        raise SourceError(f"cannot fetch {url}: {exc}") from exc
    length = response.headers.get("content-length")
    total = int(length) if length and length.isdigit() else None

    def chunks() -> Iterator[bytes]:
        try:
            yield from response.iter_raw(CHUNK)
        except (httpx.HTTPError, DeadlineExceededError) as exc:
            raise SourceError(f"{url}: transfer failed: {_reason(exc)}") from exc

    raw: Readable = _ChunkReader(chunks())
    return (raw if decoder.identity else _Decoded(raw, decoder, url)), total


def _reason(exc: Exception) -> str:
    import httpx  # noqa: PLC0415

    if isinstance(exc, httpx.HTTPError):
        return f"{exc.__class__.__name__}: {exc}"
    return str(exc)


def _ssl_context() -> ssl.SSLContext:
    """The TLS context for feed downloads, trusting SSL_CERT_FILE / SSL_CERT_DIR as httpx does."""
    return _ssl_context_for(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


@functools.lru_cache(maxsize=4)
def _ssl_context_for(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    """One context per trust store: loading it costs about 20-30 ms of CPU, more than fetching a small feed."""
    import httpx  # noqa: PLC0415

    return httpx.create_ssl_context()  # reads the same two variables


def _guarded_transport(guard: Guard, deadline: Deadline) -> httpx.HTTPTransport:
    """httpx's transport, connecting through the address guard with the download's deadline."""
    import httpcore  # noqa: PLC0415
    import httpx  # noqa: PLC0415

    from feedaudit.listings.guard import GuardedSyncBackend  # noqa: PLC0415

    context = _ssl_context()
    transport = httpx.HTTPTransport(verify=context, trust_env=False)
    transport._pool = httpcore.ConnectionPool(
        ssl_context=context, max_connections=4, network_backend=GuardedSyncBackend(guard, deadline)
    )
    return transport


def _open_zip_member(
    spec: str,
    raw: Readable,
    name: str,
    closers: list[IO[bytes] | httpx.Response | httpx.Client],
    max_bytes: int,
    max_ratio: int,
) -> Readable:
    """The first XML member of a zip archive. Needs a seekable file, so URLs and stdin are spooled."""
    if spec != "-" and not is_url(spec):
        archive_file: IO[bytes] = open(spec, "rb")  # noqa: SIM115 - closed by Source.close
    else:
        archive_file = _spool(raw, max_bytes, name)
    closers.append(archive_file)
    try:
        archive = zipfile.ZipFile(archive_file)
    except zipfile.BadZipFile as exc:
        raise SourceError(f"{name}: not a readable zip archive ({exc})") from exc
    members = [m for m in archive.infolist() if not m.is_dir()]
    xml_members = [m for m in members if m.filename.lower().endswith((".xml", ".yml"))] or members
    if not xml_members:
        raise SourceError(f"{name}: zip archive holds no files")
    info = xml_members[0]
    if info.file_size > RATIO_FLOOR and info.file_size > max_ratio * max(info.compress_size, 1):
        raise SourceLimitError(
            f"{name}: {info.filename} unpacks to {info.file_size:,} bytes from {info.compress_size:,}, more than "
            f"{max_ratio} times its compressed size: a compression bomb, not a feed"
        )
    member = archive.open(info)  # reads at most the member's declared size
    closers.append(member)
    return member


def _spool(raw: Readable, max_bytes: int, name: str) -> IO[bytes]:
    spool = tempfile.SpooledTemporaryFile(max_size=64 * 1024 * 1024)  # noqa: SIM115 - closed by Source.close
    while chunk := raw.read(CHUNK):
        spool.write(chunk)
        if spool.tell() > max_bytes:
            spool.close()
            raise SourceError(f"{name}: the zip archive is larger than the {max_bytes:,}-byte limit")
    spool.seek(0)
    return spool


__all__ = ["DEFAULT_MAX_BYTES", "Prefixed", "Readable", "Source", "SourceOptions", "open_source"]
