"""Undoing HTTP `Content-Encoding` (and gzip files) layer by layer, streaming, under caps.

httpx would decode a body itself, but a whole chunk at a time and with no bound on the output: a few
kilobytes of `Content-Encoding: gzip, gzip` or brotli become gigabytes before any size cap can look
at them. So feeds and product pages are fetched raw (with our own `Accept-Encoding`) and decoded here.

`ContentDecoder` is push/pull: `give()` it raw bytes, `take(limit)` at most `limit` decoded bytes
(`b""` when it needs more input), `end()` when the body is over (raises if a coding is cut short).
Each layer (gzip with all its members, deflate with or without the zlib wrapper, brotli, identity)
is undone by its own decompressor asked for bounded output, so no call ever holds more than a
chunk of decoded data; every layer's total output is capped (`max_output`), data that decodes at
more than `max_ratio` times its raw size (past the first MiB) is refused as a compression bomb,
and a body with more than `max_layers` codings, or with one this module does not know, is refused.
`DecodedReader` is the blocking `read(n)` view of a decoder over a raw stream (feed downloads and
gzip files).
"""

from __future__ import annotations

import zlib
from typing import Protocol

import brotli

ACCEPT_ENCODING = "gzip, deflate, br"
MAX_LAYERS = 2
CHUNK = 64 * 1024
# Real feeds and pages compress at most ~60:1 (the shared corpus: 56:1 at the most, a 4 MB Rozetka
# export 37:1); a compression bomb decodes at hundreds or thousands to one. Past RATIO_FLOOR decoded
# bytes, data decoding at more than MAX_RATIO times the raw bytes given is refused.
MAX_RATIO = 250
RATIO_FLOOR = 1024**2
_ALIASES = {"x-gzip": "gzip", "x-deflate": "deflate"}


class DecodingError(Exception):
    """A body that cannot be decoded; the message is fit for a finding."""


class OutputTooLargeError(DecodingError):
    """A coding layer produced more than the cap allows."""


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def parse_codings(header: str | None, max_layers: int = MAX_LAYERS) -> list[str]:
    """The codings of a `Content-Encoding` value in the order they were applied (`identity` dropped)."""
    codings: list[str] = []
    for part in (header or "").split(","):
        name = part.strip().lower()
        name = _ALIASES.get(name, name)
        if not name or name == "identity":
            continue
        if name not in _LAYERS:
            raise DecodingError(f"unsupported Content-Encoding {part.strip()!r} (feedaudit reads gzip, deflate, br)")
        codings.append(name)
    if len(codings) > max_layers:
        raise DecodingError(
            f"Content-Encoding {header!r} stacks {len(codings)} codings; at most {max_layers} are undone"
        )
    return codings


class _Layer:
    """One coding being undone: raw input is given, bounded decoded output is taken."""

    name = ""

    def __init__(self, max_output: int) -> None:
        self.max_output = max_output
        self.produced = 0
        self.started = False  # whether any input was given at all
        self._input = b""
        self._carry = b""

    def give(self, data: bytes) -> None:
        if data:
            self.started = True
            self._input += data

    def take(self, limit: int) -> bytes:
        if self._carry:
            out, self._carry = self._carry[:limit], self._carry[limit:]
            return out
        out = self._decode(limit)
        if len(out) > limit:
            out, self._carry = out[:limit], out[limit:]
        self.produced += len(out) + len(self._carry)
        if self.produced > self.max_output:
            raise OutputTooLargeError(f"{self.name} data decodes to more than {self.max_output:,} bytes")
        return out

    @property
    def pending(self) -> bytes:
        """Raw input given but not decoded yet."""
        return self._input

    def finished(self) -> bool:
        raise NotImplementedError

    def _decode(self, limit: int) -> bytes:
        raise NotImplementedError


class _Zlib(_Layer):
    """gzip (every member, zero padding between members ignored) or deflate (zlib-wrapped or raw)."""

    def __init__(self, name: str, max_output: int) -> None:
        super().__init__(max_output)
        self.name = name
        self._wbits = 31 if name == "gzip" else 15
        self._decoder = zlib.decompressobj(wbits=self._wbits)
        self._first = True

    def finished(self) -> bool:
        return self._decoder.eof and not self._input.lstrip(b"\0") and not self._carry

    def _decode(self, limit: int) -> bytes:
        try:
            while True:
                if self._decoder.eof:
                    rest = (self._decoder.unused_data + self._input).lstrip(b"\0")
                    if self.name != "gzip" or not rest:
                        self._input = b""  # deflate: what follows the stream is ignored; gzip: zero padding
                        return b""
                    self._decoder = zlib.decompressobj(wbits=self._wbits)  # the next gzip member
                    self._input = rest
                if not self._input:
                    return b""
                data, self._input = self._input, b""
                out = self._inflate(data, limit)
                self._input = self._decoder.unconsumed_tail
                if out:
                    return out
        except zlib.error as exc:
            raise DecodingError(f"corrupt {self.name} data ({exc})") from exc

    def _inflate(self, data: bytes, limit: int) -> bytes:
        if not self._first:
            return self._decoder.decompress(data, limit)
        self._first = False
        try:
            return self._decoder.decompress(data, limit)
        except zlib.error:
            if self.name != "deflate":
                raise
            self._decoder = zlib.decompressobj(wbits=-15)  # servers that send raw deflate without the wrapper
            return self._decoder.decompress(data, limit)


