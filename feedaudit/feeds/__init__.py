"""Readers: turn a feed source into a stream of canonical `Offer`s and `FeedIssue`s.

`read_feed` opens the source, sniffs the dialect, hands the bytes to that dialect's reader, and turns
everything that stops a feed from being read (missing file, HTTP error, broken gzip, unknown root
element, size cap) into `FeedIssue`s, so the caller always gets findings, never an exception.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from feedaudit.errors import SourceError, SourceLimitError
from feedaudit.feeds.limits import ReadLimits
from feedaudit.feeds.source import Prefixed, Readable, Source, SourceOptions, open_source
from feedaudit.feeds.wanted import EVERYTHING, Wanted
from feedaudit.model import Dialect, FeedInfo, FeedIssue, FeedIssueKind, Offer

__all__ = ["ReadLimits", "ReadOptions", "read_feed", "read_records"]


@dataclass(frozen=True, slots=True)
class ReadOptions:
    source: SourceOptions = field(default_factory=SourceOptions)
    marketplace: str | None = None  # a profile name; lets readers apply that marketplace's semantics
    on_progress: Callable[[int, int | None], None] | None = None  # (bytes read, total size if known)
    limits: ReadLimits = field(default_factory=ReadLimits)
    wanted: Wanted = EVERYTHING  # the parts of each offer the selected rules read


def read_feed(spec: str, feed: FeedInfo, options: ReadOptions | None = None) -> Iterator[Offer | FeedIssue]:
    """Stream the offers and feed-level issues of one feed. `feed` is filled in as reading goes."""
    options = options or ReadOptions()
    try:
        source = open_source(spec, options.source)
    except SourceError as exc:
        feed.issues += 1
        yield _unreadable(exc, feed)
        return
    with source:
        for item in _read_open(source, feed, options):
            if isinstance(item, FeedIssue):
                feed.issues += 1
            yield item


def _unreadable(exc: SourceError, feed: FeedInfo) -> FeedIssue:
    """The issue for a source that failed: past a cap (FD006), or unreadable (FD003)."""
    kind = FeedIssueKind.SIZE_LIMIT if isinstance(exc, SourceLimitError) else FeedIssueKind.UNREADABLE
    return FeedIssue(kind, str(exc), feed.source)


def _read_open(source: Source, feed: FeedInfo, options: ReadOptions) -> Iterator[Offer | FeedIssue]:
    from feedaudit.feeds.sniff import read_head, sniff  # noqa: PLC0415 - lxml with the first feed read (see _reader)

    try:
        prefix, preamble_too_long = read_head(source, options.limits.max_preamble_bytes)
    except SourceError as exc:
        yield _unreadable(exc, feed)
        return
    if not prefix.strip():
        yield FeedIssue(FeedIssueKind.NOT_WELL_FORMED, "the feed is empty: no XML at all", feed.source, 1, 1)
        return
    sniffed = sniff(prefix)
    feed.root = sniffed.root
    feed.dialect = sniffed.dialect
    if sniffed.encoding_problem:
        yield FeedIssue(FeedIssueKind.ENCODING, sniffed.encoding_problem, feed.source, 1, 1)
    if sniffed.external_entity:
        yield FeedIssue(
            FeedIssueKind.HOSTILE,
            "the feed declares an external entity (XXE); it was not resolved",
            feed.source,
            _line_of(prefix, b"<!ENTITY"),
            None,
        )
    if sniffed.dialect is None:
        if sniffed.root is None and preamble_too_long:
            yield FeedIssue(
                FeedIssueKind.SIZE_LIMIT,
                f"no XML root element in the first {options.limits.max_preamble_bytes:,} bytes of the feed "
                "(max-preamble-bytes): what comes before the root (DOCTYPE, comments) is longer than that",
                feed.source,
                1,
                1,
            )
        elif sniffed.root is None:
            yield FeedIssue(
                FeedIssueKind.NOT_WELL_FORMED,
                "no XML root element found in the first bytes of the feed",
                feed.source,
                1,
                1,
            )
        else:
            yield FeedIssue(
                FeedIssueKind.UNKNOWN_DIALECT,
                f"root element <{sniffed.root}> is not a product feed dialect feedaudit reads "
                "(yml_catalog, Hotline price, Google/Meta RSS or Atom with the g: namespace)"
                + _undeclared_prefix_hint(sniffed.undeclared_prefix),
                feed.source,
                1,
                None,
            )
        return
    stream: Readable = Prefixed(prefix, source)
    if options.on_progress is not None:
        stream = _Progress(stream, source, options.on_progress)
    records = _reader(sniffed.dialect, stream, feed, options.marketplace, options.limits, options.wanted)
    try:
        for item in records:
            if isinstance(item, FeedIssue) and source.limit_hit:
                continue  # errors after the cap come from the cut, reported once below
            if isinstance(item, Offer):
                feed.offers += 1
            yield item
    except SourceError as exc:
        yield _unreadable(exc, feed)
    feed.bytes_read = source.bytes_read
    if source.limit_hit:
        yield FeedIssue(
            FeedIssueKind.SIZE_LIMIT,
            f"the feed is larger than the {source.max_bytes:,}-byte limit; offers after the limit were not read",
            feed.source,
            None,
            None,
        )


def read_records(
    stream: Readable,
    feed: FeedInfo,
    dialect: Dialect,
    marketplace: str | None = None,
    limits: ReadLimits | None = None,
    wanted: Wanted = EVERYTHING,
) -> Iterator[Offer | FeedIssue]:
    """Stream an already opened document of a known dialect (one byte range of a large feed), counting
    offers and issues into `feed` as `read_feed` does."""
    for item in _reader(dialect, stream, feed, marketplace, limits or ReadLimits(), wanted):
        if isinstance(item, Offer):
            feed.offers += 1
        else:
            feed.issues += 1
        yield item


def _undeclared_prefix_hint(tag: str | None) -> str:
    if tag is None:
        return ""
    prefix = tag.partition(":")[0]
    hint = f"; <{tag}> uses the prefix {prefix}: that no xmlns:{prefix} declares"
    if prefix == "g":
        hint += ' (add xmlns:g="http://base.google.com/ns/1.0" to the root element)'
    return hint


def _reader(
    dialect: Dialect,
    stream: Readable,
    feed: FeedInfo,
    marketplace: str | None,
    limits: ReadLimits,
    wanted: Wanted = EVERYTHING,
) -> Iterator[Offer | FeedIssue]:
    # The readers (and lxml) load with the first feed read, not with every module that parses a value
    # (`feeds.values` is shared with the inventory loaders).
    from feedaudit.feeds import google, hotline, yml  # noqa: PLC0415

    if dialect is Dialect.YML:
        return yml.read(stream, feed, marketplace=marketplace, limits=limits, wanted=wanted)
    if dialect is Dialect.HOTLINE:
        return hotline.read(stream, feed, marketplace=marketplace, limits=limits, wanted=wanted)
    return google.read(stream, feed, dialect=dialect, marketplace=marketplace, limits=limits)


def _line_of(prefix: bytes, needle: bytes) -> int:
    index = prefix.find(needle)
    return prefix.count(b"\n", 0, index) + 1 if index >= 0 else 1


class _Progress:
    def __init__(self, stream: Readable, source: Source, report: Callable[[int, int | None], None]) -> None:
        self._stream = stream
        self._source = source
        self._report = report

    def read(self, size: int = -1, /) -> bytes:
        data = self._stream.read(size)
        self._report(*self._source.progress())
        return data
