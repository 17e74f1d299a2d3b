"""`feedaudit` with faults planted in it, for the isolation tests: `python tests/planted_faults.py check …`.

It registers a test-only offer rule, ZZ901, that raises on the offer with id `rule-crash`, and an
end-of-feed rule, ZZ902, that raises on a feed whose shop is named `feed-crash`; and it wraps the
readers so that reading the offer with id `reader-crash` raises. `--local-dask` starts a Dask
LocalCluster on 127.0.0.1 in this process and audits on it (`--scheduler`).

The faults are planted when this module is imported, so every worker has them: split-run workers are
forked from this process, and many-feeds workers from a forkserver that imports the main module first.
It is never imported by the test suite itself, whose rule catalogue stays the real one.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import feedaudit.feeds
from feedaudit.model import FeedInfo, Offer, Problem, Severity
from feedaudit.rules import NoOptions, RuleContext, feed_rule, offer_rule


@offer_rule("ZZ901", "planted-offer-fault", summary="Raises on one offer", severity=Severity.WARNING)
def planted_offer_fault(offer: Offer, ctx: RuleContext[NoOptions]) -> Iterator[Problem]:
    """Raises on the offer with id `rule-crash`; reports every offer with id `flagged`."""
    if offer.offer_id == "rule-crash":
        raise RuntimeError("planted fault in an offer rule")
    if offer.offer_id == "flagged":
        yield Problem("flagged offer", field="offer_id")


@feed_rule("ZZ902", "planted-feed-fault", summary="Raises on one feed", severity=Severity.WARNING)
def planted_feed_fault(feed: FeedInfo, ctx: RuleContext[NoOptions]) -> Iterator[Problem]:
    """Raises at the end of a feed whose shop is named `feed-crash`."""
    if feed.shop.name == "feed-crash":
        raise KeyError("planted fault in an end-of-feed rule")
    yield from ()


_read = feedaudit.feeds._reader


def _planted_reader(*args: Any) -> Iterator[Any]:
    for item in _read(*args):
        if isinstance(item, Offer) and item.offer_id == "reader-crash":
            raise ValueError("planted fault in the reader")
        yield item


feedaudit.feeds._reader = _planted_reader  # type: ignore[assignment]


def main() -> None:
    from feedaudit.cli import main as cli

    arguments = sys.argv[1:]
    if "--local-dask" not in arguments:
        cli(arguments)
        return
    from distributed import LocalCluster

    arguments.remove("--local-dask")
    local: Any = LocalCluster
    with local(
        n_workers=2,
        threads_per_worker=1,
        processes=False,
        protocol="tcp",
        host="127.0.0.1",
        dashboard_address=None,
        scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
    ) as cluster:
        cli([*arguments, "--scheduler", str(cluster.scheduler_address)])


if __name__ == "__main__":
    main()
