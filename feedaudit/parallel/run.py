"""Auditing one large local feed in worker processes, with exactly the findings of a one-process audit.

`plan_split` decides whether a feed is worth it: a local, uncompressed file of a known dialect of at
least `[parallel] min-bytes`, with more than one usable core, no live pages to fetch (the crawl runs
in one process), an inventory only if it is the loaded `Inventory` (forked with the workers), a clean
head, records that start lines, and a process that may fork (single-threaded, not itself a worker, on
a platform with fork). The feed's shop data and flavour are learnt first from a small document of its
head and first record, as the one-process reader would learn them.

`Split.run` then hands the byte ranges (`feedaudit.parallel.split`) to a pool of processes, in order.
Each worker audits its range with an audit unit of its own (`feedaudit.unit.FeedAudit`), running every
offer rule and inventory rule except those that compare offers with each other (`across_offers`):
for those it sends back, per offer, only the fields they read, and the inventory keys its offers
matched. The main process takes the results in range order and runs the comparing rules on those
slim offers in feed order with the feed's own unit (so duplicate-offer-id sees every id, first to
last), merges their findings with the workers' per offer in rule order, adds the matched keys to the
feed's, and runs the feed-level rules at the end. Findings, their order, lines and messages are those
of a one-process audit.

A range with any parser or encoding error, or where feedaudit itself failed (FD999), is not merged:
from its first byte to the end of the file the feed is read in this process, in one piece, as a
one-process audit reads it (a broken range parsed on its own could differ, for instance when a tag
left open runs into the next range).
"""

from __future__ import annotations

import dataclasses
import io
import multiprocessing
import os
import threading
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.pool import AsyncResult
from typing import Any

from feedaudit.collaborators import Collaborators
from feedaudit.feeds import read_records
from feedaudit.feeds.sniff import read_prefix, sniff
from feedaudit.feeds.source import GZIP_MAGIC, ZIP_MAGIC
from feedaudit.model import Dialect, FeedInfo, FeedIssue, Finding, Offer
from feedaudit.parallel.split import (
    Layout,
    Range,
    RangeReader,
    find_layout,
    next_boundary,
    probe_document,
    ranges,
)
from feedaudit.rules import Rule, Scope
from feedaudit.unit import FIELD_VALUE_ATTRS, FeedAudit, Part

# The size of the byte ranges, whatever the feed's size: what a range's result holds in memory (the
# slim fields of its offers for the comparing rules, descriptions among them for WR001) grows with it,
# and workers + 1 results are in flight, so a fixed size keeps memory flat as feeds grow (32 MiB ranges
# for a 1 GB feed took 2x the memory of 8 MiB ones, for no measurable gain in time).
PART_BYTES = 8 * 1024**2

# FeedInfo fields that are counts of this run, not facts of the feed: every other field (dialect,
# flavour, root, and the `Shop` record with all the shop's facts) is learnt from the probe, so a field
# added to `Shop` or to FeedInfo is copied without being listed here
RUN_FIELDS = frozenset({"source", "offers", "issues", "bytes_read", "failures"})
INVENTORY_KEY_FIELDS = ("vendor_code", "barcode")  # with offer_id: what an inventory matches on

ByteProgress = Callable[[str, int, int | None], None]  # (source, done, total)


def shop_fields() -> tuple[str, ...]:
    """The FeedInfo fields a split run takes from the probe of the feed's head."""
    return tuple(f.name for f in dataclasses.fields(FeedInfo) if f.name not in RUN_FIELDS)


def plan_split(unit: FeedAudit, spec: str, progress: ByteProgress | None = None) -> Split | None:
    """A plan to audit `spec` on several cores with `unit`, or None when it should be read in one process
    (also when the file cannot be read: the one-process reader then reports why, as FD003)."""
    try:
        return _plan_split(unit, spec, progress)
    except OSError:
        return None


def _plan_split(unit: FeedAudit, spec: str, progress: ByteProgress | None) -> Split | None:
    settings = unit.rules.settings
    parallel = settings.parallel
    workers = parallel.resolved_workers()
    if workers < 2 or not _may_fork():
        return None
    if unit.listings is not None:
        return None
    if unit.inventory is not None and not _forks_safely(unit.inventory):
        return None
    if spec == "-" or "://" in spec or not os.path.isfile(spec):
        return None
    size = os.path.getsize(spec)
    if size < parallel.min_bytes or size > settings.max_feed_bytes:
        return None
    with open(spec, "rb") as handle:
        prefix = read_prefix(handle)
    if prefix.startswith((GZIP_MAGIC, ZIP_MAGIC)):
        return None
    sniffed = sniff(prefix)
    if sniffed.dialect is None or sniffed.encoding_problem or sniffed.external_entity:
        return None
    feed = unit.feed
    layout = find_layout(spec, feed.source, sniffed.dialect)
    if layout is None:
        return None
    probe = FeedInfo(source=feed.source, dialect=sniffed.dialect, root=sniffed.root)
    first = list(
        read_records(io.BytesIO(probe_document(layout)), probe, sniffed.dialect, settings.profile, settings.limits)
    )
    if len(first) != 1 or not isinstance(first[0], Offer):
        return None
    part_bytes = parallel.part_bytes or PART_BYTES
    if size - len(layout.head) < 2 * part_bytes:
        return None
    with open(spec, "rb") as handle:
        if next_boundary(handle, len(layout.head) + 1, layout.record) is None:
            return None  # records do not start lines (a feed on one line): one range, nothing to gain
    return Split(unit, layout, probe, workers, part_bytes, progress)


