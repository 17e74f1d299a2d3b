"""Service benchmark: many small feeds through `feedaudit serve`'s API against `feedaudit check --feeds-from`.

In one run it generates N small YML feeds (`bench/generate.py`, cached in `bench/out/service-feeds/`), then,
alternating, R times each:

  cli files      `feedaudit check --feeds-from LIST --jobs J --output-format jsonl -o FILE` on the files (the
                 bare baseline: the same audits, no HTTP, no database)
  service        `feedaudit serve --workers J` on loopback (SQLite in a fresh data directory): every feed
  per audit      uploaded as the request body by a client keeping C submissions in flight, with the
                 marketplace's admin token, for its shop (one shop per feed by default, `--shops` to share),
                 then each audit's JSON Lines report fetched (`?wait=`, in submission order)
  service        the same files in batches: `POST /api/v1/batches` as multipart (up to 1,000 files and
  batch files    90 MB a request), each batch's findings collected with one request
                 (`GET /api/v1/batches/ID/report/jsonl?wait=`)
  cli urls       the same command on the feeds' URLs, served by a loopback HTTP server (a process of its own)
  service        the same URLs submitted as JSON batches (up to 1,000 feeds a request, the service started
  batch urls     with `--allow-private 127.0.0.0/8`), each batch's findings collected with one request

and records audits per second (wall time from the first byte sent to the last report received, or the
CLI's wall time), the ratios service / CLI (each against the command line reading the feeds the same
way: files or URLs), and the service's p50 / p95 latency of an
audit from accepted to done (the server's own timestamps). It checks that each pair wrote the same
number of findings.

On a machine shared with other work the wall times move with its load, so it also records CPU seconds
(with psutil, installed with the test extra): of the CLI and all its processes (sampled every 0.1 s
while it runs), of the service split into the server process (HTTP, queue, recording), its audit
processes, and the benchmark's own HTTP client, and of the loopback feed server, over the timed part.
The figures go to the "Service" section of `bench/RESULTS.md`; other sections are kept.

    python bench/service_bench.py                       # 1,000 feeds of 20 offers, --jobs 2
    python bench/service_bench.py --feeds 200 --no-write
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import platform
import shlex
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

try:
    import psutil
except ImportError:  # the CPU figures are left out
    psutil = None

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.generate import generate  # noqa: E402

OUT = ROOT / "bench" / "out" / "service-feeds"
RESULTS = ROOT / "bench" / "RESULTS.md"
SECTION = "## Service"


def feeds(count: int, offers: int) -> list[Path]:
    OUT.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        path = OUT / f"feed-{offers}-{index:05d}.xml"
        if not path.exists():
            generate(path, offers=offers, seed=index + 1, fault_rate=0.05)
        paths.append(path)
    return paths


MAX_BATCH = 1000  # feedaudit.service.models.MAX_BATCH: audits in one batch request
BATCH_BYTES = 90_000_000  # files in one batch request, under the service's default upload cap (100 MiB)
FEED_SERVER = """
import sys
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[2])), partial(Quiet, directory=sys.argv[1]))
server.daemon_threads = True
server.serve_forever()
"""


@dataclass
class Cpu:
    """CPU seconds of one run (0 where psutil is missing)."""

    cli: float = 0.0  # the command line and all its processes
    server: float = 0.0  # the service's own process
    audits: float = 0.0  # the service's audit processes
    client: float = 0.0  # this benchmark's HTTP client
    feeds: float = 0.0  # the loopback server the feed URLs are fetched from (URL runs only)

    @property
    def service(self) -> float:
        return self.server + self.audits + self.client


@dataclass
class Run:
    seconds: float
    findings: int
    cpu: Cpu
    latencies: list[float] | None = None


def _cpu(process: Any) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


class TreeSampler:
    """CPU seconds of a process and its descendants, sampled until `stop` (the last sample of each
    process counts, so what one spends in its last 0.1 s is missed)."""

    def __init__(self, pid: int) -> None:
        self.seen: dict[int, float] = {}
        self._root = psutil.Process(pid) if psutil is not None else None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while self._root is not None:
            try:
                for process in [self._root, *self._root.children(recursive=True)]:
                    with contextlib.suppress(psutil.Error):
                        self.seen[process.pid] = _cpu(process)
            except psutil.Error:
                return
            if self._done.wait(0.1):
                return

    def stop(self) -> float:
        self._done.set()
        self._thread.join()
        return sum(self.seen.values())


def run_cli(sources: list[str], jobs: int, work: Path, *options: str, feed_server: int | None = None) -> Run:
    listing = work / "feeds.txt"
    listing.write_text("".join(f"{source}\n" for source in sources), "utf-8")
    out = work / "cli.jsonl"
    command = [sys.executable, "-m", "feedaudit", "check", "--feeds-from", str(listing), "--jobs", str(jobs)]
    command += ["--output-format", "jsonl", "-o", str(out), "-q", "--exit-zero", *options]
    feeds_before = process_cpu(feed_server)
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=work)
    sampler = TreeSampler(process.pid)
    if process.wait() != 0:
        raise SystemExit(f"feedaudit check exited with {process.returncode}")
    elapsed = time.perf_counter() - started
    cpu = Cpu(cli=sampler.stop(), feeds=process_cpu(feed_server) - feeds_before)
    return Run(elapsed, len(out.read_text("utf-8").splitlines()), cpu)


def process_cpu(pid: int | None) -> float:
    """CPU seconds so far of one process (0 without psutil or a process)."""
    if psutil is None or pid is None:
        return 0.0
    return _cpu(psutil.Process(pid))


def server_cpu(pid: int) -> tuple[float, float]:
    """CPU seconds so far of the server process and of its descendants (the audit processes)."""
    if psutil is None:
        return 0.0, 0.0
    server = psutil.Process(pid)
    others = 0.0
    for child in server.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            others += _cpu(child)
    return _cpu(server), others


def client_cpu() -> float:
    if psutil is None:
        return 0.0
    return _cpu(psutil.Process())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def drive(base: str, token: str, paths: list[Path], in_flight: int, shops: int, server_pid: int) -> Run:
    """Per audit: each feed uploaded in a request of its own, each report fetched with another."""
    headers = {"Authorization": f"Bearer {token}"}
    bodies = [p.read_bytes() for p in paths]
    ids: list[str] = [""] * len(paths)
    limits = httpx.Limits(max_connections=in_flight + 2)
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=120, limits=limits) as client:
        gate = asyncio.Semaphore(in_flight)

        async def submit(index: int) -> None:
            async with gate:
                answer = await client.post(
                    "/api/v1/audits",
                    content=bodies[index],
                    params={"name": paths[index].name, "shop": f"shop-{index % shops:05d}"},
                    headers={"Content-Type": "application/xml"},
                )
                answer.raise_for_status()
                ids[index] = answer.json()["id"]

        server_before, audits_before = server_cpu(server_pid)
        client_before = client_cpu()
        started = time.perf_counter()
        await asyncio.gather(*(submit(i) for i in range(len(paths))))
        findings = 0
        latencies = []
        for audit_id in ids:
            while True:
                report = await client.get(f"/api/v1/audits/{audit_id}/report/jsonl", params={"wait": 60})
                if report.status_code == 200:
                    break
            findings += len(report.text.splitlines())
        elapsed = time.perf_counter() - started
        server_after, audits_after = server_cpu(server_pid)
        cpu = Cpu(
            server=server_after - server_before,
            audits=audits_after - audits_before,
            client=client_cpu() - client_before,
        )
        for audit_id in ids:
            status = (await client.get(f"/api/v1/audits/{audit_id}")).json()
            accepted = dt.datetime.fromisoformat(status["submitted_at"])
            done = dt.datetime.fromisoformat(status["finished_at"])
            latencies.append((done - accepted).total_seconds())
    return Run(elapsed, findings, cpu, latencies)


def batches_of(paths: list[Path]) -> list[list[int]]:
    """The feeds' indexes in batches of at most MAX_BATCH files and BATCH_BYTES bytes."""
    batches: list[list[int]] = [[]]
    size = 0
    for index, path in enumerate(paths):
        length = path.stat().st_size
        if batches[-1] and (len(batches[-1]) >= MAX_BATCH or size + length > BATCH_BYTES):
            batches.append([])
            size = 0
        batches[-1].append(index)
        size += length
    return batches


