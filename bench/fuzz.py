"""Byte-mutation fuzzer: mutated feeds and pages through the whole audit, every output format and the e-mail.

Seeds are the bundled fixtures (`fixtures/feeds`, `fixtures/pages`) and, when it is beside the project,
the shared corpus of real feeds (files up to 1 MB; skipped when absent). Each case applies one to four
mutations to a seed: bit flips, truncation, splicing with another seed, duplicated chunks, and hostile
tokens put at random places, inside attribute values and after tags (surrogate and control character
references, huge numbers, deep nesting, entity declarations, bidi characters, CR/LF in ids, `=cmd`
values, huge attributes).

A case runs in a worker process (started once, started again after a case kills it): a feed through
`run_check` with every rule into all nine output formats at once, each report encoded as the UTF-8 file
it would be written to, then the report e-mail (`build_message`, serialised) and a record in a SQLite
history; a page through `read_html` and the page rules into the same formats. The worker has a memory
limit (`--memory`, default 1 GiB), so a memory blow-up is a `MemoryError`, not a stalled machine.

Counted: exceptions that are not feedaudit's own (`feedaudit.errors.FeedauditError`), workers that
died, and cases over the time limit (`--timeout`, default 10 s: the worker is killed). The input of
each is written to `bench/out/fuzz/` with a `.txt` beside it (the mutations and the traceback).

    python bench/fuzz.py --duration 600 --seed 1
    python bench/fuzz.py --cases 300 --seed 7 --no-corpus
    python bench/fuzz.py --replay bench/out/fuzz/feed-0123456789ab.xml   # run one kept case again
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import hashlib
import io
import json
import os
import random
import resource
import select
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "fuzz"
CORPUS = ROOT.parent / "shared" / "corpus"
MAX_SEED_BYTES = 1_000_000
MAX_CASE_BYTES = 4_000_000
PAGE_URL = "https://shop.example.ua/p/1"

# -- mutations -------------------------------------------------------------------------------------

HOSTILE_TOKENS: tuple[bytes, ...] = (
    b"&#55357;&#56832;",  # an emoji written as two surrogate references
    b"&#xD83D;",
    b"&#56832;",
    b"&#27;",
    b"&#x1B;[2J",
    b"&#7;",
    b"&#x9B;",
    b"&#0;",
    b"&#x1F; &nbsp;",
    b"&#xFFFE;",
    b"&#x110000;",
    b"&#99999999999999999999;",
    b"&#x202E;",
    b"&#x2066;",
    b"&#x2028;",
    "\u202egnp.exe\u2069".encode(),
    b"&#13;&#10;",
    b"\r\n",
    b"\x1b]0;title\x07",
    b"\xc2\x9b31m",
    b"x;=cmd|' /C calc'!A0",
    b'=HYPERLINK("http://x")',
    b"@SUM(1+1)",
    b"99999999999999999999999999999",
    b"-99999999999999999999999999999.99999999999999",
    b"1e999999",
    b"1E-999999",
    b"NaN",
    b"Infinity",
    b"0x1F",
    b"\xd9\xa3\xd9\xa4",  # Arabic-Indic digits
    b"\xef\xbc\x91\xef\xbc\x92",  # full-width digits
    b"&nbsp;",
    b"&undeclared;",
    b"&amp;amp;",
    b"&",
    b"<",
    b"]]>",
    b"<![CDATA[",
    b"<!-- ",
    b"<?pi x?>",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"\xc3",
    b"\xed\xa0\xbd",  # a surrogate encoded as UTF-8 bytes
    b"\x00",
    b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>',
    b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>',
    b"&a;&b;&e;",
    b'<?xml version="1.1" encoding="utf-16"?>',
    b'encoding="windows-1251"',
    b'xmlns:g="http://base.google.com/ns/1.0"',
    b"<g:price>",
    b"</offer><offer>",
    b'<offer id="">',
    b'<param name="\xd0\x93\xd0\xb0\xd1\x80\xd0\xb0\xd0\xbd\xd1\x82\xd1\x96\xd1\x8f" unit="">',
    b'<script type="application/ld+json">',
    b"</script>",
    b'{"@type":"Product","offers":{"price":"1e999999","priceCurrency":"\\u202e"}}',
    b'{"@context":"https://schema.org","@graph":[',
)


def generated_token(rng: random.Random) -> bytes:
    """Hostile input that is too large to list: deep nesting, long ids, huge attributes and numbers."""
    choice = rng.randrange(7)
    if choice == 0:
        depth = rng.choice((200, 2_000, 20_000))
        return b"<a>" * depth + b"</a>" * depth
    if choice == 1:
        depth = rng.choice((200, 2_000, 50_000))
        return b"[" * depth + b"]" * depth if rng.random() < 0.5 else b'{"a":' * depth + b"1" + b"}" * depth
    if choice == 2:
        return b'id="' + b"A" * rng.choice((1_000, 100_000, 1_000_000)) + b'"'
    if choice == 3:
        return b"9" * rng.choice((30, 400, 5_000))
    if choice == 4:
        return b'id="a&#10;feed.xml:1: FD001 forged&#27;]0;x&#7;"'
    if choice == 5:
        return b"<param>x</param>" * rng.choice((100, 10_000))
    return b" ".join(f'a{n}="{n}"'.encode() for n in range(rng.choice((100, 5_000))))


def _flip(data: bytes, rng: random.Random, seeds: Sequence[bytes]) -> tuple[bytes, str]:
    if not data:
        return data, "flip (empty)"
    buffer = bytearray(data)
    count = rng.randint(1, 8)
    for _ in range(count):
        position = rng.randrange(len(buffer))
        buffer[position] ^= 1 << rng.randrange(8)
    return bytes(buffer), f"flip {count} bits"


def _truncate(data: bytes, rng: random.Random, seeds: Sequence[bytes]) -> tuple[bytes, str]:
    position = rng.randrange(len(data) + 1)
    return data[:position], f"truncate at {position}"


def _splice(data: bytes, rng: random.Random, seeds: Sequence[bytes]) -> tuple[bytes, str]:
    other = rng.choice(seeds)
    here, there = rng.randrange(len(data) + 1), rng.randrange(len(other) + 1)
    return data[:here] + other[there:], f"splice at {here} with another seed from {there}"


def _duplicate(data: bytes, rng: random.Random, seeds: Sequence[bytes]) -> tuple[bytes, str]:
    if not data:
        return data, "duplicate (empty)"
    start = rng.randrange(len(data))
    end = min(len(data), start + rng.randint(1, 2_000))
    times = rng.choice((2, 10, 100))
    return data[:end] + data[start:end] * times + data[end:], f"repeat {start}:{end} x{times}"


def _token(rng: random.Random) -> bytes:
    return generated_token(rng) if rng.random() < 0.2 else rng.choice(HOSTILE_TOKENS)


def _insert(data: bytes, rng: random.Random, seeds: Sequence[bytes]) -> tuple[bytes, str]:
    token = _token(rng)
    position = rng.randrange(len(data) + 1)
    return data[:position] + token + data[position:], f"insert {token[:40]!r} at {position}"


def _insert_after(marker: bytes) -> Callable[[bytes, random.Random, Sequence[bytes]], tuple[bytes, str]]:
    def mutate(data: bytes, rng: random.Random, seeds: Sequence[bytes]) -> tuple[bytes, str]:
        places = [i + len(marker) for i in _find_all(data, marker)]
        if not places:
            return _insert(data, rng, seeds)
        token = _token(rng)
        position = rng.choice(places)
        return data[:position] + token + data[position:], f"insert {token[:40]!r} after {marker!r} at {position}"

    return mutate


def _find_all(data: bytes, marker: bytes, limit: int = 2_000) -> list[int]:
    found: list[int] = []
    start = 0
    while len(found) < limit:
        index = data.find(marker, start)
        if index < 0:
            break
        found.append(index)
        start = index + 1
    return found


def _prepend_doctype(data: bytes, rng: random.Random, seeds: Sequence[bytes]) -> tuple[bytes, str]:
    doctype = rng.choice([t for t in HOSTILE_TOKENS if t.startswith(b"<!DOCTYPE")])
    end = data.find(b"?>") + 2 if data.startswith(b"<?xml") else 0
    return data[:end] + doctype + data[end:], "DOCTYPE with entity declarations"


MUTATIONS: tuple[tuple[str, Callable[[bytes, random.Random, Sequence[bytes]], tuple[bytes, str]]], ...] = (
    ("flip", _flip),
    ("truncate", _truncate),
    ("splice", _splice),
    ("duplicate", _duplicate),
    ("insert", _insert),
    ("attribute", _insert_after(b'="')),
    ("text", _insert_after(b">")),
    ("id", _insert_after(b'id="')),
    ("doctype", _prepend_doctype),
)


def mutate(seed: bytes, rng: random.Random, seeds: Sequence[bytes]) -> tuple[bytes, list[str]]:
    data, steps = seed, []
    for _ in range(rng.choice((1, 1, 2, 2, 3, 4))):
        _name, mutation = rng.choice(MUTATIONS)
        data, step = mutation(data, rng, seeds)
        steps.append(step)
        if len(data) > MAX_CASE_BYTES:
            data = data[:MAX_CASE_BYTES]
            steps.append(f"cut to {MAX_CASE_BYTES} bytes")
    if rng.random() < 0.05:
        data = gzip.compress(data, mtime=0)
        steps.append("gzip")
    return data, steps


# -- seeds -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Seeds:
    feeds: list[bytes]
    pages: list[bytes]
    names: list[str]


def load_seeds(corpus: Path | None) -> Seeds:
    feeds, pages, names = [], [], []
    for path in sorted((ROOT / "fixtures" / "feeds").rglob("*")):
        if path.is_file() and path.suffix in (".xml", ".gz"):
            data = path.read_bytes()
            feeds.append(gzip.decompress(data) if path.suffix == ".gz" else data)
            names.append(str(path.relative_to(ROOT)))
    for path in sorted((ROOT / "fixtures" / "pages").glob("*.html")):
        pages.append(path.read_bytes())
    if corpus is not None and corpus.is_dir():
        for path in sorted(corpus.rglob("*.xml")):
            if path.stat().st_size <= MAX_SEED_BYTES:
                feeds.append(path.read_bytes())
                names.append(path.name)
    return Seeds(feeds, pages, names)


# -- the worker: one case after another, one JSON line each ----------------------------------------


def worker(memory: int) -> int:
    """Read `kind<TAB>path` lines from stdin; answer each with a JSON line on stdout."""
    if memory:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    sys.setrecursionlimit(10_000)  # as deep as a real run can go, no deeper
    import warnings

    warnings.simplefilter("ignore")
    run = _case_runner()
    answer = sys.stdout
    sys.stdout = io.StringIO()  # whatever the audit might print does not mix with the answers
    for line in sys.stdin:
        kind, _, path = line.rstrip("\n").partition("\t")
        answer.write(json.dumps(run(kind, Path(path))) + "\n")
        answer.flush()
        sys.stdout = io.StringIO()
    return 0


def _case_runner() -> Callable[[str, Path], dict[str, str]]:
    from feedaudit.config import Settings
    from feedaudit.engine import Engine
    from feedaudit.errors import FeedauditError
    from feedaudit.history.delta import RunDelta
    from feedaudit.history.store import HistoryStore
    from feedaudit.listings.extract import read_html
    from feedaudit.model import Finding
    from feedaudit.nightly import shop_of
    from feedaudit.notify.message import build_message
    from feedaudit.notify.settings import EmailSettings
    from feedaudit.report import REPORTERS, Reporter, Summary
    from feedaudit.runner import make_reporter, run_check, run_listings

    engine = Engine(Settings())
    mail = EmailSettings.model_validate({"from": "audit@shop.example", "to": ["owner@shop.example"]})
    history_dir = Path(tempfile.mkdtemp(prefix="feedaudit-fuzz-"))
    store = HistoryStore.open(history_dir / "history.db")

    class EveryFormat(Reporter):
        """Hands each finding to a reporter of every format; keeps them (capped) for the e-mail."""

        def __init__(self) -> None:
            super().__init__(io.StringIO())
            self.outputs = {name: io.StringIO() for name in REPORTERS}
            self.reporters = [make_reporter(name, out) for name, out in self.outputs.items()]

        def add(self, finding: Finding) -> None:
            super().add(finding)
            for reporter in self.reporters:
                reporter.add(finding)

        def finish(self, summary: Summary) -> None:
            for reporter in self.reporters:
                reporter.finish(summary)
            for out in self.outputs.values():
                out.getvalue().encode("utf-8")  # what writing the report file does

    def run(kind: str, path: Path) -> dict[str, str]:
        started = time.monotonic()
        try:
            every = EveryFormat()
            if kind == "page":
                listing = read_html(path.read_bytes(), PAGE_URL)
                summary = run_listings(engine, [listing], every)
            else:
                summary = run_check(engine, [str(path)], every)
            delta = RunDelta(1, new=every.findings)
            build_message(shop_of(summary.feeds), delta, mail).as_bytes()
            store.record_run(every.findings, sources=[str(path)], started=datetime.now(UTC))
        except FeedauditError as exc:
            return {"status": "error", "error": f"{exc.__class__.__name__}: {exc}"[:500], "seconds": _since(started)}
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt):
                raise
            return {
                "status": "foreign",
                "error": f"{exc.__class__.__name__}: {str(exc)[:300]}",
                "where": _where(exc),
                "trace": traceback.format_exc()[-6_000:],
                "seconds": _since(started),
            }
        return {"status": "ok", "seconds": _since(started)}

    return run


def replay(cases: Sequence[Path]) -> int:
    """Run kept cases in this process and print what each ended in (with the traceback)."""
    run = _case_runner()
    failed = 0
    for case in cases:
        answer = run("page" if case.suffix == ".html" else "feed", case)
        print(f"{case}: {answer['status']} in {answer['seconds']} s {answer.get('error', '')}".rstrip())
        if answer["status"] == "foreign":
            failed += 1
            print(answer["trace"])
    return 1 if failed else 0


def _since(started: float) -> str:
    return f"{time.monotonic() - started:.3f}"


def _where(exc: BaseException) -> str:
    """The innermost frame of the exception inside feedaudit (or anywhere), as `file:line function`."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "feedaudit" in f.filename] or list(frames)
    if not ours:
        return "?"
    frame = ours[-1]
    path = Path(frame.filename)
    shown = "/".join(path.parts[path.parts.index("feedaudit") :]) if "feedaudit" in path.parts else path.name
    return f"{shown}:{frame.lineno} {frame.name}"


