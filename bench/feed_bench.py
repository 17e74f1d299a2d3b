"""Feed audit benchmark: `feedaudit check` against a bare lxml streaming pass over the same files.

In one run, for each size (100 MB and 1 GB by default) it generates the synthetic YML feed once
(`bench/generate.py`, well-formed, 1% of offers with a planted data fault; cached in `bench/out/`),
warms the page cache, then times, in fresh processes and alternating, several repetitions of

  bare                    lxml `iterparse(tag="offer")` + clear + delete previous siblings (one core)
  feedaudit               `feedaudit check --select ALL --output-format jsonl` with the default
                          `[parallel] workers = "auto"` (the feed split across the usable cores)
  feedaudit, one process  the same with `[parallel] workers = 1`

and records the median wall time, MB/s, offers/s, CPU seconds, the ratio to the bare pass, the peak RSS
of the main process and the peak summed PSS of all its processes. It checks that both feedaudit runs
wrote byte-identical findings. The figures go to the "Feed audit" section of `bench/RESULTS.md`;
other sections of that file are kept.

    python bench/feed_bench.py                                  # 100MB and 1GB, 3 repetitions
    python bench/feed_bench.py --sizes 100MB --repeat 5 --no-write
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

from bench.generate import WELL_FORMED_FAULTS, generate, parse_size  # noqa: E402

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
    cpu: float  # user + system seconds of the process and the children it waited for
    peak_kib: int  # the process's own peak RSS (VmHWM)
    tree_pss_kib: int  # peak of the summed PSS of the process and its children (shared pages split)
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
    def cpu(self) -> float:
        return statistics.median(r.cpu for r in self.runs)

    @property
    def peak_mib(self) -> float:
        return max(r.peak_kib for r in self.runs) / 1024

    @property
    def tree_mib(self) -> float:
        return max(r.tree_pss_kib for r in self.runs) / 1024

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


def _status_kib(pid: int, key: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def measure(argv: list[str], stdout_path: Path) -> Run:
    """Run one command in a fresh process and sample its memory every 20 ms.

    The process's own peak is its VmHWM (ru_maxrss cannot be used: Linux carries the forking
    parent's peak over into the child). The process tree's memory is the sum of PSS, which splits
    pages shared between the main process and forked workers instead of counting them in each.
    """
    with stdout_path.open("wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.PIPE)
        own = 0
        tree = 0
        done = threading.Event()

        def sample() -> None:
            nonlocal own, tree
            while not done.is_set():
                pids = _descendants(process.pid)
                own = max(own, _status_kib(process.pid, "VmHWM:"))
                tree = max(tree, sum(_pss_kib(pid) for pid in pids))
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
    return Run(wall, usage.ru_utime + usage.ru_stime, own, max(tree, own), code)


def warm(path: Path) -> None:
    with path.open("rb") as handle:
        while handle.read(1 << 22):
            pass


def feed_for(size_text: str, seed: int) -> tuple[Path, int, int]:
    """The cached synthetic feed of that size: (path, bytes, offers)."""
    size = parse_size(size_text)
    path = OUT / f"synthetic-yml-{size_text.lower()}-seed{seed}.xml"
    stamp = path.with_suffix(".offers")
    if not path.exists() or not stamp.exists():
        print(f"generating {path.relative_to(ROOT)} ({size:,} bytes) …", flush=True)
        manifest = generate(path, size=size, seed=seed, kinds=WELL_FORMED_FAULTS)
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
        "load": " / ".join(f"{value:.2f}" for value in os.getloadavg()),
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
        f"commit {info['commit']}; {info['date']}; load average at the end {info['load']} (1/5/15 min; "
        "the machine is shared, so wall times carry noise that the CPU seconds do not).",
        "",
        f'- **bare**: `lxml.etree.iterparse(path, tag="offer", {PARSER_FLAGS})`, then '
        "`clear(keep_tail=True)` and delete the previous siblings; nothing extracted; one core.",
        "- **feedaudit**: `feedaudit check --select ALL --output-format jsonl FEED > findings.jsonl` (every "
        'registered rule on, every finding written) with `[parallel] workers = "auto"`: the feed is split '
        "into byte ranges audited by one worker process per usable core.",
        "- **feedaudit, one process**: the same with `[parallel] workers = 1`.",
        "- Wall time is measured around the whole process (interpreter start and imports included); CPU is "
        "user + system seconds of the process and its workers. Peak RSS is the main process's VmHWM; "
        "*all processes* is the peak of the summed PSS of the process and its workers, sampled every 20 ms "
        "(PSS splits the pages the forked workers share with the main process).",
        "",
        "| feed | offers | run | wall s (min–max) | MB/s | offers/s | CPU s | × bare | peak RSS MiB "
        "| all processes MiB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for label, size, offers, variants in rows:
        bare = variants[0].wall
        for variant in variants:
            lines.append(
                f"| {label} ({size / 1e6:,.0f} MB) | {offers:,} | {variant.label} | {variant.wall:.2f} "
                f"({variant.spread()}) | {size / 1e6 / variant.wall:,.1f} | {offers / variant.wall:,.0f} | "
                f"{variant.cpu:.2f} | {variant.wall / bare:.2f} | {variant.peak_mib:.1f} | {variant.tree_mib:.1f} |"
            )
    if len(rows) >= 2:
        small, large = rows[0], rows[-1]
        lines.append("")
        for index, variant in enumerate(small[3]):
            other = large[3][index]
            lines.append(
                f"- Memory growth, {variant.label}: main process {variant.peak_mib:.1f} → {other.peak_mib:.1f} MiB "
                f"({other.peak_mib / variant.peak_mib:.2f}×), all processes {variant.tree_mib:.1f} → "
                f"{other.tree_mib:.1f} MiB ({other.tree_mib / variant.tree_mib:.2f}×) from {small[0]} to {large[0]}."
            )
    lines.append("")
    lines.append(
        "- Findings of the two feedaudit runs compared byte for byte at every size: "
        + ", ".join(f"{label}: {'identical' if same else 'DIFFERENT'}" for label, same in IDENTICAL)
        + "."
    )
    return "\n".join(lines) + "\n"


IDENTICAL: list[tuple[str, bool]] = []


NOTES = "<!-- notes: kept as they are when feed_bench.py rewrites this section -->"


def write_section(text: str, path: Path = RESULTS) -> None:
    """Replace the "Feed audit" section of RESULTS.md (or append it), keeping every other section.

    Within the section, the notes after the NOTES marker line are kept.
    """
    existing = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    lines = existing.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.rstrip() == SECTION), None)
    if start is None:
        body = existing.rstrip("\n") + "\n\n" + text + "\n" + NOTES + "\n"
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        marker = next((i for i in range(start, end) if lines[i].rstrip() == NOTES), None)
        notes = "".join(lines[marker:end]).rstrip("\n") + "\n" if marker is not None else NOTES + "\n"
        before = "".join(lines[:start])
        after = "".join(lines[end:])
        body = before + text + "\n" + notes + ("\n" + after if after else "")
    path.write_text(body, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--sizes", default="100MB,1GB", help="comma-separated feed sizes (default 100MB,1GB)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-write", action="store_true", help="print the section, do not touch RESULTS.md")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    python = sys.executable
    configs = {}
    for name, workers in (("parallel", '"auto"'), ("one-process", "1")):
        configs[name] = OUT / f"{name}.toml"
        configs[name].write_text(f"[parallel]\nworkers = {workers}\n", encoding="utf-8")
    rows: list[tuple[str, int, int, list[Variant]]] = []
    for size_text in args.sizes.split(","):
        path, size, offers = feed_for(size_text.strip(), args.seed)
        warm(path)
        check = [python, "-m", "feedaudit", "check", "--select", "ALL", "--output-format", "jsonl", "--quiet"]
        variants = [
            Variant("bare", [python, "-c", BARE_PASS, str(path)]),
            Variant("feedaudit", [*check, "--config", str(configs["parallel"]), str(path)]),
            Variant("feedaudit, one process", [*check, "--config", str(configs["one-process"]), str(path)]),
        ]
        outputs: dict[str, Path] = {}
        for repetition in range(args.repeat):
            for variant in variants:
                out = OUT / f"{variant.label.replace(' ', '-').replace(',', '')}-{size_text.lower()}.out"
                outputs[variant.label] = out
                run = measure(variant.argv, out)
                variant.runs.append(run)
                if variant.label == "bare":
                    counted = int(out.read_text().strip())
                    if counted != offers:
                        raise SystemExit(f"bare pass counted {counted} offers, the generator wrote {offers}")
                print(
                    f"{size_text} #{repetition + 1} {variant.label:<24} {run.wall:7.2f} s  cpu {run.cpu:6.2f} s  "
                    f"{run.peak_kib / 1024:6.1f} MiB  (all {run.tree_pss_kib / 1024:6.1f} MiB)  exit {run.exit_code}",
                    flush=True,
                )
        same = outputs["feedaudit"].read_bytes() == outputs["feedaudit, one process"].read_bytes()
        IDENTICAL.append((size_text.strip(), same))
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
