"""Output size and memory on a feed of offers with huge ids, in every output format.

It generates (once, cached in `bench/out/`) a YML feed of `--size` bytes whose offers carry ids of
`--id-bytes` characters (every tenth id repeated, so the duplicate-id rule quotes them), then runs
`feedaudit check FEED --output-format F -o FILE` in a fresh process for each format and records the
wall time, the peak RSS of that process (from `wait4`) and the size of the report it wrote. The bare
baseline, measured in the same run, is an lxml streaming pass over the same file (`iterparse` of the
offers, each cleared after reading), so the ratios say what the report itself costs.

    python bench/hostile_output.py                     # 60 MB feed, 1 MiB ids, every format
    python bench/hostile_output.py --size 10MB --formats concise,json
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import string
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
FORMATS = ("concise", "grouped", "github", "csv", "json", "jsonl", "sarif", "junit", "html")

BARE_PASS = """
import sys
from lxml import etree

count = 0
for _event, element in etree.iterparse(
    sys.argv[1], events=("end",), tag="offer", recover=True, huge_tree=True, resolve_entities=False, no_network=True
):
    count += 1
    element.clear(keep_tail=True)
    while element.getprevious() is not None:
        del element.getparent()[0]
print(count)
"""


@dataclass(frozen=True, slots=True)
class Measure:
    label: str
    seconds: float
    peak_rss: int  # bytes
    output_bytes: int
    exit_code: int


def parse_size(text: str) -> int:
    units = {"KB": 1_000, "MB": 1_000_000, "GB": 1_000_000_000, "KIB": 1024, "MIB": 1 << 20}
    upper = text.strip().upper()
    for unit, factor in units.items():
        if upper.endswith(unit):
            return int(float(upper[: -len(unit)]) * factor)
    return int(upper)


def write_feed(path: Path, size: int, id_bytes: int, seed: int = 11) -> int:
    """A YML feed of about `size` bytes with ids of `id_bytes` letters; returns the number of offers."""
    rng = random.Random(seed)
    offers = max(1, size // (id_bytes + 400))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<yml_catalog date="2026-11-20 10:00"><shop>\n')
        out.write("<name>Shop</name><url>https://shop.example.ua</url>\n")
        out.write('<currencies><currency id="UAH" rate="1"/></currencies>\n')
        out.write('<categories><category id="1">Category</category></categories><offers>\n')
        previous = ""
        for number in range(offers):
            if number % 10 == 9 and previous:
                offer_id = previous
            else:
                head = "".join(rng.choices(string.ascii_letters, k=32))
                offer_id = head * (id_bytes // 32) + head[: id_bytes % 32]
            previous = offer_id
            out.write(
                f'<offer id="{offer_id}" available="true"><url>https://shop.example.ua/p/{number}</url>'
                f"<price>{100 + number}</price><currencyId>UAH</currencyId><categoryId>1</categoryId>"
                f"<name>Item {number}</name><vendor>Vendor</vendor></offer>\n"
            )
        out.write("</offers></shop></yml_catalog>\n")
    return offers


def measure(label: str, command: list[str], output: Path | None) -> Measure:
    if output is not None:
        output.unlink(missing_ok=True)
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    stderr = process.stderr.read().decode("utf-8", "replace") if process.stderr else ""
    if process.stderr:
        process.stderr.close()
    if process.returncode not in (0, 1):
        print(f"{label}: exit {process.returncode}: {stderr.strip()[-500:]}", file=sys.stderr)
    size = output.stat().st_size if output is not None and output.exists() else 0
    return Measure(label, seconds, usage.ru_maxrss * 1024, size, process.returncode)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="60MB", help="feed size (default 60MB)")
    parser.add_argument("--id-bytes", default="1MiB", help="length of each offer id (default 1MiB)")
    parser.add_argument("--formats", default=",".join(FORMATS), help="comma-separated output formats")
    args = parser.parse_args(argv)
    size, id_bytes = parse_size(args.size), parse_size(args.id_bytes)
    feed = OUT / f"hostile-ids-{args.size}-{args.id_bytes}.xml"
    if not feed.exists():
        offers = write_feed(feed, size, id_bytes)
        print(f"generated {feed.name}: {feed.stat().st_size / 1e6:.1f} MB, {offers} offers")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"feed: {feed.name}, {feed.stat().st_size / 1e6:.1f} MB")
    bare = measure("bare lxml pass", [sys.executable, "-c", BARE_PASS, str(feed)], None)
    results = [bare]
    for name in args.formats.split(","):
        report = OUT / f"hostile-report.{name}"
        command = [sys.executable, "-m", "feedaudit", "check", str(feed), "--output-format", name, "-o", str(report)]
        results.append(measure(name, command, report))
        report.unlink(missing_ok=True)
    print(f"{'run':<16} {'time':>8} {'peak RSS':>10} {'x bare':>7} {'report':>12}  exit")
    for m in results:
        ratio = m.peak_rss / bare.peak_rss
        print(
            f"{m.label:<16} {m.seconds:>7.1f}s {m.peak_rss / (1 << 20):>6.0f} MiB {ratio:>6.1f}x "
            f"{m.output_bytes / 1e6:>9.2f} MB  {m.exit_code}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
