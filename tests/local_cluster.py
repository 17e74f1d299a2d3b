"""A Dask LocalCluster on loopback for the tests that run audits on a cluster."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import distributed


@contextmanager
def local_scheduler(workers: int, threads_per_worker: int) -> Iterator[str]:
    """The address of an in-process cluster on 127.0.0.1, closed on exit."""
    local = distributed.LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=workers,
        threads_per_worker=threads_per_worker,
        processes=False,
        protocol="tcp",
        host="127.0.0.1",
        dashboard_address=None,
        # the scheduler's HTTP server (metrics) would take port 8787 and warn when that port is busy
        scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
    )
    try:
        yield str(local.scheduler_address)
    finally:
        local.close()
