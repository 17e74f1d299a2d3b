"""Writes the findings of every fixture feed and every feed of the shared corpus, one jsonl file per run mode.

Used to show that a restructuring changes no finding: run it before and after, and compare the files
byte for byte. Each mode runs `feedaudit check --select ALL --output-format jsonl` over all the feeds
at once; the lines are sorted, so the files compare regardless of the order feeds finish in.

    python bench/findings_snapshot.py --out /tmp/before                 # modes: one split jobs dask …
    python bench/findings_snapshot.py --out /tmp/after && diff -r /tmp/before /tmp/after

Modes: `one` (one process), `split` (each feed of more than one record split into `--part-bytes`
ranges on two cores; `split-feeds.txt` lists the feeds that were), `jobs` (`--jobs 2`), `dask` (a
Dask LocalCluster on 127.0.0.1), and `inventory-one` / `inventory-split` (the inventory fixture feed
against its CSV, in one process and split per record). `--sample` takes the fixtures and every
eighth corpus feed under 2 MiB instead of every feed (what tests/parallel/test_run_modes.py runs).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODES = ("one", "split", "jobs", "dask", "inventory-one", "inventory-split")
ONE = "[parallel]\nworkers = 1\n"
SPLIT_PER_RECORD = "[parallel]\nworkers = 2\nmin-bytes = 1\npart-bytes = 1\n"
SAMPLE_MAX_BYTES = 2 * 1024**2


def feeds(corpus: Path, *, sample: bool = False) -> list[str]:
    found = sorted(p for p in (ROOT / "fixtures" / "feeds").rglob("*") if p.is_file() and p.suffix in (".xml", ".gz"))
    if corpus.is_dir():
        every = sorted(p for p in corpus.rglob("*") if p.is_file() and p.suffix in (".xml", ".gz", ".yml"))
        found += [p for p in every if p.stat().st_size < SAMPLE_MAX_BYTES][::8] if sample else every
    return [str(p) for p in found]


def split_config(part_bytes: int) -> str:
    return f"[parallel]\nworkers = 2\nmin-bytes = 1\npart-bytes = {part_bytes}\n"


def splitting(sources: list[str], part_bytes: int) -> list[str]:
    """The feeds a split run does audit in byte ranges, and `inventory FEED` when the inventory fixture
    is split too (asked before any thread is started in this process)."""
    from feedaudit.config import settings_from_mapping
    from feedaudit.engine import Engine
    from feedaudit.model import FeedInfo
    from feedaudit.parallel.run import plan_split

    parallel = {"workers": 2, "min-bytes": 1, "part-bytes": part_bytes}
    engine = Engine(settings_from_mapping({"parallel": parallel}))
    split = [spec for spec in sources if plan_split(engine.unit(FeedInfo(source=spec)), spec) is not None]
    inventory = ROOT / "fixtures" / "inventory"
    source = {"source": str(inventory / "stock.csv")}
    with_inventory = Engine(settings_from_mapping({"parallel": {**parallel, "part-bytes": 1}, "inventory": source}))
    feed = str(inventory / "feed.xml")
    if plan_split(with_inventory.unit(FeedInfo(source=feed)), feed) is not None:
        split.append(f"inventory {feed}")
    return split


def check(arguments: list[str], config: str, work: Path) -> str:
    path = work / "feedaudit.toml"
    path.write_text(config, encoding="utf-8")
    command = [sys.executable, "-m", "feedaudit", "check", "--config", str(path), "--quiet"]
    command += ["--select", "ALL", "--output-format", "jsonl", *arguments]
    result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=work)
    if result.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command[:8])} …: exit {result.returncode}\n{result.stderr}")
    return "".join(sorted(result.stdout.splitlines(keepends=True)))


def run_mode(mode: str, sources: list[str], work: Path, part_bytes: int = 65536) -> str:
    if mode == "one":
        return check(sources, ONE, work)
    if mode == "split":
        return check(sources, split_config(part_bytes), work)
    if mode == "jobs":
        return check([*sources, "--jobs", "2"], ONE, work)
    if mode == "dask":
        from distributed import LocalCluster

        with LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=False,
            protocol="tcp",
            host="127.0.0.1",
            dashboard_address=None,
            scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
        ) as local:
            return check([*sources, "--scheduler", str(local.scheduler_address)], ONE, work)
    inventory = ROOT / "fixtures" / "inventory"
    arguments = [str(inventory / "feed.xml"), "--inventory", str(inventory / "stock.csv")]
    return check(arguments, ONE if mode == "inventory-one" else SPLIT_PER_RECORD, work)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="directory for one <mode>.jsonl per mode")
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--modes", nargs="*", default=list(MODES), choices=MODES)
    parser.add_argument("--part-bytes", type=int, default=65536, help="byte ranges of the split mode")
    parser.add_argument("--sample", action="store_true", help="the fixtures and every eighth small corpus feed")
    args = parser.parse_args()
    sources = feeds(args.corpus, sample=args.sample)
    args.out.mkdir(parents=True, exist_ok=True)
    if "split" in args.modes:
        split = splitting(sources, args.part_bytes)
        (args.out / "split-feeds.txt").write_text("".join(f"{spec}\n" for spec in split), encoding="utf-8")
    with tempfile.TemporaryDirectory() as work:
        for mode in args.modes:
            text = run_mode(mode, sources, Path(work), args.part_bytes)
            (args.out / f"{mode}.jsonl").write_text(text, encoding="utf-8")
            print(f"{mode}: {text.count(chr(10)):,} findings", file=sys.stderr)


if __name__ == "__main__":
    main()
