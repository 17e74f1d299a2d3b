"""What the listing-accuracy rules cost: a bare lxml pass, `feedaudit check --select FD,ID`, and
`feedaudit check` with every rule, over the same feed, interleaved in one run.

CPU time (user + system) of each child process is measured rather than wall time, so other work on
the machine disturbs the figures less; the median of `--repeat` runs is reported with the ratios.

    python bench/rules_overhead.py bench/out/feed-100mb.xml --repeat 3 --record bench/RESULTS-rules.md
"""

from __future__ import annotations

import argparse
import platform
import resource
import statistics
import subprocess
import sys
from pathlib import Path

BARE = """
import sys
from lxml import etree
for _, element in etree.iterparse(sys.argv[1], tag="offer", recover=True, huge_tree=True,
                                  resolve_entities=False, no_network=True):
    element.clear()
    while element.getprevious() is not None:
        del element.getparent()[0]
"""


def variants(feed: str, baseline: str | None) -> dict[str, list[str]]:
    check = [sys.executable, "-m", "feedaudit", "check", "-q", "--exit-zero", "--output-format", "concise"]
    result = {
        "bare lxml pass": [sys.executable, "-c", BARE, feed],
        "FD, ID only": [*check, "--select", "FD,ID", feed],
        "every rule": [*check, feed],
    }
    if baseline is not None:  # another checkout's FD/ID-only run, e.g. the foundation
        code = f"import sys; sys.path.insert(0, {baseline!r}); from feedaudit.cli import main; main()"
        result["FD, ID only (baseline checkout)"] = [
            sys.executable, "-c", code, "check", "-q", "--exit-zero", "--select", "FD,ID", feed,
        ]  # fmt: skip
    return result


def cpu_seconds(argv: list[str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("feed")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline", help="path of another checkout to time FD/ID-only with (optional)")
    parser.add_argument("--record", type=Path, help="append the table to this markdown file")
    args = parser.parse_args(argv)
    runs = variants(args.feed, args.baseline)
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.repeat):
        for name, command in runs.items():
            times[name].append(cpu_seconds(command))
    median = {name: statistics.median(values) for name, values in times.items()}
    bare = median["bare lxml pass"]
    size = Path(args.feed).stat().st_size
    lines = [
        f"### {Path(args.feed).name} ({size / 1e6:.0f} MB), median of {args.repeat}",
        "",
        f"Machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}; "
        f"command: `python bench/rules_overhead.py {args.feed} --repeat {args.repeat}"
        + (f" --baseline {args.baseline}" if args.baseline else "")
        + "`.",
        "",
        "| run | CPU seconds (each run) | ratio to the bare pass |",
        "|---|---|---:|",
    ]
    for name, values in times.items():
        each = ", ".join(f"{v:.2f}" for v in values)
        lines.append(f"| {name} | {each} | {median[name] / bare:.2f} |")
    lines.append("")
    lines.append(f"Every rule / FD, ID only: **{median['every rule'] / median['FD, ID only']:.2f}**.")
    if args.baseline:
        baseline = median["FD, ID only (baseline checkout)"]
        lines.append(f"Every rule / FD, ID only of the baseline checkout: **{median['every rule'] / baseline:.2f}**.")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.record is not None:
        with args.record.open("a", encoding="utf-8") as out:
            out.write("\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
