"""Feed audit benchmark: `feedaudit check` against a bare lxml streaming pass over the same files.

In one run, for each size (100 MB and 1 GB by default) it generates the synthetic YML feed once
(`bench/generate.py`, cached in `bench/out/`), warms the page cache, then times, in fresh processes
and alternating, several repetitions of

  bare       lxml `iterparse(tag="offer")` + clear + delete previous siblings, nothing else (one core)
  feedaudit  `feedaudit check --select ALL --output-format jsonl` (every rule on, every finding written)

and records the median wall time, MB/s, offers/s, the ratio feedaudit / bare, and the peak RSS of each
(the process's own `ru_maxrss` from `wait4`, and the sampled sum over the process and its children).
The figures go to the "Feed audit" section of `bench/RESULTS.md`; other sections are kept.

    python bench/feed_bench.py                       # 100MB and 1GB, 3 repetitions
    python bench/feed_bench.py --sizes 100MB --repeat 5 --no-write
    python bench/feed_bench.py --variant "2 jobs=--jobs 2"   # add a feedaudit variant with extra options
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shlex
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.generate import generate, parse_size  # noqa: E402

OUT = ROOT / "bench" / "out"
RESULTS = ROOT / "bench" / "RESULTS.md"
SECTION = "## Feed audit"
PARSER_FLAGS = "recover=True, huge_tree=True, resolve_entities=False, no_network=True"


# The baseline runs as `python -c BARE_PASS FEED`, so its process imports nothing but lxml.
BARE_PASS = """
import sys
from lxml import etree

count = 0
for _event, element in etree.iterparse(
    sys.argv[1], events=("end",), tag="offer", recover=True, huge_tree=True, resolve_entities=False, no_network=True
):
    count += 1
    element.clear(keep_tail=True)
    parent = element.getparent()
    while element.getprevious() is not None:
        del parent[0]
