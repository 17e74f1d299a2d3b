"""`feedaudit serve`: run the service, and manage its API tokens (`feedaudit serve token …`).

Only click is imported here; the web framework and the server load when the service starts.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar

import click

from feedaudit.errors import FeedauditError
from feedaudit.service import DEFAULT_DATA_DIR

if TYPE_CHECKING:
    from feedaudit.service.store import JobStore

F = TypeVar("F", bound=Callable[..., Any])
DATABASE_HELP = "SQLAlchemy URL of the service database (default: a SQLite file in the data directory)."
database_option = click.option("--database", metavar="URL", envvar="FEEDAUDIT_DATABASE", help=DATABASE_HELP)
data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_DATA_DIR,
    show_default=True,
    envvar="FEEDAUDIT_DATA_DIR",
    help="Uploads, per-shop histories and the default database.",
)


class Failed(click.ClickException):
    """Exit 2 with one line, as every feedaudit command does on an error."""

    exit_code = 2

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"feedaudit: error: {self.message}", err=True)


def clear_errors(command: F) -> F:
    """feedaudit's own errors (a bad database URL, configuration) as one line and exit code 2."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except FeedauditError as exc:
            raise Failed(str(exc)) from exc

    return wrapper  # type: ignore[return-value]


@click.group(invoke_without_command=True)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8080, show_default=True, help="Port to listen on (0: a free one)."
)
@click.option(
    "--url-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the address served on (http://HOST:PORT/) to this file once listening (with --port 0).",
)
@click.option(
    "--workers", type=click.IntRange(min=0), default=1, show_default=True, help="Audits run at once (0: one per core)."
)
@database_option
@data_dir_option
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Base configuration of every audit.",
)
@click.option("--scheduler", metavar="ADDRESS", help="Run the audits on this Dask cluster (tcp://host:8786).")
@click.option("--max-upload-bytes", type=click.IntRange(min=1), default=100 * 1024**2, show_default=True)
@click.option(
    "--queue-limit", type=click.IntRange(min=1), default=1000, show_default=True, help="Queued audits before 503."
)
@click.option(
    "--lease-seconds",
    type=click.FloatRange(min=0.1),
    default=30.0,
    show_default=True,
    help="A running audit not renewed for this long is queued again.",
)
@click.option(
    "--inventory", "inventories", multiple=True, metavar="NAME=SOURCE", help="An inventory submissions may name."
)
@click.option(
    "--allow-private",
    multiple=True,
    metavar="NETWORK|all",
    help="Let feed and webhook URLs on these networks (e.g. 10.0.0.0/8) be fetched; refused by default.",
)
@click.option("-v", "--verbose", is_flag=True, help="Tracebacks on errors; access log.")
@click.pass_context
@clear_errors
def serve(
    ctx: click.Context,
    host: str,
    port: int,
    url_file: Path | None,
    workers: int,
    database: str | None,
    data_dir: Path,
    config_path: Path | None,
    scheduler: str | None,
    max_upload_bytes: int,
    queue_limit: int,
    lease_seconds: float,
    inventories: tuple[str, ...],
    allow_private: tuple[str, ...],
    verbose: bool,
) -> None:
    """Serve audits over HTTP: the API under /api/v1 and a web page for shops on /."""
    if ctx.invoked_subcommand is not None:
        return
    try:
        import uvicorn

        from feedaudit.service.app import create_app
    except ImportError as exc:
        raise Failed(f"feedaudit serve needs its extra: pip install -e '.[serve]' in the checkout ({exc})") from exc
    from feedaudit.config import load_settings
    from feedaudit.fleet import resolve_jobs
    from feedaudit.service.settings import ServiceSettings, parse_allow_private, parse_inventories

    audit_settings, _origin = load_settings(config_path)
    settings = ServiceSettings(
        data_dir=data_dir,
        database=database,
        workers=resolve_jobs(workers),
        scheduler=scheduler,
        max_upload_bytes=max_upload_bytes,
        queue_limit=queue_limit,
        lease_seconds=lease_seconds,
        allow_private=parse_allow_private(allow_private),
        inventories=parse_inventories(inventories),
        audit=audit_settings,
    )
    app = create_app(settings)
    config = uvicorn.Config(app, host=host, port=port, log_level="info" if verbose else "warning", access_log=verbose)
    try:
        sock = config.bind_socket()  # bound here, so a busy port fails now and port 0 is known
    except SystemExit as exc:
        raise Failed(f"cannot listen on {host}:{port} (in use, or not an address of this machine)") from exc
    url = f"http://{'[' + host + ']' if ':' in host else host}:{sock.getsockname()[1]}/"
    if url_file is not None:
        url_file.write_text(url + "\n", encoding="utf-8")
    click.echo(f"feedaudit: serving on {url} (API: /api/v1/)", err=True)
    uvicorn.Server(config).run(sockets=[sock])


@serve.group()
def token() -> None:
    """Create, list and revoke API tokens."""


@token.command("create")
@click.option("--shop", required=True, help="The shop the token acts for (letters, digits, '.', '_', '-').")
@click.option("--admin", is_flag=True, help="A marketplace token: sees and submits for every shop.")
@click.option("--rate", type=click.IntRange(min=1), default=120, show_default=True, help="Requests a minute.")
@click.option(
    "--concurrency", type=click.IntRange(min=1), default=4, show_default=True, help="Audits queued or running at once."
)
@database_option
@data_dir_option
@clear_errors
def create_token(shop: str, admin: bool, rate: int, concurrency: int, database: str | None, data_dir: Path) -> None:
    """Print a new token on standard output (it is shown this once: only its hash is kept)."""
    from feedaudit.service.intake import SHOP_NAME

    if not SHOP_NAME.match(shop):
        raise click.BadParameter("letters, digits, '.', '_' and '-', at most 64", param_hint="--shop")
    store = _open(database, data_dir)
    try:
        secret, record = store.create_token(shop, admin=admin, rate_per_minute=rate, max_active=concurrency)
    finally:
        store.close()
    click.echo(secret)
    click.echo(f"feedaudit: token {record.id} for shop {shop}{' (admin)' if admin else ''} created", err=True)


@token.command("list")
@database_option
@data_dir_option
@clear_errors
def list_tokens(database: str | None, data_dir: Path) -> None:
    """The tokens: id, shop, limits (never the secrets)."""
    store = _open(database, data_dir)
    try:
        for record in store.list_tokens():
            state = "revoked" if record.revoked else ("admin" if record.admin else "shop")
            click.echo(
                f"{record.id}  {record.shop:<20} {state:<8} {record.rate_per_minute}/min  "
                f"{record.max_active} at once  {record.created_at:%Y-%m-%d %H:%M}"
            )
    finally:
        store.close()


@token.command("revoke")
@click.argument("token_id")
@database_option
@data_dir_option
@clear_errors
def revoke_token(token_id: str, database: str | None, data_dir: Path) -> None:
    """Revoke the token with this id (from `feedaudit serve token list`)."""
    store = _open(database, data_dir)
    try:
        if not store.revoke_token(token_id):
            raise click.UsageError(f"no token {token_id!r}")
    finally:
        store.close()
    click.echo(f"feedaudit: token {token_id} revoked", err=True)


def _open(database: str | None, data_dir: Path) -> JobStore:
    from feedaudit.service.settings import ServiceSettings
    from feedaudit.service.store import JobStore

    settings = ServiceSettings(data_dir=data_dir, database=database)
    data_dir.mkdir(parents=True, exist_ok=True)
    return JobStore.open(settings.database_url)