def drive_batches(
    base: str,
    token: str,
    paths: list[Path],
    urls: list[str] | None,
    shops: int,
    server_pid: int,
    feed_server: int | None,
) -> Run:
    """In batches: the feed URLs as JSON, or the files as multipart, each batch's findings in one request."""
    headers = {"Authorization": f"Bearer {token}"}
    shop = [f"shop-{index % shops:05d}" for index in range(len(paths))]
    with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
        server_before, audits_before = server_cpu(server_pid)
        feeds_before = process_cpu(feed_server)
        client_before = client_cpu()
        started = time.perf_counter()
        batches = []
        for chunk in batches_of(paths):
            if urls is not None:
                items = [{"url": urls[index], "shop": shop[index]} for index in chunk]
                answer = client.post("/api/v1/batches", json={"audits": items})
            else:
                items = [{"file": paths[index].name, "shop": shop[index]} for index in chunk]
                answer = client.post(
                    "/api/v1/batches",
                    data={"audits": json.dumps({"audits": items})},
                    files=[("feed", (paths[i].name, paths[i].read_bytes(), "application/xml")) for i in chunk],
                )
            answer.raise_for_status()
            if answer.json()["refused"]:
                raise SystemExit(f"the service refused feeds of the batch: {answer.text[:2000]}")
            batches.append(answer.json()["id"])
        findings = 0
        for batch_id in batches:
            while True:
                report = client.get(f"/api/v1/batches/{batch_id}/report/jsonl", params={"wait": 60})
                if report.status_code == 200:
                    break
                if report.status_code != 409:
                    report.raise_for_status()
            findings += len(report.text.splitlines())
        elapsed = time.perf_counter() - started
        server_after, audits_after = server_cpu(server_pid)
        cpu = Cpu(
            server=server_after - server_before,
            audits=audits_after - audits_before,
            client=client_cpu() - client_before,
            feeds=process_cpu(feed_server) - feeds_before,
        )
        latencies = []
        for batch_id in batches:
            for status in client.get(f"/api/v1/batches/{batch_id}").json()["audits"]:
                accepted = dt.datetime.fromisoformat(status["submitted_at"])
                done = dt.datetime.fromisoformat(status["finished_at"])
                latencies.append((done - accepted).total_seconds())
    return Run(elapsed, findings, cpu, latencies)


