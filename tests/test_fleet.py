"""Many feeds: --feeds-from lists, a process pool with --jobs, results in feed order, totals across shops."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from feedaudit.cli import main
from feedaudit.config import Settings
from feedaudit.engine import Engine
from feedaudit.errors import ConfigError
from feedaudit.fleet import FeedProgress, audit_feeds, host_of, in_order, read_feed_list, resolve_jobs
from feedaudit.model import FeedInfo, Finding
from feedaudit.progress import ProgressLine

FIXTURE_FEEDS = ["prom.xml", "hotline.xml", "google.xml", "meta.xml", "rozetka.xml", "broken/truncated.xml"]


@pytest.fixture
def feed_list(tmp_path: Path, fixtures_dir: Path) -> Path:
    path = tmp_path / "shops.txt"
    lines = ["# shops of the marketplace", ""]
    lines += [f"  {fixtures_dir / 'feeds' / name}  " for name in FIXTURE_FEEDS]
    lines.append(str(tmp_path / "missing.xml"))
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def test_read_feed_list(feed_list: Path, fixtures_dir: Path, tmp_path: Path) -> None:
    feeds = read_feed_list(feed_list)
    assert feeds[0] == str(fixtures_dir / "feeds" / "prom.xml")
    assert len(feeds) == len(FIXTURE_FEEDS) + 1
    with pytest.raises(ConfigError, match="cannot read the feed list"):
        read_feed_list(tmp_path / "nope.txt")


def test_resolve_jobs() -> None:
    assert resolve_jobs(None) == 1
    assert resolve_jobs(3) == 3
    assert resolve_jobs(0) >= 1


def test_pool_gives_the_same_findings_in_the_same_order(feed_list: Path) -> None:
    feeds = read_feed_list(feed_list)
    engine = Engine(Settings())

    def collect(jobs: int, progress: FeedProgress | None = None) -> list[tuple[str, int, list[Finding]]]:
        rows = []
        for feed, findings in audit_feeds(engine, feeds, jobs=jobs, progress=progress):
            found = list(findings)  # in this process the feed's facts fill in while its findings stream
            rows.append((feed.source, feed.offers, found))
        return rows

    serial = collect(1)
    assert serial[0][1] == 5  # prom.xml's offers
    seen: list[tuple[int, int]] = []
    pooled = collect(2, lambda done, total: seen.append((done, total)))
    assert [s for s, _, _ in pooled] == feeds
    assert pooled == serial
    assert seen == [(n, len(feeds)) for n in range(1, len(feeds) + 1)]


def test_stdin_cannot_go_to_a_pool() -> None:
    with pytest.raises(ConfigError, match="standard input"):
        list(audit_feeds(Engine(), ["-", "x.xml"], jobs=2))


def test_command_line_fleet_with_statistics(feed_list: Path, fixtures_dir: Path) -> None:
    runner = CliRunner()
    args = ["check", "--feeds-from", str(feed_list), "--select", "ID,FD"]
    pooled = runner.invoke(main, [*args, "--jobs", "2", "--statistics"])
    serial = runner.invoke(main, [*args, "--statistics"])
    assert pooled.exit_code == serial.exit_code == 1
    assert pooled.stdout == serial.stdout
    lines = pooled.stdout.splitlines()
    rows = [line.split("\t") for line in lines[:-1]]
    assert all(len(row) == 4 for row in rows)
    by_code = {row[1]: (int(row[0].strip()), row[3]) for row in rows}
    assert by_code["ID002"] == (3, "3 feeds")  # prom, hotline, rozetka
    assert by_code["FD001"] == (3, "1 feed")  # the truncated feed
    assert by_code["FD003"] == (1, "1 feed")
    assert lines[-1].endswith(f"in {len(FIXTURE_FEEDS) + 1} feeds.")

    report = json.loads(runner.invoke(main, [*args, "--output-format", "json"]).stdout)
    assert [f["source"] for f in report["feeds"]] == read_feed_list(feed_list)
    per_feed = {Path(f["source"]).name: f["by_code"] for f in report["feeds"]}
    assert per_feed["prom.xml"] == {"ID001": 1, "ID002": 1}
    assert per_feed["missing.xml"] == {"FD003": 1}
    assert sum(f["findings"] for f in report["feeds"]) == report["summary"]["findings"]


def test_feeds_from_stdin_and_arguments_together(fixtures_dir: Path) -> None:
    listed = str(fixtures_dir / "feeds" / "hotline.xml")
    given = str(fixtures_dir / "feeds" / "prom.xml")
    result = CliRunner().invoke(
        main, ["check", given, "--feeds-from", "-", "--output-format", "json", "--select", "ID"], input=listed
    )
    assert [f["source"] for f in json.loads(result.stdout)["feeds"]] == [given, listed]


def test_no_feeds_at_all_is_a_usage_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n", "utf-8")
    result = CliRunner().invoke(main, ["check", "--feeds-from", str(empty)])
    assert result.exit_code == 2
    assert "no feeds given" in result.stderr


def test_feed_progress_line() -> None:
    stream = io.StringIO()
    line = ProgressLine(stream, interval=0)
    line.feeds(3, 10)
    line.clear()
    assert stream.getvalue() == "\r\x1b[2Kfeeds  3/10 \r\x1b[2K"


class _Done:
    """A future whose result is ready; `in_order` asks for it when the feed's turn comes."""

    def __init__(self, spec: str, log: list[tuple[str, str]]) -> None:
        self.spec = spec
        self.log = log

    def result(self) -> tuple[FeedInfo, list[Finding]]:
        self.log.append(("yield", self.spec))
        return FeedInfo(source=self.spec), []

    def cancel(self) -> bool:
        return True


