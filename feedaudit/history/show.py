"""`feedaudit history`: the most recent runs of a history, as a text table or JSON."""

from __future__ import annotations

import json

from feedaudit.errors import ConfigError, HistoryError
from feedaudit.history.settings import HistorySettings, sqlite_path
from feedaudit.history.store import HistoryStore, RunRecord

_HEADERS = ("run", "started (UTC)", "took", "feeds", "offers", "findings", "new", "still open", "resolved")


def render_runs(settings: HistorySettings, *, limit: int = 20, output_format: str = "text") -> str:
    if settings.path is None:
        raise ConfigError("no history to show: give --history PATH or set [history] path")
    database = sqlite_path(settings.path)
    if database is not None and not database.is_file():
        raise HistoryError(f"no history at {database} yet (a run of `feedaudit check --history` creates it)")
    with HistoryStore.open(settings.path) as store:
        records = store.recent_runs(limit)
    if output_format == "json":
        return json.dumps([_as_json(r) for r in records], ensure_ascii=False, indent=2) + "\n"
    if not records:
        return "No runs recorded yet.\n"
    rows = [_HEADERS, *(_as_row(r) for r in records)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_HEADERS))]
    lines = []
    for row in rows:
        cells = [c.ljust(w) if i == 1 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines) + "\n"


def _as_row(record: RunRecord) -> tuple[str, ...]:
    return (
        str(record.id),
        record.started_at.strftime("%Y-%m-%d %H:%M:%S"),
        f"{record.seconds:.1f}s",
        str(len(record.sources)),
        f"{record.offers:,}",
        f"{record.findings:,}",
        f"{record.new:,}",
        f"{record.still_open:,}",
        f"{record.resolved:,}",
    )


def _as_json(record: RunRecord) -> dict[str, object]:
    return {
        "run": record.id,
        "started": record.started_at.isoformat(),
        "finished": record.finished_at.isoformat(),
        "sources": record.sources,
        "offers": record.offers,
        "findings": record.findings,
        "new": record.new,
        "still_open": record.still_open,
        "resolved": record.resolved,
        "errors": record.errors,
        "warnings": record.warnings,
        "info": record.infos,
        "feedaudit_version": record.feedaudit_version,
    }