print(count)
"""


@dataclass(slots=True)
class Run:
    wall: float
    maxrss_kib: int  # the process itself (ru_maxrss of wait4)
    tree_rss_kib: int  # sampled sum over the process and its descendants
    exit_code: int


@dataclass(slots=True)
class Variant:
    label: str
    argv: list[str]
    runs: list[Run] = field(default_factory=list)

    @property
    def wall(self) -> float:
        return statistics.median(r.wall for r in self.runs)

    @property
    def maxrss_mib(self) -> float:
        return max(r.maxrss_kib for r in self.runs) / 1024

    @property
    def tree_rss_mib(self) -> float:
        return max(max(r.tree_rss_kib, r.maxrss_kib) for r in self.runs) / 1024

    def spread(self) -> str:
        walls = [r.wall for r in self.runs]
        return f"{min(walls):.2f}–{max(walls):.2f}"


def _descendants(pid: int) -> list[int]:
    found = [pid]
    index = 0
    while index < len(found):
        current = found[index]
        index += 1
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    found.extend(int(child) for child in handle.read().split())
        except OSError:
            continue
    return found


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def measure(argv: list[str], stdout_path: Path) -> Run:
    """Run one command in a fresh process; wall time, own peak RSS, sampled peak RSS of its process tree."""
    with stdout_path.open("wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.PIPE)
        peak = 0
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, sum(_rss_kib(pid) for pid in _descendants(process.pid)))
                done.wait(0.02)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _pid, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        done.set()
        sampler.join()
        process.returncode = os.waitstatus_to_exitcode(status)
        stderr = process.stderr.read().decode("utf-8", "replace") if process.stderr else ""
    code = process.returncode
    if code not in (0, 1):
        raise SystemExit(f"{shlex.join(argv)} failed with exit code {code}:\n{stderr}")
    return Run(wall, int(usage.ru_maxrss), peak, code)


def warm(path: Path) -> None:
    with path.open("rb") as handle:
        while handle.read(1 << 22):
            pass


def feed_for(size_text: str, seed: int) -> tuple[Path, int, int]:
    """The cached synthetic feed of that size: (path, bytes, offers)."""
    size = parse_size(size_text)
    path = OUT / f"feed-yml-{size_text.lower()}-seed{seed}.xml"
    stamp = path.with_suffix(".offers")
    if not path.exists() or not stamp.exists():
        print(f"generating {path.relative_to(ROOT)} ({size:,} bytes) …", flush=True)
        manifest = generate(path, size=size, seed=seed)
        stamp.write_text(f"{manifest.offers}\n")
    return path, path.stat().st_size, int(stamp.read_text())


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "cpu": f"{cpu}, {os.cpu_count()} cores (nproc {len(os.sched_getaffinity(0))})",
        "memory": _memory(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "lxml": ".".join(map(str, etree.LXML_VERSION)) + " (libxml2 " + ".".join(map(str, etree.LIBXML_VERSION)) + ")",
        "commit": commit + (" + uncommitted changes" if dirty else ""),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024**2:.0f} GiB"
    except OSError:
        pass
    return "unknown"


def render(rows: list[tuple[str, int, int, list[Variant]]], info: dict[str, str], command: str, repeat: int) -> str:
    lines = [
        SECTION,
        "",
        f"Command: `{command}` ({repeat} repetitions per size, alternating, each in a fresh process; "
        "median wall time with min–max; page cache warm).",
        "",
        f"Machine: {info['cpu']}, {info['memory']} RAM, {info['os']}; Python {info['python']}, lxml {info['lxml']}; "
        f"commit {info['commit']}; {info['date']}.",
        "",
        f'- **bare**: `lxml.etree.iterparse(path, tag="offer", {PARSER_FLAGS})`, then '
        "`clear(keep_tail=True)` and delete the previous siblings; nothing extracted (one core).",
        "- **feedaudit**: `feedaudit check --select ALL --output-format jsonl FEED > findings.jsonl` "
        "(every registered rule on; every finding written).",
        "- Wall time is measured around the whole process (interpreter start and imports included). "
        "Peak RSS: the process's own `ru_maxrss` (from `wait4`), and the peak of the sampled sum of VmRSS "
        "over the process and its children (every 20 ms) where that is higher.",
        "",
        "| feed | offers | run | wall s (min–max) | MB/s | offers/s | × bare | peak RSS MiB | all processes MiB |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for label, size, offers, variants in rows:
        bare = variants[0].wall
        for variant in variants:
            lines.append(
                f"| {label} ({size / 1e6:,.0f} MB) | {offers:,} | {variant.label} | {variant.wall:.2f} "
                f"({variant.spread()}) | {size / 1e6 / variant.wall:,.1f} | {offers / variant.wall:,.0f} | "
                f"{variant.wall / bare:.2f} | {variant.maxrss_mib:.1f} | {variant.tree_rss_mib:.1f} |"
            )
    if len(rows) >= 2:
        small, large = rows[0], rows[-1]
        for index, variant in enumerate(small[3]):
            if index == 0:
                continue
            ratio = large[3][index].tree_rss_mib / variant.tree_rss_mib
            lines.append("")
            lines.append(
                f"Memory growth, {variant.label}: peak RSS {variant.tree_rss_mib:.1f} MiB at {small[0]} and "
                f"{large[3][index].tree_rss_mib:.1f} MiB at {large[0]} ({ratio:.2f}×)."
            )
    return "\n".join(lines) + "\n"


def write_section(text: str, path: Path = RESULTS) -> None:
    """Replace the "Feed audit" section of RESULTS.md (or append it), keeping every other section."""
    existing = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    lines = existing.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.rstrip() == SECTION), None)
    if start is None:
        body = existing.rstrip("\n") + "\n\n" + text
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        before = "".join(lines[:start])
        after = "".join(lines[end:])
        body = before + text + ("\n" + after if after else "")
    path.write_text(body, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--sizes", default="100MB,1GB", help="comma-separated feed sizes (default 100MB,1GB)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="LABEL=OPTIONS",
        help="an extra feedaudit run with these extra check options (repeatable)",
    )
    parser.add_argument("--no-write", action="store_true", help="print the section, do not touch RESULTS.md")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    python = sys.executable
    rows: list[tuple[str, int, int, list[Variant]]] = []
    for size_text in args.sizes.split(","):
        path, size, offers = feed_for(size_text.strip(), args.seed)
        warm(path)
        check = [python, "-m", "feedaudit", "check", "--select", "ALL", "--output-format", "jsonl", "--quiet"]
        variants = [
            Variant("bare", [python, "-c", BARE_PASS, str(path)]),
            Variant("feedaudit", [*check, str(path)]),
        ]
        for spec in args.variant:
            label, _, options = spec.partition("=")
            variants.append(Variant(f"feedaudit {label}", [*check, *shlex.split(options), str(path)]))
        for repetition in range(args.repeat):
            for variant in variants:
                out = OUT / f"{variant.label.replace(' ', '-')}-{size_text.lower()}.out"
                run = measure(variant.argv, out)
                variant.runs.append(run)
                if variant.label == "bare":
                    counted = int(out.read_text().strip())
                    if counted != offers:
                        raise SystemExit(f"bare pass counted {counted} offers, the generator wrote {offers}")
                print(
                    f"{size_text} #{repetition + 1} {variant.label:<12} {run.wall:7.2f} s  "
                    f"{run.maxrss_kib / 1024:6.1f} MiB  (all {run.tree_rss_kib / 1024:6.1f} MiB)  "
                    f"exit {run.exit_code}",
                    flush=True,
                )
        rows.append((size_text.strip(), size, offers, variants))
    command = "python bench/feed_bench.py " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:]))
    text = render(rows, machine(), command.strip(), args.repeat)
    print()
    print(text)
    if not args.no_write:
        write_section(text)
        print(f"written to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
