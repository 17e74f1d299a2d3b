"""Auditing one large local feed in worker processes, with exactly the findings of a one-process audit.

`plan_split` decides whether a feed is worth it: a local, uncompressed file of a known dialect of at
least `[parallel] min-bytes`, with more than one usable core, no inventory or live pages to consult
(those joins run in one process), a clean head, records that start lines, and a process that may
fork (single-threaded, not itself a worker, on a platform with fork). The feed's shop data and
flavour are learnt first from a small document of its head and first record, as the one-process
reader would learn them.

`Split.run` then hands the byte ranges (`feedaudit.parallel.split`) to a pool of processes, in order.
Each worker reads its range and runs every offer rule on it, except the rules that compare offers
with each other (`across_offers`): for those it sends back, per offer, only the fields they read.
The main process takes the results in range order, runs the comparing rules on those slim offers in
feed order (so duplicate-offer-id sees every id, first to last), merges their findings with the
workers' per offer in rule order, and runs the feed-level rules at the end. Findings, their order,
lines and messages are those of a one-process audit.

A range with any parser or encoding error is not merged: from its first byte to the end of the file
the feed is read in this process, in one piece, as a one-process audit reads it (a broken range
parsed on its own could differ, for instance when a tag left open runs into the next range).
"""

from __future__ import annotations

import io
import multiprocessing
import os
import threading
from array import array
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from multiprocessing.pool import AsyncResult
from typing import Any

from feedaudit.engine import Engine, _FeedRun, _stamp
from feedaudit.feeds import read_records
from feedaudit.feeds.sniff import read_prefix, sniff
from feedaudit.feeds.source import GZIP_MAGIC, ZIP_MAGIC
from feedaudit.model import Dialect, FeedInfo, FeedIssue, Finding, Offer, Severity
from feedaudit.parallel.split import (
    Layout,
    Range,
    RangeReader,
    find_layout,
    next_boundary,
    probe_document,
    ranges,
)
from feedaudit.rules import Rule, RuleContext, Scope

PARTS_PER_WORKER = 8  # enough ranges that the last one finishing alone costs little
MIN_PART_BYTES = 8 * 1024**2
MAX_PART_BYTES = 32 * 1024**2  # bounds what one range's result holds in memory

_SHOP_FIELDS = (
    "dialect",
    "flavour",
    "flavour_signals",
    "root",
    "shop_name",
    "shop_url",
    "currencies",
    "categories",
    "delivery_min_days",
    "delivery_max_days",
    "delivery_text",
    "delivery_line",
)