def _may_fork() -> bool:
    """Workers are forked (cheap: modules, rules and the inventory are already loaded, and nothing re-runs
    the caller's `__main__`), so only from a process that may safely fork: where fork exists, no other
    thread is running (forking a threaded process can deadlock), and it is not itself a worker."""
    return (
        "fork" in multiprocessing.get_all_start_methods()
        and threading.active_count() == 1
        and multiprocessing.parent_process() is None
    )


def _forks_safely(inventory: object) -> bool:
    """The loaded `Inventory` is plain memory, shared with forked workers; another lookup (a client of
    some service, say) may hold connections that must not be shared, so its feeds are read in one piece."""
    from feedaudit.inventory import Inventory  # noqa: PLC0415 - the loaders only when an inventory is used

    return type(inventory) is Inventory


@dataclass(slots=True)
class RangeResult:
    """What a worker sends back for one range.

    For the comparing rules, the offers' fields are kept column by column (a list of values and an
    array of source lines per field, 0 where the field has no line of its own) rather than a tuple
    per offer: fewer objects to pickle and hold while the main process catches up.
    """

    part: Range
    failed: bool = False  # a parser or encoding error, or FD999: the range is read again in one piece
    offers: int = 0
    findings: list[tuple[int, int, Finding]] = field(default_factory=list)  # (offer index, rule rank, finding)
    lines: array[int] = field(default_factory=lambda: array("I"))  # each offer's line
    values: list[list[Any]] = field(default_factory=list)  # per slim field, per offer
    field_lines: list[array[int]] = field(default_factory=list)  # per line key (see `_line_keys`), per offer
    matched: list[str] = field(default_factory=list)  # inventory keys the range's offers matched
    last_line: int | None = None  # the line of the range's last offer


@dataclass(slots=True)
class Split:
    unit: FeedAudit
    layout: Layout
    probe: FeedInfo
    workers: int
    part_bytes: int
    progress: ByteProgress | None = None

    def run(self) -> Iterator[Finding]:
        unit, layout, feed = self.unit, self.layout, self.unit.feed
        for name in shop_fields():
            setattr(feed, name, getattr(self.probe, name))
        unit.refresh()
        fields = _slim_fields(step.rule for scope in ACROSS_SCOPES for step in unit.plan(scope, Part.ACROSS))
        marketplace = unit.rules.settings.profile or feed.flavour
        context = multiprocessing.get_context("fork")
        # forked: the workers share this process's rules and inventory as they are, nothing is pickled
        with context.Pool(
            self.workers, initializer=_start_worker, initargs=(unit, layout, marketplace, fields)
        ) as pool:
            parts = ranges(layout, self.part_bytes)
            # At most one range more than there are workers is in flight, so results waiting for the
            # main process to merge them never pile up, however big the feed.
            in_flight: deque[AsyncResult[RangeResult]] = deque()

            def submit() -> None:
                part = next(parts, None)
                if part is not None:
                    in_flight.append(pool.apply_async(_audit_range, (part,)))

            for _ in range(self.workers + 1):
                submit()
            while in_flight:  # ranges(...) closes its file once exhausted or collected
                result = in_flight.popleft().get()
                submit()
                if result.failed:
                    pool.terminate()
                    part = result.part
                    rest = Range(part.start, layout.size, part.newlines_before, last=True, indent=part.indent)
                    reader = RangeReader(layout, rest)
                    try:
                        yield from unit.check_items(
                            read_records(
                                reader, feed, layout.dialect, marketplace, unit.rules.settings.limits, unit.rules.wanted
                            )
                        )
                    finally:
                        reader.close()
                    break
                feed.offers += result.offers
                unit.matched.update(result.matched)
                yield from self._merge(fields, result)
                unit.last_line = result.last_line if result.last_line is not None else unit.last_line
                if self.progress is not None:
                    self.progress(feed.source, result.part.end, layout.size)
        feed.bytes_read = layout.size
        yield from unit.finish()

    def _merge(self, fields: tuple[str, ...], result: RangeResult) -> Iterator[Finding]:
        """The range's findings in one-process order: per offer, every rule's in rule order."""
        if not fields:
            for _index, _rank, finding in result.findings:
                yield finding
            return
        unit = self.unit
        source = unit.feed.source
        dialect: Dialect = self.layout.dialect
        worker = result.findings
        position = 0
        ids = result.values[0]  # fields[0] is always offer_id
        others = list(zip(fields[1:], result.values[1:], strict=True))
        field_lines = list(zip(_line_keys(fields), result.field_lines, strict=True))
        for index, line in enumerate(result.lines):
            known = {name: at for name, column in field_lines if (at := column[index])}
            offer = Offer(
                source,
                line,
                dialect,
                ids[index],
                lines=known,
                **({name: column[index] for name, column in others} if others else {}),
            )
            found = list(unit.check_offer(offer, Part.ACROSS))
            while position < len(worker) and worker[position][0] == index:
                found.append((worker[position][1], worker[position][2]))
                position += 1
            if len(found) > 1:
                found.sort(key=lambda pair: pair[0])
            for _rank, finding in found:
                yield finding


