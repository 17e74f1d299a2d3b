"""A finished audit at rest and on the way out: findings packed for the database, and any report
format rendered from them again by the reporters of `feedaudit.report`, as `feedaudit check` prints it."""

from __future__ import annotations

import gzip
import io
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from feedaudit.model import FeedInfo, Finding, Severity
from feedaudit.report import REPORTERS, FeedSummary, Summary
from feedaudit.report.json import finding_record

# Each format's media type and file extension are the reporter's own (`Reporter.media_type`, `.extension`).
MEDIA_TYPES = {name: reporter.media_type for name, reporter in REPORTERS.items()}
EXTENSIONS = {name: reporter.extension for name, reporter in REPORTERS.items()}
FORMATS = tuple(sorted(REPORTERS))
SEVERITY_ORDER = ("error", "warning", "info")


def pack_findings(findings: Iterable[Finding]) -> bytes:
    rows = [{k: v for k, v in finding_record(f).items() if k != "rule_url"} for f in findings]
    return gzip.compress(json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), 6)


def unpack_findings(blob: bytes | None) -> list[Finding]:
    if not blob:
        return []
    rows = json.loads(gzip.decompress(blob))
    return [
        Finding(**{**row, "severity": Severity(row["severity"]), "related_lines": tuple(row["related_lines"])})
        for row in rows
    ]


def summarize(feed: FeedInfo, findings: list[Finding], elapsed: float) -> dict[str, Any]:
    """What the status of a finished audit shows, and what a report needs besides the findings."""
    by_code = Counter(f.code for f in findings)
    by_severity = Counter(f.severity.value for f in findings)
    return {
        "feed": asdict(FeedSummary.of(feed, by_code)),
        "findings": len(findings),
        "by_severity": {name: by_severity[name] for name in SEVERITY_ORDER},
        "elapsed_seconds": round(elapsed, 3),
    }


def render(output_format: str, summary: dict[str, Any], findings: list[Finding]) -> str:
    """The report of one finished audit in `output_format` (a name of `feedaudit.report.REPORTERS`)."""
    out = io.StringIO()
    reporter = REPORTERS[output_format](out)
    run = Summary()
    for finding in findings:
        run.count(finding)
        reporter.add(finding)
    run.add_feed(FeedSummary(**summary["feed"]))
    run.elapsed = float(summary.get("elapsed_seconds", 0.0))
    reporter.finish(run)
    return out.getvalue()


def file_name(audit_id: str, output_format: str) -> str:
    return f"feedaudit-{audit_id[:12]}.{EXTENSIONS[output_format]}"
