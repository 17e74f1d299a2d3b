"""How long the history takes to record a night's findings, against a bare sqlite3 insert of the same rows.

    python bench/history_bench.py --findings 100000

Three runs are recorded into a fresh SQLite history: night 1 (every finding new), night 2 (the same
findings, all still open), night 3 (half of them gone: resolved). The baseline, in the same process, is
one `executemany` INSERT of the same rows into a plain table in one transaction with the stdlib sqlite3
module: the least any store of these rows can cost. Figures go to stdout as a Markdown table.
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from feedaudit.history.store import HistoryStore
from feedaudit.model import Finding, Severity, fingerprint

SOURCE = "https://shop.example.ua/feed.xml"


def findings(count: int) -> list[Finding]:
    return [
        Finding(
            code="PH001",
            name="placeholder-price",
            severity=Severity.ERROR,
            message=f"price of offer {i} is a placeholder",
            source=SOURCE,
            line=10 + i * 12,
            offer_id=f"SKU-{i:07d}",
            field="price",
            value="0",
            fingerprint=fingerprint(SOURCE, f"SKU-{i:07d}", "PH001", "price"),
        )
        for i in range(count)
    ]


def _tail(f: Finding) -> tuple[str, int | None, str | None, str | None, str | None]:
    return (f.message, f.line, f.offer_id, f.field, f.value)


def bare_insert(path: Path, rows: list[Finding]) -> float:
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE TABLE f (fingerprint TEXT PRIMARY KEY, source TEXT, code TEXT, name TEXT, severity TEXT, "
        "message TEXT, line INTEGER, offer_id TEXT, field TEXT, value TEXT)"
    )
    started = time.perf_counter()
    with conn:
        conn.executemany(
            "INSERT INTO f VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(f.fingerprint, f.source, f.code, f.name, f.severity.value, *_tail(f)) for f in rows],
        )
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=100_000)
    args = parser.parse_args()
    rows = findings(args.findings)
    with tempfile.TemporaryDirectory() as tmp:
        baseline = bare_insert(Path(tmp) / "bare.db", rows)
        nights = []
        with HistoryStore.open(Path(tmp) / "history.db") as store:
            for label, night in (("1: all new", rows), ("2: all still open", rows), ("3: half resolved", rows[::2])):
                started = time.perf_counter()
                delta = store.record_run(night, sources=[SOURCE], started=datetime.now(UTC))
                nights.append((label, time.perf_counter() - started, delta))
    print(f"{args.findings:,} findings; bare sqlite3 executemany INSERT: {baseline:.3f} s\n")
    print("| night | seconds | findings/s | × bare insert | new | still open | resolved |")
    print("|---|---|---|---|---|---|---|")
    for label, seconds, delta in nights:
        print(
            f"| {label} | {seconds:.3f} | {len(delta.current) / seconds:,.0f} | {seconds / baseline:.1f} "
            f"| {len(delta.new):,} | {len(delta.still_open):,} | {len(delta.resolved):,} |"
        )


if __name__ == "__main__":
    main()
