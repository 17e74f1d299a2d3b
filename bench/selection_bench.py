"""What a narrower rule selection saves: one-process CPU of `feedaudit check --select S` against the bare pass.

Readers extract only the Offer fields the selected rules read (`reads=` on every rule), so a run of the
price rules does not build params or other-language texts. In one run, on the cached synthetic feed of
`feed_bench.py`, this times in fresh processes and alternating: the bare lxml pass, then
`feedaudit check --select S --output-format jsonl` with `[parallel] workers = 1` for each selection
(`default` = no `--select`). With `--compare TREE` it also runs the same commands from another
checkout (e.g. a `git worktree` of an older commit), so the two codes are measured under the same load.
It prints a Markdown table of median CPU seconds and their ratio to the bare pass; nothing is written.

    python bench/selection_bench.py                                   # 100MB, 3 repetitions
    python bench/selection_bench.py --compare /tmp/older --repeat 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.feed_bench import BARE_PASS, feed_for, measure, warm  # noqa: E402

SELECTIONS = ("ALL", "default", "PR", "ID,PR", "WR", "ST")


def command(tree: Path, selection: str, config: Path, feed: Path) -> list[str]:
    """`feedaudit check …` run from the package of `tree` (first on the path, whatever the working directory)."""
    select = [] if selection == "default" else ["--select", selection]
    start = (
        f"import sys; sys.argv[0] = 'feedaudit'; sys.path.insert(0, {str(tree)!r}); "
        "from feedaudit.cli import main; main()"
    )
    return [sys.executable, "-c", start, "check", *select, "--output-format", "jsonl", "--config", str(config),
            str(feed)]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="100MB")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--selections", default=",".join(SELECTIONS).replace("ID,PR", "ID+PR"))
    parser.add_argument("--compare", type=Path, help="another checkout to run the same commands from")
    args = parser.parse_args(argv)
    selections = [s.replace("+", ",") for s in args.selections.split(",")]
    feed, size, offers = feed_for(args.size, 1)
    warm(feed)
    trees = {"this tree": ROOT, **({f"{args.compare}": args.compare.resolve()} if args.compare else {})}
    scratch = Path(tempfile.mkdtemp(prefix="feedaudit-selection-"))
    config = scratch / "one-process.toml"
    config.write_text("[parallel]\nworkers = 1\n")
    cpu: dict[tuple[str, str], list[float]] = {}
    bare: list[float] = []
    for rep in range(args.repeat):
        bare.append(measure([sys.executable, "-c", BARE_PASS, str(feed)], scratch / "bare.out").cpu)
        for selection in selections:
            for label, tree in trees.items():
                run = measure(command(tree, selection, config, feed), scratch / "findings.jsonl")
                cpu.setdefault((label, selection), []).append(run.cpu)
        print(f"repetition {rep + 1} of {args.repeat} done", file=sys.stderr, flush=True)
    base = statistics.median(bare)
    print(f"feed: {feed.name}, {size:,} bytes, {offers:,} offers; {args.repeat} repetitions, medians of CPU s")
    print(f"bare pass: {base:.2f} s (runs {', '.join(f'{c:.2f}' for c in bare)})\n")
    print("| selection | " + " | ".join(f"{label} CPU s | × bare" for label in trees) + " |")
    print("|---|" + "---|---|" * len(trees))
    for selection in selections:
        cells = []
        for label in trees:
            runs = cpu[(label, selection)]
            middle = statistics.median(runs)
            cells.append(f"{middle:.2f} ({min(runs):.2f}–{max(runs):.2f}) | {middle / base:.2f}")
        print(f"| `{selection}` | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
