"""The command line: parse options into settings, run, render, exit. No rule logic lives here.

Exit codes (ruff's): 0 no findings at or above --fail-on, 1 findings, 2 usage, configuration or
internal error. Errors print one line; --verbose adds the traceback.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

import click

from feedaudit._version import __version__
from feedaudit.errors import EXIT_CLEAN, EXIT_ERROR, FeedauditError
from feedaudit.report import REPORTERS
from feedaudit.report.safe import one_line
from feedaudit.service.command import serve

if TYPE_CHECKING:
    from feedaudit.config import Settings
    from feedaudit.inventory.settings import InventorySettings

# Each command imports what it runs on inside its body, so `feedaudit rules` does not load the readers,
# the engine and every settings section, and `feedaudit check` does not load the crawler or the mailer.

F = TypeVar("F", bound=Callable[..., Any])


def _split(values: Sequence[str]) -> list[str] | None:
    """`--select PH,CN --select DL` → ['PH', 'CN', 'DL']; nothing given → None (keep the file's)."""
    if not values:
        return None
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def handle_errors(command: F) -> F:
    """Turn feedaudit errors and crashes into exit code 2 with one line on stderr."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        verbose = bool(kwargs.get("verbose"))
        try:
            return command(*args, **kwargs)
        except FeedauditError as exc:
            if verbose:
                traceback.print_exc()
            click.echo(f"feedaudit: error: {one_line(str(exc))}", err=True)
            sys.exit(EXIT_ERROR)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("feedaudit: interrupted", err=True)
            sys.exit(EXIT_ERROR)
        except BrokenPipeError:
            # whoever read the output stopped (`feedaudit check feed.xml | head`): end quietly, and
            # point stdout at /dev/null so that the interpreter's last flush does not fail again
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(EXIT_ERROR)
        except Exception as exc:
            if verbose:
                traceback.print_exc()
            first = one_line(str(exc).splitlines()[0]) if str(exc) else ""
            click.echo(
                f"feedaudit: internal error: {exc.__class__.__name__}: {first}"
                + ("" if verbose else " (run with --verbose for the traceback)"),
                err=True,
            )
            sys.exit(EXIT_ERROR)

    return wrapper  # type: ignore[return-value]


def _byte_size(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    """A byte size on the command line: `10MB`, `512KiB`, `2GiB` or a number of bytes."""
    if value is None:
        return None
    from feedaudit.sizes import parse_size

    try:
        size = parse_size(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx, param) from None
    if size <= 0:
        raise click.BadParameter(f"{value!r} is not a size above zero", ctx, param)
    return size


config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Configuration file (default: feedaudit.toml or [tool.feedaudit] in pyproject.toml).",
)
output_option = click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report to FILE (atomically) instead of standard output.",
)
docs_url_option = click.option(
    "--docs-url",
    metavar="URL",
    envvar="FEEDAUDIT_DOCS_URL",
    show_envvar=True,
    help="Where docs/rules.md is published: reports link each rule there (default: no links).",
)
fail_on_option = click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "info"]),
    help="Lowest severity that makes the exit code 1 (default: warning).",
)


def listings_options(command: F) -> F:
    """Options shared by `check --listings` and `listing`: which pages, and where they may be."""
    command = click.option(
        "--listings-cache",
        type=click.Path(file_okay=False, path_type=Path),
        help="Keep fetched pages in DIR and revalidate them with ETag / Last-Modified next time.",
    )(command)
    return click.option(
        "--allow-private",
        is_flag=True,
        default=None,
        help="Let pages on private, loopback and link-local addresses be fetched (refused by default).",
    )(command)


def _listings_settings(settings: Settings, **changes: Any) -> Settings:
    from feedaudit.config import override

    return override(settings, listings=settings.listings.with_changes(**changes))


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="feedaudit")
def main() -> None:
    """Audit product feeds for listing accuracy before the marketplace does."""


@main.command()
@click.argument("feeds", nargs=-1)
@config_option
@click.option("--select", multiple=True, metavar="CODES", help="Rules to run: codes, prefixes or ALL.")
@click.option("--extend-select", multiple=True, metavar="CODES", help="Rules to add to the selection.")
@click.option("--ignore", multiple=True, metavar="CODES", help="Rules to skip: codes, prefixes or ALL.")
@click.option("--profile", help="Marketplace profile (default: from the feed's dialect).")
@click.option("--output-format", type=click.Choice(sorted(REPORTERS)), help="How to print findings.")
@output_option
@docs_url_option
@fail_on_option
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--statistics", is_flag=True, help="Print counts per rule instead of the findings.")
@click.option(
    "--max-feed-bytes", callback=_byte_size, metavar="SIZE", help="Cap on a feed's decompressed size (10MB, 2GiB)."
)
@click.option(
    "--baseline",
    "baseline_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Leave out the findings listed in this baseline file (or SARIF report).",
)
@click.option(
    "--write-baseline",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write every finding of this run to a baseline file, and exit 0.",
)
@click.option(
    "--feeds-from",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help="Also audit the feeds listed in FILE, one per line ('#' comments; '-' for stdin).",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=0),
    help="Audit feeds in N worker processes (0: one per CPU core; default 1).",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Audit the feeds on a Dask cluster (tcp://host:8786; needs feedaudit's dask extra).",
)
@click.option("--inventory", "inventory_source", metavar="SRC", help="Inventory: CSV/TSV/XLSX/JSON file or SQL URL.")
@click.option("--inventory-map", metavar="MAP", help="Inventory columns: key=Артикул,price=Ціна,quantity=…")
@click.option("--inventory-table", metavar="NAME", help="SQL inventory: the table to read.")
@click.option("--inventory-query", metavar="SQL", help="SQL inventory: the query to run.")
@click.option(
    "--match-on", type=click.Choice(["id", "vendor-code", "barcode"]), help="Offer field matched to the inventory key."
)
@click.option("--price-tolerance", metavar="AMOUNT|PCT%", help="Tolerated price drift (IV001): 5, 2% or 5,2%.")
@click.option(
    "--history",
    "history_path",
    metavar="PATH",
    help="Remember findings in this SQLite file (or SQLAlchemy URL) to tell new from resolved ones.",
)
@click.option(
    "--email/--no-email",
    default=None,
    help="E-mail the report as [email] in the configuration says (needs a history).",
)
@click.option(
    "--listings/--no-listings",
    default=None,
    help="Fetch the live page of each offer and compare it with the feed (LS rules).",
)
@click.option("--sample", metavar="N|PCT", help="Fetch only a sample of the pages: a count (200) or a share (5%).")
@click.option("--seed", type=int, help="Seed of the sample (the same seed picks the same pages).")
@listings_options
@click.option("-q", "--quiet", is_flag=True, help="No progress line; only warnings and errors are logged.")
@click.option("-v", "--verbose", is_flag=True, help="Tracebacks on errors.")
@handle_errors
def check(
    feeds: tuple[str, ...],
    config_path: Path | None,
    select: tuple[str, ...],
    extend_select: tuple[str, ...],
    ignore: tuple[str, ...],
    profile: str | None,
    output_format: str | None,
    output: Path | None,
    docs_url: str | None,
    fail_on: str | None,
    exit_zero: bool,
    statistics: bool,
    max_feed_bytes: int | None,
    baseline_path: Path | None,
    write_baseline: Path | None,
    feeds_from: Path | None,
    jobs: int | None,
    scheduler: str | None,
    inventory_source: str | None,
    inventory_map: str | None,
    inventory_table: str | None,
    inventory_query: str | None,
    match_on: str | None,
    price_tolerance: str | None,
    history_path: str | None,
    email: bool | None,
    listings: bool | None,
    sample: str | None,
    seed: int | None,
    allow_private: bool | None,
    listings_cache: Path | None,
    quiet: bool,
    verbose: bool,
) -> None:
    """Audit FEEDS (paths, http(s) URLs, '-' for stdin; gzip and zip are read as they are).

    With --history (and --email) this is the nightly run: see docs/cron.md.
    """
    from feedaudit import nightly
    from feedaudit.baseline import BaselineWriter, load_baseline
    from feedaudit.collaborators import build_collaborators
    from feedaudit.config import load_settings, override
    from feedaudit.engine import Engine
    from feedaudit.fleet import in_pool, read_feed_list, resolve_jobs
    from feedaudit.progress import ProgressLine, attached
    from feedaudit.report.file import atomic_output, check_writable
    from feedaudit.ruleset import RuleSet
    from feedaudit.runner import exit_code, make_reporter, run_check

    sources = [*feeds, *(read_feed_list(feeds_from) if feeds_from is not None else [])]
    if not sources:
        raise click.UsageError("no feeds given: name at least one FEED or use --feeds-from FILE")
    if output is not None:
        check_writable(output)
    if write_baseline is not None:
        check_writable(write_baseline, "the baseline")
    settings, origin = load_settings(config_path)
    settings = nightly.configure(settings, origin, history=history_path, email=email, named=config_path is not None)
    settings = override(
        settings,
        select=_split(select),
        extend_select=_split(extend_select),
        ignore=_split(ignore),
        profile=profile,
        output_format=output_format,
        fail_on=fail_on,
        docs_url=docs_url,
        max_feed_bytes=max_feed_bytes,
        baseline=None if baseline_path is None else str(baseline_path),
        inventory=_inventory_overrides(
            settings.inventory, inventory_source, inventory_map, inventory_table, inventory_query, match_on
        ),
        rules=_tolerance_overrides(settings.rules, price_tolerance),
    )
    settings = _listings_settings(
        settings, enabled=listings, sample=sample, seed=seed, allow_private=allow_private, cache_dir=listings_cache
    )
    baseline = load_baseline(Path(settings.baseline)) if settings.baseline else None
    record = BaselineWriter() if write_baseline is not None else None
    workers = resolve_jobs(jobs)
    progress = ProgressLine.for_terminal(quiet)
    in_process = workers <= 1 and scheduler is None
    in_workers = scheduler is not None or in_pool(sources, workers)  # the workers build their own collaborators
    with attached(progress), nightly.Nightly(settings, origin, quiet=quiet) as night:
        rules = RuleSet(settings)
        page_progress = progress.pages if progress is not None and in_process else None
        # the inventory is loaded here even when workers audit: an unusable one is a one-line error first
        collaborators = build_collaborators(settings, rules, crawl=not in_workers, page_progress=page_progress)
        engine = Engine(settings, rules=rules, collaborators=collaborators, progress=progress if in_process else None)
        sink: Any = atomic_output(output) if output is not None else nullcontext(sys.stdout)
        with sink as out:
            reporter = make_reporter(
                settings.output_format, out, statistics=statistics, verbose=verbose, docs_url=settings.docs_url
            )
            try:
                summary = run_check(
                    engine,
                    sources,
                    reporter,
                    on_finding=night.add,
                    baseline=baseline,
                    record=record,
                    jobs=workers,
                    feed_progress=progress.feeds if progress is not None else None,
                    scheduler=scheduler,
                    verbose=verbose,
                )
            finally:
                if progress is not None:
                    progress.clear()
        night.finish(summary)
    if record is not None and write_baseline is not None:
        with atomic_output(write_baseline, "the baseline") as out:
            record.dump(out)
        click.echo(f"feedaudit: wrote {len(record.entries):,} fingerprints to {write_baseline}", err=True)
        sys.exit(EXIT_CLEAN)
    sys.exit(exit_code(summary, settings, exit_zero=exit_zero))


def _inventory_overrides(
    section: InventorySettings,
    source: str | None,
    column_map: str | None,
    table: str | None,
    query: str | None,
    match_on: str | None,
) -> InventorySettings | None:
    from feedaudit.inventory.settings import parse_column_map, with_overrides

    try:
        columns = None if column_map is None else parse_column_map(column_map)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--inventory-map") from exc
    return with_overrides(section, source=source, columns=columns, table=table, query=query, match_on=match_on)


def _tolerance_overrides(rules: dict[str, dict[str, Any]], tolerance: str | None) -> dict[str, dict[str, Any]] | None:
    if tolerance is None:
        return None
    from feedaudit.inventory.settings import parse_tolerance

    try:
        options = parse_tolerance(tolerance)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--price-tolerance") from exc
    return rules | {"IV001": rules.get("IV001", {}) | options}


@main.command()
@click.argument("urls", nargs=-1, required=True)
@config_option
@click.option("--select", multiple=True, metavar="CODES", help="Rules to run: codes, prefixes or ALL.")
@click.option("--ignore", multiple=True, metavar="CODES", help="Rules to skip: codes, prefixes or ALL.")
@click.option("--output-format", type=click.Choice(sorted(REPORTERS)), help="How to print findings.")
@output_option
@docs_url_option
@fail_on_option
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--statistics", is_flag=True, help="Print counts per rule instead of the findings.")
@listings_options
@click.option("-q", "--quiet", is_flag=True, help="No progress line.")
@click.option("-v", "--verbose", is_flag=True, help="Tracebacks on errors.")
@handle_errors
def listing(
    urls: tuple[str, ...],
    config_path: Path | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    output_format: str | None,
    output: Path | None,
    docs_url: str | None,
    fail_on: str | None,
    exit_zero: bool,
    statistics: bool,
    allow_private: bool | None,
    listings_cache: Path | None,
    quiet: bool,
    verbose: bool,
) -> None:
    """Audit live product pages on their own, without a feed ('-' reads URLs from stdin, one a line)."""
    from feedaudit.collaborators import Collaborators
    from feedaudit.config import load_settings, override
    from feedaudit.engine import Engine
    from feedaudit.listings.live import LiveListings
    from feedaudit.progress import ProgressLine, attached
    from feedaudit.report.file import atomic_output, check_writable
    from feedaudit.runner import exit_code, make_reporter, run_listings

    if output is not None:
        check_writable(output)
    settings, _origin = load_settings(config_path)
    settings = override(
        settings,
        select=_split(select),
        ignore=_split(ignore),
        output_format=output_format,
        fail_on=fail_on,
        docs_url=docs_url,
    )
    settings = _listings_settings(settings, allow_private=allow_private, cache_dir=listings_cache)
    targets = [line.strip() for url in urls for line in (sys.stdin if url == "-" else [url]) if line.strip()]
    progress = ProgressLine.for_terminal(quiet)
    pages = LiveListings(settings.listings, progress=progress.pages if progress is not None else None)
    engine = Engine(settings, collaborators=Collaborators())  # pages on their own: no inventory, no second crawler
    with attached(progress), atomic_output(output) if output is not None else nullcontext(sys.stdout) as out:
        reporter = make_reporter(
            settings.output_format, out, statistics=statistics, verbose=verbose, docs_url=settings.docs_url
        )
        try:
            summary = run_listings(engine, pages.fetch_urls(targets), reporter)
        finally:
            if progress is not None:
                progress.clear()
    sys.exit(exit_code(summary, settings, exit_zero=exit_zero))


@main.command()
@click.argument("code", required=False)
@click.option("--output-format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@docs_url_option
@handle_errors
def rules(code: str | None, output_format: str, docs_url: str | None) -> None:
    """List every rule, or show the documentation of rule CODE (a code such as WR001 or a name)."""
    from feedaudit.docs import profiles_text
    from feedaudit.rules import FAMILIES, find_rule, registered_rules

    catalogue = registered_rules()
    if code is not None:
        rule = find_rule(code)
        if rule is None:
            raise click.UsageError(f"no rule {code!r} (a code such as ID002 or a name such as missing-warranty)")
        if output_format == "json":
            _echo_json([_rule_json(rule.code, docs_url)])
            return
        click.echo(f"{rule.code} {rule.name}")
        click.echo(f"{rule.summary}.  Default severity: {rule.severity.value}.  Scope: {rule.scope.value}.\n")
        click.echo(rule.doc)
        click.echo("\n" + profiles_text(rule))
        return
    if output_format == "json":
        _echo_json([_rule_json(c, docs_url) for c in catalogue])
        return
    width = max(len(r.name) for r in catalogue.values())
    family = None
    for rule in catalogue.values():
        if rule.family != family:
            family = rule.family
            click.echo(f"\n{family}  {FAMILIES.get(family, '')}")
        click.echo(f"  {rule.code}  {rule.name:<{width}}  {rule.severity.value:<7}  {rule.summary}")


@main.command()
@click.option(
    "--history",
    "history_path",
    metavar="PATH",
    help="The history: SQLite file or SQLAlchemy URL (default: [history] path in the configuration).",
)
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), help="Configuration file.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="How many runs to show.")
@click.option("--output-format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("-v", "--verbose", is_flag=True, help="Tracebacks on errors.")
@handle_errors
def history(history_path: str | None, config_path: Path | None, limit: int, output_format: str, verbose: bool) -> None:
    """Show the most recent recorded runs and their counts: findings, new, still open, resolved."""
    from feedaudit import nightly
    from feedaudit.config import load_settings

    settings, origin = load_settings(config_path)
    settings = nightly.configure(settings, origin, history=history_path)
    click.echo(nightly.show_history(settings.history, limit=limit, output_format=output_format), nl=False)


def _rule_json(code: str, docs_url: str | None) -> dict[str, str]:
    from feedaudit.rules import registered_rules

    rule = registered_rules()[code]
    link = rule.url(docs_url)
    return {
        "code": rule.code,
        "name": rule.name,
        "summary": rule.summary,
        "severity": rule.severity.value,
        "scope": rule.scope.value,
        **({"url": link} if link is not None else {}),
        "doc": rule.doc,
    }


def _echo_json(value: object, out: TextIO | None = None) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2), file=out)


main.add_command(serve)

__all__ = ["main"]