def _schedule(sources: list[str], window: int, per_host: int | None) -> list[tuple[str, str]]:
    log: list[tuple[str, str]] = []

    def submit(spec: str) -> _Done:
        log.append(("start", spec))
        return _Done(spec, log)

    yielded = [feed.source for feed, _ in in_order(submit, sources, window, per_host=per_host)]
    assert yielded == sources
    return log


def _peaks(log: list[tuple[str, str]]) -> tuple[int, dict[str, int]]:
    """Most feeds started and not yet yielded, overall and per host."""
    running: list[str] = []
    peak = 0
    per_host: dict[str, int] = {}
    for event, spec in log:
        if event == "start":
            running.append(spec)
        else:
            running.remove(spec)
        peak = max(peak, len(running))
        for spec_running in running:
            host = host_of(spec_running)
            per_host[host] = max(per_host.get(host, 0), sum(1 for s in running if host_of(s) == host))
    return peak, per_host


def test_feeds_of_one_host_wait_and_later_hosts_start_in_their_place() -> None:
    a = [f"https://a.example/feed{n}.xml" for n in range(4)]
    sources = [*a, "https://B.example/feed.xml", "https://c.example/feed.xml", "/data/local.xml"]
    log = _schedule(sources, window=3, per_host=1)
    assert [spec for event, spec in log if event == "start"][:3] == [a[0], sources[4], sources[5]]
    peak, per_host = _peaks(log)
    assert peak <= 3
    assert per_host["a.example"] == 1
    assert per_host["b.example"] == 1


def test_without_a_host_limit_the_window_fills_in_list_order() -> None:
    sources = [f"https://a.example/feed{n}.xml" for n in range(6)]
    log = _schedule(sources, window=4, per_host=None)
    assert [spec for event, spec in log[:4]] == sources[:4]
    assert _peaks(log)[0] == 4


def test_files_and_stdin_have_no_host() -> None:
    assert host_of("/srv/feeds/a.xml") == ""
    assert host_of("-") == ""
    assert host_of("https://Shop.Example.ua:8443/feed.xml") == "shop.example.ua"
    assert host_of("http://[::1") == ""  # not a valid URL: the reader reports it
    log = _schedule([f"/srv/feeds/{n}.xml" for n in range(5)], window=5, per_host=1)
    assert _peaks(log)[0] == 5


def test_the_pool_fetches_at_most_feeds_per_host_from_one_server(tmp_path: Path, fixtures_dir: Path) -> None:
    """Real worker processes and a real HTTP server that counts the requests in flight per host."""
    from tests.listings.shopserver import Police, Reply, ShopServer, running

    feed = (fixtures_dir / "feeds" / "prom.xml").read_bytes()
    police = Police(per_host_limit=1)
    server = ShopServer("127.0.0.1", police)
    for n in range(6):
        server.routes[f"/feed{n}.xml"] = Reply(200, feed, {"Content-Type": "application/xml"}, delay=0.3)
    (tmp_path / "feedaudit.toml").write_text("feeds-per-host = 1\n", "utf-8")
    with running(server):
        urls = [server.url(f"/feed{n}.xml") for n in range(6)]
        (tmp_path / "shops.txt").write_text("\n".join(urls) + "\n", "utf-8")
        args = ["check", "--feeds-from", str(tmp_path / "shops.txt"), "--jobs", "3", "--statistics", "--allow-private"]
        args += ["--config", str(tmp_path / "feedaudit.toml")]
        result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    assert "in 6 feeds" in result.output
    assert len(server.log) == 6
    assert police.violations == []
    assert police.peak == {"127.0.0.1": 1}


def test_pool_workers_build_the_collaborators_the_settings_ask_for(fixtures_dir: Path) -> None:
    """Each worker builds its inventory with the same factory as the reporting process (no bare engine)."""
    from feedaudit.fleet import engine_for

    inventory = fixtures_dir / "inventory"
    settings = Settings.model_validate({"select": ["IV"], "inventory": {"source": str(inventory / "stock.csv")}})
    assert engine_for(settings).inventory is not None
    feeds = [str(inventory / "feed.xml"), str(fixtures_dir / "feeds" / "prom.xml")]
    serial = [(feed.source, list(findings)) for feed, findings in audit_feeds(engine_for(settings), feeds, jobs=1)]
    pooled = [(feed.source, findings) for feed, findings in audit_feeds(engine_for(settings), feeds, jobs=2)]
    assert pooled == serial
    assert {"IV001", "IV005"} <= {f.code for _, findings in pooled for f in findings}


def test_one_feed_with_jobs_is_audited_here_with_the_inventory(fixtures_dir: Path) -> None:
    inventory = fixtures_dir / "inventory"
    args = ["check", str(inventory / "feed.xml"), "--inventory", str(inventory / "stock.csv"), "--select", "IV"]
    args += ["--output-format", "jsonl"]
    serial = CliRunner().invoke(main, args)
    jobs = CliRunner().invoke(main, [*args, "--jobs", "2"])
    assert serial.exit_code == jobs.exit_code == 1
    assert '"IV001"' in jobs.stdout
    assert jobs.stdout == serial.stdout


def test_an_unusable_inventory_is_one_line_before_any_worker_starts(fixtures_dir: Path, tmp_path: Path) -> None:
    feeds = [str(fixtures_dir / "feeds" / "prom.xml"), str(fixtures_dir / "feeds" / "hotline.xml")]
    args = ["check", *feeds, "--jobs", "2", "--inventory", str(tmp_path / "missing.csv"), "--select", "IV"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert result.stderr == f"feedaudit: error: {tmp_path / 'missing.csv'}: no such file\n"