# -- the driver ------------------------------------------------------------------------------------


@dataclass(slots=True)
class Results:
    cases: int = 0
    ok: int = 0
    errors: int = 0  # feedaudit's own errors: expected for broken input
    foreign: int = 0  # exceptions that are not feedaudit's own
    died: int = 0  # the worker process died (killed by a signal, out of memory)
    slow: int = 0  # over the time limit (the worker was killed)
    slowest: float = 0.0
    seconds: float = 0.0
    signatures: Counter[str] = field(default_factory=Counter)
    reproducers: list[Path] = field(default_factory=list)

    @property
    def failures(self) -> int:
        return self.foreign + self.died + self.slow

    def lines(self) -> list[str]:
        rate = self.cases / self.seconds if self.seconds else 0.0
        out = [
            f"cases: {self.cases:,} in {self.seconds:.0f} s ({rate:.1f}/s)",
            f"ok: {self.ok:,}  feedaudit errors: {self.errors:,}",
            f"foreign exceptions: {self.foreign}  worker died: {self.died}  over the time limit: {self.slow}",
            f"slowest finished case: {self.slowest:.2f} s",
        ]
        out += [f"  {count:>5} x {signature}" for signature, count in self.signatures.most_common()]
        return out


class Worker:
    def __init__(self, memory: int) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--worker", "--memory", str(memory)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=ROOT,
            start_new_session=True,
        )

    def ask(self, kind: str, path: Path, timeout: float) -> dict[str, str] | None:
        """The worker's answer, `{"status": "slow"}` after `timeout` s, or None when it died."""
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        try:
            self.process.stdin.write(f"{kind}\t{path}\n".encode())
            self.process.stdin.flush()
        except BrokenPipeError:
            return None
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        if not ready:
            return {"status": "slow"}
        line = self.process.stdout.readline()
        if not line:
            return None
        answer: dict[str, str] = json.loads(line)
        return answer

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


