"""Many feeds on a Dask distributed cluster (`--scheduler tcp://host:8786`, feedaudit's `dask` extra).

Each task audits one whole feed on a Dask worker and sends back that feed's facts and findings; the
client keeps at most two tasks per worker thread in flight and hands results on in the order the feeds
were listed, exactly like the local process pool (`feedaudit.fleet`). Workers need feedaudit installed
in the same version, and must be able to reach the feeds (paths must exist on the workers). Each worker
builds one engine per distinct configuration and reuses it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from typing import Any

from feedaudit.config import Settings
from feedaudit.engine import Engine
from feedaudit.errors import ConfigError
from feedaudit.fleet import FeedProgress, FeedResult, audit_one, engine_for, in_order

CONNECT_TIMEOUT = "10s"

_ENGINES: dict[str, Engine] = {}
_ENGINES_LOCK = threading.Lock()


def audit_on_cluster(
    settings: Settings, sources: Sequence[str], scheduler: str, *, progress: FeedProgress | None = None
) -> Iterator[FeedResult]:
    """Audit `sources` on the Dask cluster at `scheduler`; results in the order of `sources`."""
    if "-" in sources:
        raise ConfigError("'-' (standard input) cannot be audited on a Dask cluster")
    try:
        from distributed import Client  # noqa: PLC0415 - optional dependency, imported only when asked for
    except ImportError as exc:
        raise ConfigError("--scheduler needs the Dask backend: install feedaudit with its 'dask' extra") from exc
    connect: Any = Client
    try:
        client: Any = connect(scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ConfigError(f"cannot reach the Dask scheduler {scheduler}: {exc}") from exc
    with client:
        workers = client.scheduler_info().get("workers", {})
        threads = sum(int(worker.get("nthreads", 1)) for worker in workers.values()) or 1
        config = settings.model_dump_json()

        def submit(spec: str) -> Any:
            return client.submit(_audit_on_worker, config, spec, pure=False)

        yield from in_order(submit, sources, 2 * threads, progress, settings.feeds_per_host)


def _audit_on_worker(config: str, spec: str) -> FeedResult:
    with _ENGINES_LOCK:
        engine = _ENGINES.get(config)
        if engine is None:
            engine = _ENGINES[config] = engine_for(Settings.model_validate_json(config))
    return audit_one(engine, spec)


__all__ = ["audit_on_cluster"]
