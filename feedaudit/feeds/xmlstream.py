"""Safe, flat-memory streaming of record elements out of an XML feed.

Every dialect reader parses through `stream_records`: lxml `iterparse` on the record tags only (the
tag filter runs in C), with entity expansion, DTD loading and network access off, `recover=True` so a
broken feed still yields what can be read, and each record cleared and its earlier siblings deleted
once the reader is done with it, so memory does not grow with the feed. Parser errors come out as
`FeedIssue`s (with line and column) in between the records, capped so a feed broken on every line
does not flood the report.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator, Sequence
from html.entities import html5

from lxml import etree

from feedaudit.feeds.capguard import LimitGuard
from feedaudit.feeds.charrefs import SurrogateReferences
from feedaudit.feeds.controls import ControlCharacters
from feedaudit.feeds.limits import ReadLimitError, ReadLimits
from feedaudit.feeds.messages import control_character, plain_message, raw_detail
from feedaudit.feeds.positions import StartTags
from feedaudit.feeds.source import Readable
from feedaudit.model import FeedIssue, FeedIssueKind

MAX_PARSE_ISSUES = 50

_ENCODING_TYPES = {
    "ERR_INVALID_ENCODING",
    "ERR_INVALID_CHAR",
    "ERR_UNSUPPORTED_ENCODING",
    "ERR_UNKNOWN_ENCODING",
}
_HOSTILE_TYPES = {"ERR_RESOURCE_LIMIT", "ERR_ENTITY_LOOP", "ERR_ENTITY_AMPLIFICATION"}
_UNDECLARED_ENTITY_TYPES = {"ERR_UNDECLARED_ENTITY", "WAR_UNDECLARED_ENTITY"}


def classify(entry: etree._LogEntry) -> FeedIssueKind:
    """Which kind of feed issue one libxml2 error is."""
    message = entry.message or ""
    if (
        entry.type_name in _HOSTILE_TYPES
        or "amplification" in message
        or "Detected an entity reference loop" in message
    ):
        return FeedIssueKind.HOSTILE
    if entry.type_name in _ENCODING_TYPES or entry.domain_name == "IO" or "encoding" in message.lower():
        return FeedIssueKind.ENCODING
    return FeedIssueKind.NOT_WELL_FORMED


class RecordStream:
    """Iterate record elements of one feed; call `release` on each when done with it."""

    def __init__(
        self,
        stream: Readable,
        source: str,
        tags: Sequence[str],
        *,
        roots: Sequence[str] = (),
        limits: ReadLimits | None = None,
    ) -> None:
        self.source = source
        self._limits = limits or ReadLimits()
        self._references = SurrogateReferences(stream)
        self._controls = ControlCharacters(self._references)
        self._guard = LimitGuard(self._controls, self._limits)
        self._record_names = frozenset(local(tag) for tag in tags)
        # columns of record start tags, for records that share a line (minified feeds)
        self._starts = StartTags(self._guard, self._record_names)
        self.column: int | None = None  # of the record last yielded, when it shares its line
        self._parser = etree.iterparse(
            SemicolonGuard(self._starts, tags),
            # start events of the records and the root let the guard see what is being built
            events=("start", "end"),
            tag=(*tags, *roots),
            recover=True,
            resolve_entities=False,
            load_dtd=False,
            no_network=True,
            huge_tree=True,
            remove_comments=True,
            remove_pis=True,
        )
        self._seen_errors = 0
        self._reported = 0
        self._references_reported = 0
        self._controls_reported = 0
        self._entities: bool | None = None  # whether records may hold unresolved entity references
        self.fatal = False
        self.records = 0

    @property
    def root(self) -> etree._Element | None:
        return self._parser.root if self._parser.root is not None else None

    def __iter__(self) -> Iterator[etree._Element | FeedIssue]:
        """Records and parser issues in feed order: an issue comes right before the first record that
        starts on or after its line (however far ahead the parser happened to read)."""
        parser = self._parser
        guard = self._guard
        iterator = iter(parser)
        pending: deque[FeedIssue] = deque()
        started_at = 0  # the guard's read count when the open record started
        while True:
            try:
                event, element = next(iterator)
            except StopIteration:
                break
            except ReadLimitError as exc:
                self.fatal = True
                yield from pending
                yield from self._reference_issues()
                yield from self._drain()
                yield FeedIssue(FeedIssueKind.SIZE_LIMIT, exc.message, self.source, exc.line, None)
                return
            except etree.XMLSyntaxError as exc:
                # recover=True still stops on some errors (resource limits, broken encodings)
                self.fatal = True
                yield from pending
                pending.clear()
                yield from self._drain()
                if not self._reported or self._is_new(exc):
                    line, column = exc.position if exc.position else (exc.lineno, 0)
                    log = self._parser.error_log
                    type_name = log.last_error.type_name if len(log) and log.last_error is not None else None
                    kind = self._kind_of(exc)
                    yield _issue(kind, type_name, str(exc.msg), self.source, line, column or None)
                break
            if local(element.tag) not in self._record_names:
                if guard.root is None:
                    guard.root = element.getroottree().getroot()
                continue  # the root (or an element named like it inside a record)
            if event == "start":
                if guard.root is None:
                    guard.root = element.getroottree().getroot()
                if guard.record is None:
                    guard.record = element
                    started_at = guard.reads
                continue
            if element is guard.record:
                guard.record = None
                if guard.reads != started_at:  # built across blocks: the guard saw only part of it
                    try:
                        guard.check_record(element)
                    except ReadLimitError as exc:
                        self.fatal = True
                        yield from pending
                        yield from self._reference_issues()
                        yield from self._drain()
                        yield FeedIssue(FeedIssueKind.SIZE_LIMIT, exc.message, self.source, exc.line, None)
                        return
            pending.extend(self._drain())
            references = list(self._reference_issues())
            if references:
                pending = deque(sorted((*pending, *references), key=lambda issue: issue.line or 0))
            if any(issue.kind is FeedIssueKind.HOSTILE for issue in pending):
                # Some libxml2 releases stop at an entity bomb, others recover and read on: either way
                # nothing from the bomb on is trusted, so the feed ends here on every version.
                self.fatal = True
                yield from pending
                return
            if pending:
                start = element.sourceline or 0
                while pending and (pending[0].line or 0) <= start:
                    yield pending.popleft()
            nested = guard.record is not None  # this one ended inside another record
            if self._made_by_recovery(element, nested=nested):
                if not nested:
                    self.release(element)
                continue
            self.records += 1
            if self.records > self._limits.max_offers:
                self.fatal = True
                yield from pending
                yield from self._reference_issues()
                yield FeedIssue(
                    FeedIssueKind.SIZE_LIMIT,
                    f"the feed holds more than {self._limits.max_offers:,} offers (max-offers); "
                    f"offers from line {element.sourceline} on were not read",
                    self.source,
                    element.sourceline,
                    None,
                )
                return
            if self._entities is None:
                self._entities = element.getroottree().docinfo.internalDTD is not None
            if self._entities:
                flatten_entities(element)
            self.column = self._starts.column_of(element.sourceline)
            yield element
        yield from pending
        yield from self._reference_issues()
        yield from self._references_not_shown()
        yield from self._controls_not_shown()
        yield from self._drain(final=True)

    def _made_by_recovery(self, element: etree._Element, *, nested: bool) -> bool:
        """Whether a record element is no record of the feed but what the parser made while repairing it.

        A broken start tag such as `<offer id>1264389767</offer id>` inside a real offer becomes, in
        recovery, an `offer` element with no attribute and no child element. Such an element is not
        read as a record when the feed is not well-formed and it sits inside another record, or it
        holds nothing at all and the parser reported an error on its line. The parser error is
        reported (FD001) all the same; in a well-formed feed every record element is a record, an
        empty `<offer id="5"/>` or `<offer/>` too.
        """
        if element.attrib or any(child.tag.__class__ is str for child in element):
            return False
        log = self._parser.error_log
        if not len(log):
            return False
        if nested:
            return True
        if (element.text or "").strip():
            return False
        line = element.sourceline
        return any(entry.line == line for entry in log)

    def _reference_issues(self) -> Iterator[FeedIssue]:
        """Surrogate references rewritten and control characters replaced since the last call, by line."""
        references = self._references
        issues = []
        while self._references_reported < len(references.reports):
            line, message = references.reports[self._references_reported]
            self._references_reported += 1
            issues.append(FeedIssue(FeedIssueKind.ENCODING, message, self.source, line, None))
        controls = self._controls
        while self._controls_reported < len(controls.reports):
            line, column, code = controls.reports[self._controls_reported]
            self._controls_reported += 1
            detail = f"byte 0x{code:02X}, read as a space so the parser reads on"
            issues.append(
                FeedIssue(FeedIssueKind.ENCODING, control_character(code), self.source, line, column, detail=detail)
            )
        if len(issues) > 1:
            issues.sort(key=lambda issue: issue.line or 0)
        yield from issues

    def _controls_not_shown(self) -> Iterator[FeedIssue]:
        controls = self._controls
        more = controls.replaced - len(controls.reports)
        if more > 0:
            yield self._not_shown(f"{more} more control characters", "(each read as a space)", controls.reports[-1][0])

    def _references_not_shown(self) -> Iterator[FeedIssue]:
        references = self._references
        more = references.rewritten - len(references.reports)
        if more > 0:
            what = f"{more} more surrogate character references"
            yield self._not_shown(what, "(each read as its character or U+FFFD)", references.reports[-1][0])

    def _not_shown(self, what: str, how: str, line: int) -> FeedIssue:
        """One issue for the repeats past the reported ones, at `line`, that of the last one reported."""
        return FeedIssue(FeedIssueKind.ENCODING, f"{what} not shown {how}", self.source, line, None)

    def _is_new(self, exc: etree.XMLSyntaxError) -> bool:
        return not any(e.message == exc.msg for e in self._parser.error_log)

    def _kind_of(self, exc: etree.XMLSyntaxError) -> FeedIssueKind:
        log = self._parser.error_log
        last = log.last_error if len(log) else None
        return classify(last) if last is not None else FeedIssueKind.NOT_WELL_FORMED

    def _drain(self, *, final: bool = False) -> Iterator[FeedIssue]:
        if self._reported >= MAX_PARSE_ISSUES and not final:
            return
        log = self._parser.error_log
        total = len(log)
        if total <= self._seen_errors:
            return
        for entry in list(log)[self._seen_errors :]:
            if entry.type_name in _UNDECLARED_ENTITY_TYPES:
                self._entities = True
            if self._reported < MAX_PARSE_ISSUES:
                self._reported += 1
                kind = classify(entry)
                yield _issue(kind, entry.type_name, entry.message, self.source, entry.line, entry.column)
        if final and total > MAX_PARSE_ISSUES:
            yield FeedIssue(
                FeedIssueKind.NOT_WELL_FORMED,
                f"{total - MAX_PARSE_ISSUES} more parser errors not shown",
                self.source,
                log[MAX_PARSE_ISSUES].line,
                None,
            )
        self._seen_errors = total

    @staticmethod
    def release(element: etree._Element) -> None:
        """Free a finished record and every record before it."""
        element.clear(keep_tail=True)
        parent = element.getparent()
        if parent is None:
            return
        while element.getprevious() is not None:
            del parent[0]


def flatten_entities(record: etree._Element) -> None:
    """Replace the entity references left in a record by text, so the text after them is not lost.

    Entities are never resolved: an HTML name the feed forgot to declare (`&nbsp;`, `&reg;`) becomes its
    character, anything else (an internal or external entity) stays as the literal `&name;`.
    """
    for entity in list(record.iter(etree.Entity)):
        name = entity.text or ""
        text = html5.get(name[1:], name) + (entity.tail or "")
        entity.tail = None
        parent = entity.getparent()
        if parent is None:
            continue
        previous = entity.getprevious()
        # libxml2, recovering, keeps characters XML forbids (`&#x1F;`); lxml refuses to set them again
        if previous is not None:
            previous.tail = xml_safe((previous.tail or "") + text)
        else:
            parent.text = xml_safe((parent.text or "") + text)
        parent.remove(entity)


# What lxml refuses to store: C0 controls but tab and line breaks, surrogates, U+FFFE and U+FFFF.
_NOT_XML_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """`text` with each character XML cannot hold replaced by U+FFFD."""
    return _NOT_XML_CHARACTERS.sub("\ufffd", text)


# A `&` that does not start a character or entity reference: a not-well-formed feed.
_BARE_AMPERSAND = re.compile(rb"&(?![A-Za-z_:][\w.:-]*;|#[0-9]+;|#x[0-9A-Fa-f]+;)")


class SemicolonGuard:
    """Keeps memory flat on feeds with a bare `&` (the commonest way a feed is not well-formed).

    libxml2's incremental parser, on a `&` in text, waits for a `;` before it parses on. In a feed
    with no `;` after the `&` (plain-text descriptions, no entities: real feeds have megabytes without
    one) it buffers the rest of the file and then builds it as one tree: memory grows to several times
    the feed. So when a bare `&` has been read and no `;` has come after it, this reader adds `<!--;-->`
    right after a record's end tag at the end of a line in that block: a comment between records,
    dropped by the parser, on no new line, that ends the wait. Findings and lines are unchanged.
    """

    def __init__(self, stream: Readable, tags: Sequence[str]) -> None:
        self._stream = stream
        names = {local(tag) for tag in tags}
        self._ends = tuple(f"</{name}>{eol}".encode() for name in sorted(names) for eol in ("\n", "\r"))
        self._waiting = False  # a bare `&` was read and no `;` since

    def read(self, size: int = -1, /) -> bytes:
        data = self._stream.read(size)
        if not data or (not self._waiting and b"&" not in data):
            return data
        semicolon = data.rfind(b";")
        bare = _BARE_AMPERSAND.search(data, semicolon + 1)
        if bare is None and (semicolon >= 0 or not self._waiting):
            self._waiting = False
            return data
        after = bare.start() if bare is not None else 0
        cut = -1
        for end in self._ends:
            at = data.rfind(end, after)
            if at >= 0:
                cut = max(cut, at + len(end) - 1)  # before the line break
        if cut < 0:
            self._waiting = True
            return data
        self._waiting = False
        return data[:cut] + b"<!--;-->" + data[cut:]


def _issue(
    kind: FeedIssueKind, type_name: str | None, raw: str, source: str, line: int | None, column: int | None
) -> FeedIssue:
    """A parser error as a feed issue: plain words for broken XML and encodings, libxml2's text as detail."""
    if kind is FeedIssueKind.HOSTILE:
        return FeedIssue(kind, _clean(raw), source, line, column)
    return FeedIssue(kind, plain_message(type_name, raw), source, line, column, detail=raw_detail(raw))


def _clean(message: str) -> str:
    message = message.strip()
    return message[:1].lower() + message[1:] if message else "parser error"


def local(tag: object) -> str:
    """The local name of an element tag (`{ns}name` → `name`); '' for comments and PIs."""
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]