class _Brotli(_Layer):
    name = "br"

    def __init__(self, max_output: int) -> None:
        super().__init__(max_output)
        self._decoder = brotli.Decompressor()

    def finished(self) -> bool:
        return bool(self._decoder.is_finished()) and not self._carry

    def _decode(self, limit: int) -> bytes:
        try:
            while True:
                if self._decoder.is_finished():
                    self._input = b""  # what follows the stream is ignored
                    return b""
                if not self._decoder.can_accept_more_data() or not self._input:
                    out: bytes = self._decoder.process(b"", output_buffer_limit=limit)
                    if out or not self._input:
                        return out
                    continue
                data, self._input = self._input[:CHUNK], self._input[CHUNK:]
                out = self._decoder.process(data, output_buffer_limit=limit)
                if out:
                    return out
        except brotli.error as exc:
            raise DecodingError(f"corrupt br data ({exc})") from exc


_LAYERS = {"gzip", "deflate", "br"}


def _layer(name: str, max_output: int) -> _Layer:
    return _Brotli(max_output) if name == "br" else _Zlib(name, max_output)


class ContentDecoder:
    """Undoes the codings of one `Content-Encoding` header; see the module docstring."""

    def __init__(
        self, header: str | None, *, max_output: int, max_layers: int = MAX_LAYERS, max_ratio: int = MAX_RATIO
    ) -> None:
        codings = parse_codings(header, max_layers)
        self._layers = [_layer(name, max_output) for name in reversed(codings)]  # the last applied comes off first
        self._pending = b""  # identity: raw bytes pass straight through
        self.max_output = max_output
        self.max_ratio = max_ratio
        self.given = 0  # raw bytes
        self.produced = 0

    @property
    def identity(self) -> bool:
        return not self._layers

    def give(self, data: bytes) -> None:
        self.given += len(data)
        if self._layers:
            self._layers[0].give(data)
        else:
            self._pending += data

    def take(self, limit: int) -> bytes:
        if not self._layers:
            out, self._pending = self._pending[:limit], self._pending[limit:]
        else:
            out = self._take(len(self._layers) - 1, limit)
            used = self.given - len(self._layers[0].pending)  # raw bytes decoded so far
            if self.produced > RATIO_FLOOR and self.produced > self.max_ratio * used:
                raise OutputTooLargeError(
                    f"the data decodes to more than {self.max_ratio} times its compressed size "
                    f"({self.produced:,} bytes from {used:,}): a compression bomb, not a feed"
                )
        self.produced += len(out)
        return out

    def _take(self, index: int, limit: int) -> bytes:
        layer = self._layers[index]
        while True:
            out = layer.take(limit)
            if out or index == 0:
                return out
            more = self._take(index - 1, CHUNK)
            if not more:
                return b""
            layer.give(more)

    def end(self) -> None:
        """The raw body is over: raise `DecodingError` when a coding was cut short."""
        for layer in self._layers:
            if layer.started and not layer.finished():
                raise DecodingError(f"{layer.name} data is truncated")


class DecodedReader:
    """A blocking `read(n)` stream of the decoded bytes of a raw stream."""

    def __init__(self, raw: Readable, decoder: ContentDecoder) -> None:
        self._raw = raw
        self._decoder = decoder
        self._ended = False

    def read(self, size: int = -1, /) -> bytes:
        if size < 0:
            chunks = []
            while chunk := self.read(CHUNK):
                chunks.append(chunk)
            return b"".join(chunks)
        while True:
            out = self._decoder.take(size)
            if out or self._ended:
                return out
            data = self._raw.read(CHUNK)
            if data:
                self._decoder.give(data)
            else:
                self._ended = True
                self._decoder.end()


__all__ = [
    "ACCEPT_ENCODING",
    "MAX_LAYERS",
    "ContentDecoder",
    "DecodedReader",
    "DecodingError",
    "OutputTooLargeError",
    "parse_codings",
]
