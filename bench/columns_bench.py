"""What noting record start columns costs: lxml's streaming pass with and without `StartTags` under it.

`feedaudit.feeds.positions.StartTags` reads every byte of a feed once more (record start tags, comments,
CDATA sections, line breaks) so that offers sharing a line get a column. This times, alternating and in
one process, the bare pass the readers make (`iterparse(tag="offer")`, clear, delete earlier siblings)
over a generated YML feed as it is (one offer per line block) and minified (the same bytes without
line breaks, so every offer shares line 1), with the stream read directly and read through
`StartTags`, and prints the median of each and the ratio.

    python bench/columns_bench.py                  # 100 MB feed (generated once into bench/out/), 3 rounds
    python bench/columns_bench.py --size 20MB --repeat 5
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path
from typing import BinaryIO

from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.generate import WELL_FORMED_FAULTS, generate, parse_size  # noqa: E402
from feedaudit.feeds.positions import StartTags  # noqa: E402

OUT = ROOT / "bench" / "out"


def stream_pass(stream: BinaryIO | StartTags) -> int:
    count = 0
    for _event, element in etree.iterparse(
        stream, events=("end",), tag="offer", recover=True, huge_tree=True, resolve_entities=False, no_network=True
    ):
        count += 1
        element.clear(keep_tail=True)
        parent = element.getparent()
        while parent is not None and element.getprevious() is not None:
            del parent[0]
    return count


def timed(data: bytes, *, columns: bool) -> tuple[float, int, int]:
    raw = io.BytesIO(data)
    stream = StartTags(raw, {"offer"}) if columns else raw
    started = time.perf_counter()
    offers = stream_pass(stream)
    elapsed = time.perf_counter() - started
    noted = len(stream._starts) if isinstance(stream, StartTags) else 0
    return elapsed, offers, noted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--size", default="100MB")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    size = parse_size(args.size)
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"synthetic-yml-{args.size.lower()}-seed1.xml"
    if not path.exists():
        generate(path, size=size, kinds=WELL_FORMED_FAULTS)
    pretty = path.read_bytes()
    minified = pretty.replace(b"\n", b"")
    print(f"feed: {path.name} ({len(pretty) / 1e6:,.0f} MB); {args.repeat} rounds, alternating; median seconds")
    print("\n| feed | offers | bare pass s | through StartTags s | × bare | columns noted |")
    print("|---|---|---|---|---|---|")
    for label, data in (("as generated", pretty), ("minified (one line)", minified)):
        bare: list[float] = []
        noted_runs: list[float] = []
        offers = noted = 0
        for _ in range(args.repeat):
            seconds, offers, _ = timed(data, columns=False)
            bare.append(seconds)
            seconds, _, noted = timed(data, columns=True)
            noted_runs.append(seconds)
        b, n = statistics.median(bare), statistics.median(noted_runs)
        print(f"| {label} | {offers:,} | {b:.2f} | {n:.2f} | {n / b:.2f} | {noted:,} |")


if __name__ == "__main__":
    main()
