"""Writes the findings of every fixture feed and every feed of the shared corpus, one jsonl file per run mode.

Used to show that a restructuring changes no finding: run it before and after, and compare the files
byte for byte. Each mode runs `feedaudit check --select ALL --output-format jsonl` over all the feeds
at once; the lines are sorted, so the files compare regardless of the order feeds finish in.

    python bench/findings_snapshot.py --out /tmp/before                 # modes: one split jobs dask
    python bench/findings_snapshot.py --out /tmp/after && diff -r /tmp/before /tmp/after

Modes: `one` (one process), `split` (each feed of more than one record split into ~64 KiB ranges on
two cores), `jobs` (`--jobs 2`), `dask` (a Dask LocalCluster on 127.0.0.1), and `inventory-one` /
`inventory-split` (the inventory fixture feed against its CSV, in one process and split per record).
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
SPLIT = "[parallel]\nworkers = 2\nmin-bytes = 1\npart-bytes = 65536\n"
SPLIT_PER_RECORD = "[parallel]\nworkers = 2\nmin-bytes = 1\npart-bytes = 1\n"


def feeds(corpus: Path) -> list[str]:
    found = sorted(p for p in (ROOT / "fixtures" / "feeds").rglob("*") if p.is_file() and p.suffix in (".xml", ".gz"))
    if corpus.is_dir():
        found += sorted(p for p in corpus.rglob("*") if p.is_file() and p.suffix in (".xml", ".gz", ".yml"))
    return [str(p) for p in found]


def check(arguments: list[str], config: str, work: Path) -> str:
    path = work / "feedaudit.toml"
    path.write_text(config, encoding="utf-8")
    command = [sys.executable, "-m", "feedaudit", "check", "--config", str(path), "--quiet"]
    command += ["--select", "ALL", "--output-format", "jsonl", *arguments]
    result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=work)
    if result.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command[:8])} …: exit {result.returncode}\n{result.stderr}")
    return "".join(sorted(result.stdout.splitlines(keepends=True)))


def run_mode(mode: str, sources: list[str], work: Path) -> str:
    if mode == "one":
        return check(sources, ONE, work)
    if mode == "split":
        return check(sources, SPLIT, work)
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
    args = parser.parse_args()
    sources = feeds(args.corpus)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        for mode in args.modes:
            text = run_mode(mode, sources, Path(work))
            (args.out / f"{mode}.jsonl").write_text(text, encoding="utf-8")
            print(f"{mode}: {text.count(chr(10)):,} findings", file=sys.stderr)


if __name__ == "__main__":
    main()