def fuzz(
    *,
    duration: float | None = None,
    cases: int | None = None,
    seed: int = 0,
    corpus: Path | None = CORPUS,
    out: Path = OUT,
    timeout: float = 10.0,
    memory: int = 1 << 30,
    progress: Callable[[Results], None] | None = None,
) -> Results:
    """Run cases until `duration` seconds or `cases` cases, whichever comes first."""
    if duration is None and cases is None:
        raise ValueError("give a duration or a number of cases")
    rng = random.Random(seed)
    seeds = load_seeds(corpus)
    out.mkdir(parents=True, exist_ok=True)
    results = Results()
    started = time.monotonic()
    work = Worker(memory)
    scratch = Path(tempfile.mkdtemp(prefix="feedaudit-fuzz-cases-"))
    try:
        while (cases is None or results.cases < cases) and (duration is None or time.monotonic() - started < duration):
            kind = "page" if rng.random() < 0.15 else "feed"
            pool = seeds.pages if kind == "page" else seeds.feeds
            data, steps = mutate(rng.choice(pool), rng, pool)
            case = scratch / ("case.html" if kind == "page" else "case.xml")
            case.write_bytes(data)
            answer = work.ask(kind, case, timeout)
            results.cases += 1
            status = "died" if answer is None else answer["status"]
            if answer is not None and "seconds" in answer:
                results.slowest = max(results.slowest, float(answer["seconds"]))
            if status == "ok":
                results.ok += 1
            elif status == "error":
                results.errors += 1
            else:
                if status == "foreign":
                    results.foreign += 1
                    signature = f"{answer['error'].split(':')[0]} at {answer['where']}" if answer else "?"
                elif status == "slow":
                    results.slow += 1
                    signature = f"over {timeout:g} s"
                else:
                    results.died += 1
                    signature = f"worker died (exit {work.process.poll()})"
                results.signatures[signature] += 1
                results.reproducers.append(_keep(out, kind, data, steps, signature, answer))
                if status != "foreign":
                    work.stop()
                    work = Worker(memory)
            if progress is not None and results.cases % 100 == 0:
                progress(results)
    finally:
        work.stop()
        for leftover in scratch.iterdir():
            leftover.unlink()
        scratch.rmdir()
    results.seconds = time.monotonic() - started
    return results


