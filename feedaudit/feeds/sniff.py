"""Which dialect a feed is, told from its first bytes: root element, namespaces, declared encoding.

`sniff` reads a prefix of the stream (and gives back a stream that still starts at byte 0), finds the
root element with a safe pull parser, and names the dialect. It also spots two things only the raw
prefix shows: an encoding declaration that contradicts the bytes, and entity declarations that point
outside the document (XXE attempts, which are never resolved but are worth reporting).
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field

from lxml import etree

from feedaudit.feeds.source import Readable
from feedaudit.feeds.xmlstream import local
from feedaudit.model import Dialect

PREFIX_BYTES = 64 * 1024
GOOGLE_NS = "http://base.google.com/ns/1.0"
ATOM_NS = ("http://www.w3.org/2005/Atom", "http://purl.org/atom/ns#")
RSS1_NS = "http://purl.org/rss/1.0/"
SINGLE_BYTE_ENCODINGS = re.compile(r"^(windows-125\d|cp125\d|koi8-[ru]|iso-8859-\d+|latin-?1)$", re.I)
_DECLARED_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_EXTERNAL_ENTITY = re.compile(rb"<!ENTITY\s+(?:%\s*)?[^\s>]+\s+(?:SYSTEM|PUBLIC)\b", re.I)
_META_MARKERS = (b"quantity_to_sell_on_facebook", b"fb_product_category", b"facebook.com", b"instagram.com")
_BOM_UTF8 = b"\xef\xbb\xbf"


@dataclass(slots=True)
class Sniffed:
    """What the first bytes of a feed say about it."""

    root: str | None = None  # "{ns}local" or "local"; None when no element could be found
    root_local: str | None = None
    dialect: Dialect | None = None
    declared_encoding: str | None = None
    encoding_problem: str | None = None
    external_entity: bool = False
    undeclared_prefix: str | None = None  # e.g. "g:id": a prefixed tag whose prefix no xmlns declares
    notes: list[str] = field(default_factory=list)

    def describe_root(self) -> str:
        return self.root or "no XML root element"


def read_prefix(stream: Readable, size: int = PREFIX_BYTES) -> bytes:
    """Read up to `size` bytes from a stream, tolerating short reads."""
    parts: list[bytes] = []
    got = 0
    while got < size:
        chunk = stream.read(size - got)
        if not chunk:
            break
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def sniff(prefix: bytes) -> Sniffed:
    """Name the dialect of a feed from its first bytes."""
    result = Sniffed()
    body = prefix.removeprefix(_BOM_UTF8)
    match = _DECLARED_ENCODING.match(body)
    if match:
        result.declared_encoding = match.group(1).decode("ascii").lower()
    result.encoding_problem = _encoding_problem(body, result.declared_encoding)
    result.external_entity = bool(_EXTERNAL_ENTITY.search(body[:PREFIX_BYTES]))

    tags, namespaces = _first_elements(prefix)
    if not tags:
        return result
    result.root = tags[0]
    result.root_local = local(tags[0])
    result.dialect = _dialect(result.root_local, tags, namespaces, body)
    if result.dialect is None:
        # the parser recovers an undeclared prefix as part of the name: <g:id> without xmlns:g
        result.undeclared_prefix = next((t for t in tags if ":" in t and not t.startswith("{")), None)
    return result


def _encoding_problem(body: bytes, declared: str | None) -> str | None:
    """A declared single-byte encoding over bytes that are plainly UTF-8 (libxml2 cannot notice this)."""
    if declared is None or not SINGLE_BYTE_ENCODINGS.match(declared):
        return None
    sample = body[: PREFIX_BYTES - 8]
    if not any(b >= 0x80 for b in sample):
        return None
    # Drop a possibly cut multi-byte sequence at the end of the sample before the strict decode.
    for cut in range(4):
        try:
            sample[: len(sample) - cut].decode("utf-8")
        except UnicodeDecodeError:
            continue
        return f"the feed declares encoding {declared!r} but its bytes are UTF-8; text will be garbled"
    return None


def _first_elements(prefix: bytes, limit: int = 400) -> tuple[list[str], set[str]]:
    parser = etree.XMLPullParser(
        events=("start", "start-ns"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        recover=True,
        huge_tree=True,
    )
    tags: list[str] = []
    namespaces: set[str] = set()
    with contextlib.suppress(etree.XMLSyntaxError):
        parser.feed(prefix)
    try:
        for event, item in parser.read_events():
            if event == "start-ns":
                assert isinstance(item, tuple)
                namespaces.add(str(item[1]))
            elif isinstance(item, etree._Element) and isinstance(item.tag, str):
                tags.append(item.tag)
            if len(tags) >= limit:
                break
    except etree.XMLSyntaxError:
        pass
    return tags, namespaces


def _dialect(root_local: str, tags: list[str], namespaces: set[str], body: bytes) -> Dialect | None:
    locals_ = {local(t) for t in tags[1:]}
    if root_local == "yml_catalog":
        return Dialect.YML
    if root_local == "price" and ({"items", "item", "firmName", "categories"} & locals_ or len(tags) == 1):
        return Dialect.HOTLINE
    google = GOOGLE_NS in namespaces or any(t.startswith("{" + GOOGLE_NS + "}") for t in tags)
    rss1 = root_local == "RDF" and RSS1_NS in namespaces
    if root_local == "rss" or rss1 or (root_local == "feed" and (namespaces & set(ATOM_NS) or google)):
        if not google:
            return None
        lowered = body[:PREFIX_BYTES].lower()
        if any(marker in lowered for marker in _META_MARKERS):
            return Dialect.META
        return Dialect.GOOGLE
    return None
