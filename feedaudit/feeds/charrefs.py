"""Character references to UTF-16 surrogates, made readable before the XML parser sees them.

Exporters written in JavaScript or Java escape a character outside the Basic Multilingual Plane (an
emoji) as two references to its UTF-16 halves, `&#55357;&#56832;`. XML forbids references to surrogates;
libxml2 reports them and, recovering, stores bytes that are not UTF-8, which no text access can decode.
`SurrogateReferences` wraps the byte stream and rewrites them on the way in: a high and low half
written one after the other become one reference to the character they pair into (`&#128512;`), a half
on its own becomes U+FFFD. Each rewrite is reported (the feed is still not valid XML), with its line.

The rewrite works on bytes, so it needs an encoding where `&#…;` is ASCII: UTF-8 and the single-byte
encodings. A UTF-16 or UTF-32 feed is transcoded to UTF-8 first (its declaration is rewritten to say
so), which also keeps the other byte-level guards of the reader correct for it.
"""

from __future__ import annotations

import codecs
import re

from feedaudit.feeds.source import Readable

MAX_REPORTS = 20
# Long enough to hold a pair of references (`&#x0D83D;&#x0DE00;`) cut at the end of a block.
_HOLD_BACK = 40
# References that may name a surrogate (U+D800..U+DFFF = 55296..57343); the callback checks exactly.
_REF = rb"&#(?:[xX]0*[dD][89a-fA-F][0-9a-fA-F]{2}|0*5[5-7][0-9]{3});"
_SURROGATE_REFS = re.compile(rb"(" + _REF + rb")(" + _REF + rb")?")
_REF_AT_END = re.compile(_REF + rb"$")
_DECLARATION = re.compile(r"""^(\ufeff?<\?xml[^>]*?encoding\s*=\s*)(["'])[^"']*\2""")
_WIDE_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def _code_point(reference: bytes) -> int:
    body = reference[2:-1]
    return int(body[1:], 16) if body[:1] in (b"x", b"X") else int(body)


def _hold_back(data: bytes) -> int:
    """Where to cut a block so no reference, and no pair of them, is split: before a `&` with no `;` after
    it near the end, and before a reference to a high half that ends the block (its low half may follow)."""
    end = len(data)
    last = data.rfind(b"&", max(end - _HOLD_BACK, 0))
    if last >= 0 and b";" not in data[last:]:
        end = last
    high = _REF_AT_END.search(data, max(end - _HOLD_BACK, 0), end)
    if high is not None and 0xD800 <= _code_point(high.group()) <= 0xDBFF:
        end = high.start()
    return end


def wide_encoding(head: bytes) -> str | None:
    """The codec of a UTF-16 or UTF-32 document told from its first bytes, or None for ASCII-based ones."""
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if head.startswith(b"<\x00\x00\x00"):
        return "utf-32-le"
    if head.startswith(b"\x00\x00\x00<"):
        return "utf-32-be"
    if head.startswith(b"<\x00"):
        return "utf-16-le"
    if head.startswith(b"\x00<"):
        return "utf-16-be"
    return None


class SurrogateReferences:
    """A readable stream with surrogate character references rewritten (see the module docstring).

    `reports` collects `(line, message)` for each rewrite, up to MAX_REPORTS; `rewritten` counts all.
    """

    def __init__(self, stream: Readable) -> None:
        self._stream = stream
        self._carry = b""
        self._eof = False
        self._started = False
        self._decoder: codecs.IncrementalDecoder | None = None
        self._lines = 1  # line of the first byte not yet handed out
        self.reports: list[tuple[int, str]] = []
        self.rewritten = 0

    def read(self, size: int = -1, /) -> bytes:
        while True:
            chunk = self._next(size)
            data = self._carry + chunk
            self._carry = b""
            if not self._eof and data:
                cut = _hold_back(data)
                data, self._carry = data[:cut], data[cut:]
            if data or self._eof:
                break
        if b"&#" in data:
            data = self._rewrite(data)
        self._lines += data.count(b"\n")
        return data

    def _next(self, size: int) -> bytes:
        if self._eof:
            return b""
        chunk = self._stream.read(size)
        if not self._started:
            self._started = True
            while chunk and len(chunk) < 4:  # enough to tell the encoding
                more = self._stream.read(size)
                if not more:
                    break
                chunk += more
            encoding = wide_encoding(chunk)
            if encoding is not None:
                self._decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
                text = self._decoder.decode(chunk).removeprefix("\ufeff")
                return _DECLARATION.sub(r"\1\2UTF-8\2", text, count=1).encode("utf-8", "replace")
        if not chunk:
            self._eof = True
            if self._decoder is not None:
                return self._decoder.decode(b"", final=True).encode("utf-8", "replace")
            return b""
        if self._decoder is not None:
            return self._decoder.decode(chunk).encode("utf-8", "replace")
        return chunk

    def _rewrite(self, data: bytes) -> bytes:
        def replace(match: re.Match[bytes]) -> bytes:
            first, second = match.group(1), match.group(2)
            high = _code_point(first)
            low = _code_point(second) if second is not None else None
            if 0xD800 <= high <= 0xDBFF and low is not None and 0xDC00 <= low <= 0xDFFF:
                character = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                self._report(
                    data,
                    match.start(),
                    f"character references {first.decode()}{second.decode()} are the two UTF-16 halves "
                    f"of U+{character:04X}, which XML does not allow; read as &#{character}; (write that instead)",
                )
                return b"&#%d;" % character
            return self._lone(data, match.start(), first) + (
                self._lone(data, match.start(2), second) if second is not None else b""
            )

        return _SURROGATE_REFS.sub(replace, data)

    def _lone(self, data: bytes, at: int, reference: bytes) -> bytes:
        value = _code_point(reference)
        if not 0xD800 <= value <= 0xDFFF:
            return reference
        self._report(
            data,
            at,
            f"character reference {reference.decode()} is half of a UTF-16 surrogate pair, "
            "which XML does not allow; read as U+FFFD",
        )
        return b"&#xFFFD;"

    def _report(self, data: bytes, at: int, message: str) -> None:
        self.rewritten += 1
        if len(self.reports) < MAX_REPORTS:
            self.reports.append((self._lines + data.count(b"\n", 0, at), message))
