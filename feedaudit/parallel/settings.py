"""The `[parallel]` configuration section: when one large local feed is audited on several cores.

[parallel]
workers = "auto"        # worker processes for one large feed: "auto" (the usable cores) or a number; 1 = never
min-bytes = "64MiB"     # only feeds at least this big are split (bytes, or a size with a unit)
part-bytes = "16MiB"    # size of the byte ranges (default 8 MiB)
"""

from __future__ import annotations

import os
from typing import Literal

from pydantic import Field

from feedaudit.section import Section
from feedaudit.sizes import ByteCount

DEFAULT_MIN_BYTES = 64 * 1024**2


class ParallelSettings(Section):
    """How many processes audit one large, local, uncompressed feed."""

    workers: int | Literal["auto"] = Field(
        default="auto",
        description='Worker processes for one large feed: "auto" (the usable cores) or a number; 1 never splits.',
    )
    min_bytes: ByteCount = Field(
        default=DEFAULT_MIN_BYTES, description="Only feeds at least this many bytes are split across cores."
    )

    part_bytes: ByteCount | None = Field(
        default=None, description="Size of the byte ranges; default 8 MiB (memory stays flat whatever the feed's size)."
    )

    def resolved_workers(self) -> int:
        if self.workers == "auto":
            return usable_cores()
        return max(int(self.workers), 1)


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the platform tells it)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1
