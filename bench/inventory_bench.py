"""Inventory load and join speed and memory, against a bare baseline measured in the same run.

    python bench/inventory_bench.py                 # 1,000,000 rows x 1,000,000 offers
    python bench/inventory_bench.py --rows 100000   # a quicker look

Writes a synthetic inventory CSV and YML feed to bench/out/ (about 1 % of the rows drift), then runs
each phase in its own process so that each peak RSS is that phase's alone:

  load-bare      csv.reader into a dict key -> row (the floor for reading the same file in Python)
  load           feedaudit.load_inventory (header detection, parsing, compact columns, issues)
  join-bare      dict.get(offer.offer_id) for every offer, offers built in batches outside the clock
  join           inventory.match(offer) for every offer: the keyed lookup that yields an InventoryItem
  join+rules     the engine's per-offer inventory step: match + IV001-IV004 (+ stamping), every offer
  check          `feedaudit check FEED --inventory CSV --select IV` end to end (reader included)
  check-no-inv   `feedaudit check FEED --select ID001`: the same read without an inventory

Rates are rows (or offers) per second of wall time; peak RSS is the process's `ru_maxrss`.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

from feedaudit.model import Availability, Dialect, Offer

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
BATCH = 50_000
STATUSES = ("В наявності", "Немає", "Під замовлення")


def generate(rows: int, out: Path) -> tuple[Path, Path]:
    """A `rows`-row inventory and a `rows`-offer feed over the same keys, about 1 % drifting."""
    out.mkdir(parents=True, exist_ok=True)
    stock, feed = out / f"stock-{rows}.csv", out / f"feed-{rows}.xml"
    if stock.exists() and feed.exists():
        return stock, feed
    rng = random.Random(20261120)
    with stock.open("w", encoding="utf-8", newline="") as s, feed.open("w", encoding="utf-8") as f:
        s.write("Артикул;Назва;Ціна, грн;Кількість;Наявність\n")
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n<yml_catalog date="2026-11-20 09:00"><shop>')
        f.write('<name>Bench</name><currencies><currency id="UAH" rate="1"/></currencies><offers>\n')
        for n in range(rows):
            key = f"SKU-{n:07d}"
            price = rng.randint(100, 50_000)
            quantity = rng.randint(0, 40)
            status = STATUSES[0] if quantity else STATUSES[1]
            s.write(f"{key};Товар {n};{price};{quantity};{status}\n")
            drift = rng.random()
            feed_price = price + 100 if drift < 0.01 else price
            feed_quantity = quantity + 3 if 0.01 <= drift < 0.02 else quantity
            available = "true" if feed_quantity else "false"
            offer_key = key if drift < 0.995 else f"NEW-{n}"
            f.write(
                f'<offer id="{offer_key}" available="{available}"><price>{feed_price}</price>'
                f"<currencyId>UAH</currencyId><quantity_in_stock>{feed_quantity}</quantity_in_stock></offer>\n"
            )
        f.write("</offers></shop></yml_catalog>\n")
    return stock, feed


def offer_batches(rows: int) -> Iterator[list[Offer]]:
    """The feed's offers as the reader gives them, rebuilt from the generator's pattern (off the clock)."""

    rng = random.Random(20261120)
    batch: list[Offer] = []
    for n in range(rows):
        price = rng.randint(100, 50_000)
        quantity = rng.randint(0, 40)
        drift = rng.random()
        feed_price = price + 100 if drift < 0.01 else price
        feed_quantity = quantity + 3 if 0.01 <= drift < 0.02 else quantity
        batch.append(
            Offer(
                source="bench.xml",
                line=n + 3,
                dialect=Dialect.YML,
                offer_id=f"SKU-{n:07d}" if drift < 0.995 else f"NEW-{n}",
                price=Decimal(feed_price),
                price_text=str(feed_price),
                currency="UAH",
                availability=Availability.IN_STOCK if feed_quantity else Availability.BACKORDER,
                availability_text="true" if feed_quantity else "false",
                quantity=feed_quantity,
                quantity_text=str(feed_quantity),
                lines={"price": n + 3, "quantity": n + 3, "availability": n + 3},
            )
        )
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def phase(name: str, stock: Path, feed: Path, rows: int) -> str:
    """Run one phase in this process; print 'seconds count findings'."""
    if name == "load-bare":
        start = time.perf_counter()
        with stock.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle, delimiter=";")
            next(reader)
            table = {row[0]: row for row in reader}
        return f"{time.perf_counter() - start} {len(table)} 0"
    if name == "load":
        from feedaudit.inventory import load_inventory

        start = time.perf_counter()
        inventory = load_inventory(stock)
        return f"{time.perf_counter() - start} {len(inventory)} {inventory.issue_count}"
    if name == "join-bare":
        with stock.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle, delimiter=";")
            next(reader)
            table = {row[0]: row for row in reader}
        elapsed, hits, count = 0.0, 0, 0
        for batch in offer_batches(rows):
            start = time.perf_counter()
            for offer in batch:
                if table.get(offer.offer_id) is not None:
                    hits += 1
            elapsed += time.perf_counter() - start
            count += len(batch)
        return f"{elapsed} {count} {hits}"
    if name == "join":
        from feedaudit.inventory import load_inventory

        inventory = load_inventory(stock)
        elapsed, hits, count = 0.0, 0, 0
        for batch in offer_batches(rows):
            start = time.perf_counter()
            for offer in batch:
                if inventory.match(offer) is not None:
                    hits += 1
            elapsed += time.perf_counter() - start
            count += len(batch)
        return f"{elapsed} {count} {hits}"
    if name == "join+rules":
        from feedaudit.config import Settings
        from feedaudit.engine import Engine
        from feedaudit.inventory import load_inventory
        from feedaudit.model import FeedInfo, Shop

        engine = Engine(Settings(select=["IV001", "IV002", "IV003", "IV004"]), inventory=load_inventory(stock))
        unit = engine.unit(FeedInfo(source="bench.xml", shop=Shop(currencies={"UAH": 1})))  # type: ignore[dict-item]
        unit.refresh()
        elapsed, found, count = 0.0, 0, 0
        for batch in offer_batches(rows):
            start = time.perf_counter()
            for offer in batch:
                for _finding in unit.check_offer(offer):  # the audit unit's per-offer step, IV rules only
                    found += 1
            elapsed += time.perf_counter() - start
            count += len(batch)
        return f"{elapsed} {count} {found}"
    raise SystemExit(f"unknown phase {name}")


def measured(command: list[str]) -> tuple[float, float, str]:
    """(wall seconds, peak RSS MiB, stdout) of a child process."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    return wall, usage.ru_maxrss / 1024, output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--checks-only",
        action="store_true",
        help="only the whole command: split (the default), one process, no inventory",
    )
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--stock", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--feed", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(phase(args.phase, args.stock, args.feed, args.rows))
        return

    start = time.perf_counter()
    stock, feed = generate(args.rows, OUT)
    print(
        f"data: {stock.name} ({stock.stat().st_size / 2**20:.0f} MiB), {feed.name} "
        f"({feed.stat().st_size / 2**20:.0f} MiB), generated in {time.perf_counter() - start:.1f} s"
    )
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )
    results: dict[str, tuple[float, float, str]] = {}
    if args.checks_only:
        checks_only(stock, feed, args.rows)
        return
    for name in ("load-bare", "load", "join-bare", "join", "join+rules"):
        command = [
            sys.executable,
            __file__,
            "--phase",
            name,
            "--stock",
            str(stock),
            "--feed",
            str(feed),
            "--rows",
            str(args.rows),
        ]
        _, rss, output = measured(command)
        seconds, count, extra = output.split()
        results[name] = (float(seconds), rss, f"{count} {extra}")
        rate = int(count) / float(seconds)
        print(
            f"{name:<13} {float(seconds):7.2f} s  {rate:>12,.0f} rows/s  peak RSS {rss:7.0f} MiB"
            f"  ({count} rows, {extra})"
        )
    cli = str(Path(sys.executable).with_name("feedaudit"))
    for name, command in (
        ("check", [cli, "check", str(feed), "--inventory", str(stock), "--select", "IV", "-q", "--statistics"]),
        ("check-no-inv", [cli, "check", str(feed), "--select", "ID001", "-q", "--statistics"]),
    ):
        wall, rss, output = measured(command)
        results[name] = (wall, rss, output)
        print(f"{name:<13} {wall:7.2f} s  {args.rows / wall:>12,.0f} offers/s  peak RSS {rss:7.0f} MiB")
        for line in output.strip().splitlines():
            print(f"    {line}")
    load, bare = results["load"][0], results["load-bare"][0]
    join, join_bare = results["join"][0], results["join-bare"][0]
    print(
        f"load + join: {2 * args.rows / (load + join):,.0f} rows/s ({load + join:.2f} s for {args.rows:,} rows and "
        f"{args.rows:,} offers); bare: {2 * args.rows / (bare + join_bare):,.0f} rows/s ({bare + join_bare:.2f} s)"
    )
    print(
        f"ratios: load {load / bare:.2f}x the bare csv.reader dict, join {join / join_bare:.2f}x a bare dict.get, "
        f"load + join {(load + join) / (bare + join_bare):.2f}x; "
        f"load peak RSS {results['load'][1] / results['load-bare'][1]:.2f}x the bare dict's"
    )
    print(f"load average after the run: {os.getloadavg()[0]:.2f}")