def run_service(
    paths: list[Path],
    jobs: int,
    in_flight: int,
    shops: int,
    work: Path,
    *,
    batches: bool = False,
    urls: list[str] | None = None,
    feed_server: int | None = None,
) -> Run:
    """The service on a fresh data directory: per audit (uploads), or in batches (of files, or of `urls`
    when given)."""
    data = work / ("service-urls" if urls is not None else "service-batch" if batches else "service")
    env = {**os.environ, "FEEDAUDIT_DATA_DIR": str(data)}
    feedaudit = [sys.executable, "-m", "feedaudit", "serve"]
    token = subprocess.run(
        [
            *feedaudit,
            "token",
            "create",
            "--shop",
            "marketplace",
            "--admin",
            "--rate",
            "1000000",
            "--concurrency",
            "1000000",
        ],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    ).stdout.strip()
    port = free_port()
    options = ["--port", str(port), "--workers", str(jobs), "--queue-limit", str(len(paths) + 10)]
    if urls is not None:
        options += ["--allow-private", "127.0.0.0/8"]
    server = subprocess.Popen([*feedaudit, *options], env=env, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/api/v1/health").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        if batches:
            return drive_batches(base, token, paths, urls, shops, server.pid, feed_server)
        return asyncio.run(drive(base, token, paths, in_flight, shops, server.pid))
    finally:
        server.terminate()
        server.wait(timeout=30)


@contextlib.contextmanager
def feed_server(directory: Path) -> Iterator[tuple[str, int]]:
    """A loopback HTTP server of the files in `directory`, in a process of its own: (base URL, pid)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", FEED_SERVER, str(directory), str(port)], stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(base + "/", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield base, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


MODES = ("cli files", "service per audit", "service batch files", "cli urls", "service batch urls")
PAIRS = (
    ("service per audit", "cli files", "each file uploaded in a request of its own, each report fetched with another"),
    ("service batch files", "cli files", "the files uploaded in batches, each batch's findings in one request"),
    ("service batch urls", "cli urls", "fetched from their URLs, submitted and collected in batches"),
)


def median_run(runs: list[Run]) -> Run:
    """The run of median wall time, with the median CPU seconds of every part over all runs."""
    chosen = sorted(runs, key=lambda run: run.seconds)[len(runs) // 2]
    parts = ("cli", "server", "audits", "client", "feeds")
    cpu = Cpu(*(statistics.median(getattr(run.cpu, part) for run in runs) for part in parts))
    return Run(chosen.seconds, chosen.findings, cpu, chosen.latencies)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--offers", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--in-flight", type=int, default=8, help="submissions the client keeps in flight (per audit)")
    parser.add_argument("--shops", type=int, help="shops the feeds belong to (default: one per feed)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each, alternating; medians are reported")
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/RESULTS.md alone")
    args = parser.parse_args(argv)
    paths = feeds(args.feeds, args.offers)
    shops = args.shops or len(paths)
    runs: dict[str, list[Run]] = {mode: [] for mode in MODES}
    with feed_server(OUT) as (feeds_base, feeds_pid):
        urls = [f"{feeds_base}/{path.name}" for path in paths]
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory(prefix="service-bench-") as temporary:
                work = Path(temporary)
                runs["cli files"].append(run_cli([str(p) for p in paths], args.jobs, work))
                runs["service per audit"].append(run_service(paths, args.jobs, args.in_flight, shops, work))
                runs["service batch files"].append(
                    run_service(paths, args.jobs, args.in_flight, shops, work, batches=True)
                )
                runs["cli urls"].append(run_cli(urls, args.jobs, work, "--allow-private", feed_server=feeds_pid))
                runs["service batch urls"].append(
                    run_service(
                        paths, args.jobs, args.in_flight, shops, work, batches=True, urls=urls, feed_server=feeds_pid
                    )
                )
            for service, cli, _how in PAIRS:
                if runs[service][-1].findings != runs[cli][-1].findings:
                    raise SystemExit(
                        f"findings differ: {cli} {runs[cli][-1].findings}, {service} {runs[service][-1].findings}"
                    )
    medians = {mode: median_run(runs[mode]) for mode in MODES}
    n = len(paths)
    lines = [
        f"data: {n} feeds of {args.offers} offers ({sum(p.stat().st_size for p in paths) / 1e6:.1f} MB), "
        f"{medians['cli files'].findings} findings from the files, {medians['cli urls'].findings} from the URLs; "
        f"--jobs {args.jobs}, {args.in_flight} submissions in flight (per audit), batches of up to {MAX_BATCH}, "
        f"{shops} shops",
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.2f}",
        f"runs: {args.repeat} of each, alternating; medians ("
        + "; ".join(f"{mode} {', '.join(f'{run.seconds:.2f}' for run in runs[mode])} s" for mode in MODES)
        + ")",
    ]
    for mode in MODES:
        run = medians[mode]
        line = f"{mode:<23} {run.seconds:7.2f} s  {n / run.seconds:8.1f} audits/s"
        if run.latencies:
            line += f"  latency p50 {percentile(run.latencies, 0.5):.3f} s, p95 {percentile(run.latencies, 0.95):.3f} s"
        lines.append(line)
    lines.append(
        "ratio wall         "
        + "; ".join(
            f"{service} / {cli} {medians[service].seconds / medians[cli].seconds:.2f}x" for service, cli, _ in PAIRS
        )
    )
    lines.append(
        "ratio wall by run  "
        + "; ".join(
            f"{service} / {cli} "
            + ", ".join(
                f"{mine.seconds / theirs.seconds:.2f}x" for mine, theirs in zip(runs[service], runs[cli], strict=True)
            )
            for service, cli, _ in PAIRS
        )
        + " (each run's own pair)"
    )
    if psutil is not None:
        for mode in MODES:
            cpu = medians[mode].cpu
            if mode.startswith("cli"):
                text = f"cli {cpu.cli:.2f} s ({1000 * cpu.cli / n:.1f} ms/audit, all its processes)"
            else:
                text = (
                    f"{cpu.service:.2f} s = server process {cpu.server:.2f} + audit processes {cpu.audits:.2f} + "
                    f"client {cpu.client:.2f}; per audit {1000 * cpu.server / n:.1f} + {1000 * cpu.audits / n:.1f} + "
                    f"{1000 * cpu.client / n:.1f} = {1000 * cpu.service / n:.1f} ms"
                )
            if mode.endswith("urls"):
                text += f"; feed server {cpu.feeds:.2f} s ({1000 * cpu.feeds / n:.1f} ms/audit)"
            lines.append(f"cpu {mode:<19} {text}")
        lines.append(
            "ratio cpu          "
            + "; ".join(
                f"{service} / {cli} {medians[service].cpu.service / medians[cli].cpu.cli:.2f}x"
                for service, cli, _ in PAIRS
            )
            + " (feed server left out)"
        )
    print("\n".join(lines))
    reading = reading_of(medians, n) if psutil is not None else ""
    if reading:
        print("\n" + reading)
    if not args.no_write:
        command = "python bench/service_bench.py " + shlex.join(argv if argv is not None else sys.argv[1:])
        write_results(command.strip(), "\n".join(lines), reading)
    return 0


def reading_of(medians: dict[str, Run], n: int) -> str:
    """What this run's figures say, in words (filled in from them, never written by hand)."""

    def ms(seconds: float) -> float:
        return 1000 * seconds / n

    paragraphs = []
    for service, cli, how in PAIRS:
        cpu, base = medians[service].cpu, medians[cli].cpu
        wall = medians[service].seconds / medians[cli].seconds
        budget = 1.2 * ms(base.cli) - ms(cpu.audits)
        verdict = (
            f"{wall:.2f}x the wall time: within the 1.2x target in this run"
            if wall <= 1.2
            else f"{wall:.2f}x the wall time: the 1.2x target is not met in this run, by {wall / 1.2 - 1:.0%}"
        )
        paragraphs.append(
            f"{service.capitalize()} ({how}), against `{cli}`: the audit processes spend {ms(cpu.audits):.1f} ms of "
            f"CPU an audit, the command line {ms(base.cli):.1f} ms all told; the server process adds "
            f"{ms(cpu.server):.1f} ms and the benchmark's client {ms(cpu.client):.1f} ms (on the same cores), in "
            f"all {ms(cpu.service):.1f} ms, {cpu.service / base.cli:.2f}x the CPU, and {verdict}. Within 1.2x of the "
            f"command line's CPU, server process and client together could spend {budget:.1f} ms an audit."
        )
    urls, files = medians["cli urls"].cpu, medians["cli files"].cpu
    fetch_cli = ms(urls.cli - files.cli)
    fetch_service = ms(medians["service batch urls"].cpu.audits - medians["service batch files"].cpu.audits)
    feeds = medians["service batch urls"].cpu.feeds, urls.feeds
    paragraphs.append(
        f"Fetching a feed from its URL instead of reading its file costs the command line {fetch_cli:.1f} ms more an "
        f"audit and the service's audit processes {fetch_service:.1f} ms more; the loopback feed server they fetch "
        f"from spends {ms(feeds[0]):.1f} ms an audit in the service's run and {ms(feeds[1]):.1f} ms in the command "
        "line's (left out of both CPU sums, in both wall times)."
    )
    return "\n\n".join(
        "\n".join(textwrap.wrap("Reading (figures of this run): " * (i == 0) + text, 104))
        for i, text in enumerate(paragraphs)
    )


def write_results(command: str, figures: str, reading: str) -> None:
    text = RESULTS.read_text("utf-8") if RESULTS.exists() else "# Benchmark results\n"
    section = (
        f"{SECTION}\n\n"
        "What is measured: small feeds audited through `feedaudit serve` against the same feeds through\n"
        "`feedaudit check --feeds-from --jobs N`, in the same run, three ways: per audit (each feed uploaded as\n"
        "the request body, each JSON Lines report fetched: two requests an audit) and in batches of files\n"
        "(`POST /api/v1/batches` as multipart, the findings of each batch collected with one request), both\n"
        "against the command line reading the files; and in batches of the feeds' URLs, served by a loopback\n"
        "HTTP server, against the command line fetching the same URLs. Every way the audits are queued in\n"
        "SQLite, audited in the audit processes and recorded in the findings history; see the docstring of\n"
        "`bench/service_bench.py`. Latency is from accepted to done: all feeds are submitted at once, so it is\n"
        "mostly time spent waiting in the queue. The wall times move with the load of the machine (see each\n"
        "run's own ratio); the CPU seconds much less.\n\n"
        + (f"{reading}\n\n" if reading else "")
        + 'With larger feeds the service\'s share shrinks (see "Service, larger feeds"); where the server\n'
        'process\'s time goes is in "Service, where the time goes".\n\n'
        f"Command (from the project root, after `pip install -e '.[test,serve]'`):\n\n```bash\n{command}\n```\n\n"
        f"Last run ({dt.date.today().isoformat()}):\n\n```text\n{figures}\n```\n"
    )
    start = text.find(SECTION + "\n")
    if start == -1:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + len(SECTION))
        text = text[:start] + section + ("\n" + text[end + 1 :] if end != -1 else "")
    RESULTS.write_text(text, "utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