ACROSS_SCOPES = (Scope.OFFER, Scope.OFFER_INVENTORY)


_GIVEN = frozenset(("source", "line", "dialect", "lines"))  # every slim offer has these


def _slim_fields(rules: Iterable[Rule]) -> tuple[str, ...]:
    """The Offer fields the comparing rules read (offer_id first), and those inventories match on."""
    wanted: set[str] = set()
    for rule in rules:
        wanted.update((rule.reads or frozenset()) - _GIVEN)
        if rule.scope is Scope.OFFER_INVENTORY:
            wanted.update(INVENTORY_KEY_FIELDS)
    if not wanted:
        return ()
    # what a finding is stamped with besides: the offer's identity (its content when it has no id),
    # its name and its column, so findings match the one-process run's
    wanted |= {"url", "vendor_code", "barcode", "name", "vendor", "column"}
    return ("offer_id", *sorted(wanted - {"offer_id"}))


def _line_keys(fields: tuple[str, ...]) -> tuple[str, ...]:
    """The `Offer.lines` keys a slim offer keeps: its fields', and those of the problem fields whose
    value is one of them (`delivery` for `delivery_text`), so a finding's line is the one-process one."""
    named = {key for key, attr in FIELD_VALUE_ATTRS.items() if attr in fields}
    return (*fields, *sorted(named - set(fields)))


# -- the worker side -------------------------------------------------------------------------------


@dataclass(slots=True)
class _Worker:
    unit: FeedAudit  # the main process's unit of the feed: its rules and collaborators
    layout: Layout
    marketplace: str | None
    fields: tuple[str, ...]


_WORKER: _Worker | None = None


def _start_worker(unit: FeedAudit, layout: Layout, marketplace: str | None, fields: tuple[str, ...]) -> None:
    global _WORKER  # noqa: PLW0603 - the state of one forked worker process, set once by the pool
    _WORKER = _Worker(unit, layout, marketplace, fields)


def _audit_range(part: Range) -> RangeResult:
    """Audit one range with every rule but the comparing ones (in a worker process)."""
    assert _WORKER is not None, "the pool initializer sets up the worker"
    layout, fields = _WORKER.layout, _WORKER.fields
    main = _WORKER.unit
    unit = FeedAudit(
        main.rules,
        Collaborators(main.inventory, None),
        FeedInfo(source=layout.source, dialect=layout.dialect),
    )
    result = RangeResult(part)
    findings = result.findings
    offer_lines = result.lines
    result.values = [[] for _ in fields]
    keys = _line_keys(fields)
    result.field_lines = [array("I") for _ in keys]
    values = list(zip(fields, result.values, strict=True))
    lines = list(zip(keys, result.field_lines, strict=True))
    index = 0
    reader = RangeReader(layout, part)
    try:
        items = read_records(
            reader, unit.feed, layout.dialect, _WORKER.marketplace, main.rules.settings.limits, main.rules.wanted
        )
        for item in items:
            if isinstance(item, FeedIssue):
                return RangeResult(part, failed=True)
            unit.refresh()
            result.last_line = item.line
            for rank, finding in unit.check_offer(item, Part.LOCAL):
                findings.append((index, rank, finding))
            if unit.feed.failures:
                return RangeResult(part, failed=True)  # read again in the main process, which reports it
            if values:
                offer_lines.append(item.line)
                for name, column in values:
                    column.append(getattr(item, name))
                item_lines = item.lines
                for name, at in lines:
                    at.append(item_lines.get(name, 0))
            index += 1
    except Exception:
        return RangeResult(part, failed=True)
    finally:
        reader.close()
    result.offers = index
    result.matched = list(unit.matched)
    return result