def _keep(out: Path, kind: str, data: bytes, steps: list[str], signature: str, answer: dict[str, str] | None) -> Path:
    digest = hashlib.sha1(data).hexdigest()[:12]
    path = out / f"{kind}-{digest}{'.html' if kind == 'page' else '.xml'}"
    path.write_bytes(data)
    notes = [f"signature: {signature}", "mutations:", *(f"  {step}" for step in steps)]
    if answer is not None and answer.get("trace"):
        notes += ["", answer["trace"]]
    path.with_suffix(".txt").write_text("\n".join(notes) + "\n", encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, help="seconds to run (default: 60 unless --cases)")
    parser.add_argument("--cases", type=int, help="stop after this many cases")
    parser.add_argument("--seed", type=int, default=0, help="random seed (the same seed runs the same cases)")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds a case may take (default 10)")
    parser.add_argument("--memory", type=int, default=1 << 30, help="worker address-space limit in bytes")
    parser.add_argument("--no-corpus", action="store_true", help="fixtures only, not the shared corpus")
    parser.add_argument("--out", type=Path, default=OUT, help=f"where reproducers go (default {OUT})")
    parser.add_argument("--replay", nargs="+", type=Path, metavar="CASE", help="run kept cases again, here")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args.memory)
    if args.replay:
        return replay(args.replay)
    duration = args.duration if args.duration is not None or args.cases is not None else 60.0
    corpus = None if args.no_corpus else CORPUS

    def report(results: Results) -> None:
        print(f"... {results.cases} cases, {results.failures} failures", file=sys.stderr, flush=True)

    results = fuzz(
        duration=duration,
        cases=args.cases,
        seed=args.seed,
        corpus=corpus,
        out=args.out,
        timeout=args.timeout,
        memory=args.memory,
        progress=report,
    )
    seeds = load_seeds(corpus)
    print(f"seeds: {len(seeds.feeds)} feeds, {len(seeds.pages)} pages; seed {args.seed}")
    print("\n".join(results.lines()))
    if results.reproducers:
        print(f"reproducers in {args.out}: {len(results.reproducers)}")
    return 1 if results.failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