def plan_split(engine: Engine, spec: str, feed: FeedInfo) -> Split | None:
    """A plan to audit `spec` on several cores, or None when it should be read in one process."""
    settings = engine.settings.parallel
    workers = settings.resolved_workers()
    if workers < 2 or not _may_fork():
        return None
    if spec == "-" or "://" in spec or not os.path.isfile(spec):
        return None
    size = os.path.getsize(spec)
    if size < settings.min_bytes or size > engine.settings.max_feed_bytes:
        return None
    with open(spec, "rb") as handle:
        prefix = read_prefix(handle)
    if prefix.startswith((GZIP_MAGIC, ZIP_MAGIC)):
        return None
    sniffed = sniff(prefix)
    if sniffed.dialect is None or sniffed.encoding_problem or sniffed.external_entity:
        return None
    layout = find_layout(spec, feed.source, sniffed.dialect)
    if layout is None:
        return None
    probe = FeedInfo(source=feed.source, dialect=sniffed.dialect, root=sniffed.root)
    first = list(read_records(io.BytesIO(probe_document(layout)), probe, sniffed.dialect, engine.settings.profile))
    if len(first) != 1 or not isinstance(first[0], Offer):
        return None
    part_bytes = settings.part_bytes or min(max(MIN_PART_BYTES, size // (workers * PARTS_PER_WORKER)), MAX_PART_BYTES)
    if size - len(layout.head) < 2 * part_bytes:
        return None
    with open(spec, "rb") as handle:
        if next_boundary(handle, len(layout.head) + 1, layout.record) is None:
            return None  # records do not start lines (a feed on one line): one range, nothing to gain
    return Split(engine, layout, feed, probe, workers, part_bytes)


def _may_fork() -> bool:
    """Workers are forked (cheap: modules and the engine are already loaded, and nothing re-runs the
    caller's `__main__`), so only from a process that may safely fork: where fork exists, no other
    thread is running (forking a threaded process can deadlock), and it is not itself a worker."""
    return (
        "fork" in multiprocessing.get_all_start_methods()
        and threading.active_count() == 1
        and multiprocessing.parent_process() is None
    )


@dataclass(slots=True)
class RangeResult:
    """What a worker sends back for one range.

    For the comparing rules, the offers' fields are kept column by column (a list of values and an
    array of source lines per field, 0 where the field has no line of its own) rather than a tuple
    per offer: fewer objects to pickle and hold while the main process catches up.
    """

    part: Range
    failed: bool = False  # the range has a parser or encoding error: it is read again in one piece
    offers: int = 0
    findings: list[tuple[int, int, Finding]] = field(default_factory=list)  # (offer index, rule rank, finding)
    lines: array[int] = field(default_factory=lambda: array("I"))  # each offer's line
    values: list[list[Any]] = field(default_factory=list)  # per slim field, per offer
    field_lines: list[array[int]] = field(default_factory=list)  # per slim field, per offer


@dataclass(slots=True)
class Split:
    engine: Engine
    layout: Layout
    feed: FeedInfo
    probe: FeedInfo
    workers: int
    part_bytes: int

    def run(self) -> Iterator[Finding]:
        engine, layout, feed = self.engine, self.layout, self.feed
        for name in _SHOP_FIELDS:
            setattr(feed, name, getattr(self.probe, name))
        run = _FeedRun(feed)
        engine._refresh_profile(run)
        across = [
            (rank, rule, severity, context)
            for rank, (rule, severity, context) in enumerate(_offer_plan(engine, run))
            if rule.across_offers
        ]
        fields = _slim_fields(rule for _, rule, _, _ in across)
        marketplace = engine.settings.profile or feed.flavour
        context = multiprocessing.get_context("fork")
        with context.Pool(
            self.workers, initializer=_start_worker, initargs=(engine.settings, layout, marketplace, fields)
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
                        items = read_records(reader, feed, layout.dialect, marketplace)
                        yield from engine._audit_items(run, items, [])
                    finally:
                        reader.close()
                    break
                feed.offers += result.offers
                yield from self._merge(run, across, fields, result)
                if engine.progress is not None:
                    engine.progress(feed.source, result.part.end, layout.size)
        feed.bytes_read = layout.size
        yield from engine._finish_feed(run, [])

    def _merge(
        self,
        run: _FeedRun,
        across: list[tuple[int, Rule, Severity, RuleContext[Any]]],
        fields: tuple[str, ...],
        result: RangeResult,
    ) -> Iterator[Finding]:
        """The range's findings in one-process order: per offer, every rule's in rule order."""
        if not across:
            for _index, _rank, finding in result.findings:
                yield finding
            return
        engine = self.engine
        source = self.feed.source
        dialect: Dialect = self.layout.dialect
        worker = result.findings
        position = 0
        check_ignores = bool(engine._offer_ignores)
        ids = result.values[0]  # fields[0] is always offer_id
        others = list(zip(fields[1:], result.values[1:], strict=True))
        field_lines = list(zip(fields, result.field_lines, strict=True))
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
            found: list[tuple[int, Finding]] = []
            for rank, rule, severity, context in across:
                if check_ignores and engine._ignored_for_offer(run, rule.code, offer):
                    continue
                for problem in rule.check(offer, context):
                    found.append((rank, _stamp(rule, severity, problem, source, offer)))
            while position < len(worker) and worker[position][0] == index:
                found.append((worker[position][1], worker[position][2]))
                position += 1
            if len(found) > 1:
                found.sort(key=lambda pair: pair[0])
            for _rank, finding in found:
                yield finding


def _offer_plan(engine: Engine, run: _FeedRun) -> list[tuple[Rule, Severity, RuleContext[Any]]]:
    """The feed's offer rules in rule order, as the engine runs them (built once per profile)."""
    plan = run.plans.get(Scope.OFFER)
    if plan is None:
        plan = run.plans[Scope.OFFER] = engine._plan(run, Scope.OFFER)
    return plan


def _slim_fields(rules: Any) -> tuple[str, ...]:
    wanted = {name for rule in rules for name in rule.across_offers}
    if not wanted:
        return ()
    return ("offer_id", *sorted(wanted - {"offer_id"}))


# -- the worker side -------------------------------------------------------------------------------


@dataclass(slots=True)
class _Worker:
    engine: Engine
    layout: Layout
    marketplace: str | None
    fields: tuple[str, ...]


_WORKER: _Worker | None = None


def _start_worker(settings: Any, layout: Layout, marketplace: str | None, fields: tuple[str, ...]) -> None:
    global _WORKER  # noqa: PLW0603 - one engine per worker process, built once by the pool
    _WORKER = _Worker(Engine(settings), layout, marketplace, fields)


def _audit_range(part: Range) -> RangeResult:
    """Run every offer rule but the comparing ones over one range (in a worker process)."""
    assert _WORKER is not None, "the pool initializer builds the worker's engine"
    engine, layout, fields = _WORKER.engine, _WORKER.layout, _WORKER.fields
    feed = FeedInfo(source=layout.source, dialect=layout.dialect)
    run = _FeedRun(feed)
    result = RangeResult(part)
    findings = result.findings
    offer_lines = result.lines
    result.values = [[] for _ in fields]
    result.field_lines = [array("I") for _ in fields]
    columns = list(zip(fields, result.values, result.field_lines, strict=True))
    source = layout.source
    check_ignores = bool(engine._offer_ignores)
    profile: tuple[object, ...] = ()
    local: list[tuple[int, Rule, Severity, RuleContext[Any]]] = []
    index = 0
    reader = RangeReader(layout, part)
    try:
        for item in read_records(reader, feed, layout.dialect, _WORKER.marketplace):
            if isinstance(item, FeedIssue):
                return RangeResult(part, failed=True)
            engine._refresh_profile(run)
            if run.profile_key != profile:  # the reader has told the flavour: severities and plans are known
                profile = run.profile_key
                local = [
                    (rank, rule, severity, context)
                    for rank, (rule, severity, context) in enumerate(_offer_plan(engine, run))
                    if not rule.across_offers
                ]
            for rank, rule, severity, context in local:
                if check_ignores and engine._ignored_for_offer(run, rule.code, item):
                    continue
                for problem in rule.check(item, context):
                    findings.append((index, rank, _stamp(rule, severity, problem, source, item)))
            if columns:
                offer_lines.append(item.line)
                item_lines = item.lines
                for name, values, at in columns:
                    values.append(getattr(item, name))
                    at.append(item_lines.get(name, 0))
            index += 1
    finally:
        reader.close()
    result.offers = index
    return result
