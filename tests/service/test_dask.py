"""`feedaudit serve --scheduler`: the same service with its audits on a Dask cluster."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.service.server import make_token, running, wait_done

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    from tests.local_cluster import local_scheduler

    with local_scheduler(1, 2) as address:
        yield address


def test_audits_run_on_the_cluster(scheduler: str, tmp_path: Path, fixture_feed: Path) -> None:
    with running(tmp_path / "service", "--scheduler", scheduler, "--workers", "2") as server:
        token = make_token(server.data_dir, "cluster-shop")
        with server.client(token) as client:
            ids = [
                client.post(
                    "/api/v1/audits",
                    content=fixture_feed.read_bytes(),
                    params={"name": f"prom-{n}.xml"},
                    headers={"Content-Type": "application/xml"},
                ).json()["id"]
                for n in range(3)
            ]
            finished = [wait_done(client, audit_id) for audit_id in ids]
            report = client.get(f"/api/v1/audits/{ids[0]}/report/concise").text
    assert [s["summary"]["findings"] for s in finished] == [9, 9, 9]
    with distributed.Client(scheduler, set_as_default=False) as observer:
        prefixes = observer.run_on_scheduler(lambda dask_scheduler: sorted(dask_scheduler.task_prefixes))
    assert "run_job" in prefixes
    first = "prom-0.xml:34: PH002 [error] price 0 is a sentinel, not a real price [offer KT-1002]"
    assert report.splitlines()[0] == first