def checks_only(stock: Path, feed: Path, rows: int) -> None:
    """The whole command with an inventory, split on the usable cores and in one process, beside the
    read without an inventory: wall and CPU seconds (the process and its workers), and the findings of
    the two inventory runs compared."""
    cli = str(Path(sys.executable).with_name("feedaudit"))
    one = OUT / "one-process.toml"
    one.write_text("[parallel]\nworkers = 1\n", encoding="utf-8")
    inventory = [cli, "check", str(feed), "--inventory", str(stock), "--select", "IV", "-q"]
    outputs: dict[str, str] = {}
    for name, command in (
        ("check", [*inventory, "--output-format", "jsonl"]),
        ("check-one-process", [*inventory, "--output-format", "jsonl", "--config", str(one)]),
        ("check-no-inv", [cli, "check", str(feed), "--select", "ID001", "-q", "--config", str(one)]),
    ):
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert process.stdout is not None
        outputs[name] = process.stdout.read()
        _, _, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        cpu = usage.ru_utime + usage.ru_stime
        found = outputs[name].count("\n")
        print(f"{name:<18} {wall:7.2f} s wall  {cpu:7.2f} s CPU  {rows / wall:>10,.0f} offers/s  {found:,} findings")
    same = sorted(outputs["check"].splitlines()) == sorted(outputs["check-one-process"].splitlines())
    print(f"findings split vs one process: {'identical' if same else 'DIFFERENT'}")
    print(f"load average after the run: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
