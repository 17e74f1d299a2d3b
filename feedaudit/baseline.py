"""Baselines: accept the findings a feed has today and report only new ones from then on.

A baseline is a file of finding fingerprints. A fingerprint hashes the feed source, the offer's
identity (its id, or its content when it has none: see `Offer.identity`), the rule code and the field
(never the line), so a baseline survives reordered and reformatted feeds. Findings that would share a
fingerprint are numbered apart by the engine (`distinct_fingerprints`): a baseline that accepted two
identical offers without an id still reports a third, so a baseline never hides a new fault.
`--write-baseline FILE` writes the fingerprints of every finding of the run; `--baseline FILE` leaves
out the findings whose fingerprint it lists. Writing a new baseline over an old one prunes it: faults
fixed since drop out. A SARIF report written by `--output-format sarif` also works as a baseline (its
`partialFingerprints` carry the same fingerprints).

The file is JSON, sorted, one entry per fingerprint, so it diffs well under version control:

    {"tool": "feedaudit", "baseline-version": 1, "findings": [
      {"fingerprint": "…", "code": "ID002", "source": "feed.xml", "offer_id": "VC-2001", "field": "offer_id"}]}

An entry of an offer without an id also names the offer (`offer_name`), for whoever reviews the file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from feedaudit.errors import ConfigError
from feedaudit.model import Finding

BASELINE_VERSION = 1
SARIF_FINGERPRINT = "feedaudit/v1"  # the key of our fingerprint in SARIF `partialFingerprints`


@dataclass(frozen=True, slots=True)
class Baseline:
    """The fingerprints a baseline file accepts."""

    fingerprints: frozenset[str]
    path: Path | None = None

    def __contains__(self, finding: object) -> bool:
        return isinstance(finding, Finding) and finding.fingerprint in self.fingerprints

    def __len__(self) -> int:
        return len(self.fingerprints)


def load_baseline(path: Path) -> Baseline:
    """Read a baseline (feedaudit's own JSON, or a feedaudit SARIF report); a bad file is a `ConfigError`."""
    try:
        data = json.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read baseline {path}: {exc.strerror or exc}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"baseline {path} is not JSON: {exc}") from exc
    fingerprints = _fingerprints(data)
    if fingerprints is None:
        raise ConfigError(f"baseline {path} is neither a feedaudit baseline nor a feedaudit SARIF report")
    return Baseline(frozenset(fingerprints), path)


def _fingerprints(data: Any) -> list[str] | None:
    if not isinstance(data, dict):
        return None
    if data.get("tool") == "feedaudit" and isinstance(data.get("findings"), list):
        entries = data["findings"]
        return [str(entry["fingerprint"]) for entry in entries if isinstance(entry, dict) and entry.get("fingerprint")]
    if isinstance(data.get("runs"), list):
        return [
            str(result["partialFingerprints"][SARIF_FINGERPRINT])
            for run in data["runs"]
            if isinstance(run, dict)
            for result in run.get("results", [])
            if isinstance(result, dict) and SARIF_FINGERPRINT in result.get("partialFingerprints", {})
        ]
    return None


@dataclass(slots=True)
class BaselineWriter:
    """Collects the identity of every finding of a run, to be written as the new baseline."""

    entries: dict[str, dict[str, str | None]] = field(default_factory=dict)

    def add(self, finding: Finding) -> None:
        if finding.fingerprint not in self.entries:
            entry = {
                "fingerprint": finding.fingerprint,
                "code": finding.code,
                "source": finding.source,
                "offer_id": finding.offer_id,
                "field": finding.field,
            }
            if finding.offer_id is None and finding.offer_name is not None:
                entry["offer_name"] = finding.offer_name  # so a reader can tell offers without an id apart
            self.entries[finding.fingerprint] = entry

    def extend(self, findings: Iterable[Finding]) -> None:
        for finding in findings:
            self.add(finding)

    def document(self) -> dict[str, Any]:
        ordered = sorted(
            self.entries.values(),
            key=lambda e: (
                e["source"] or "",
                e["code"] or "",
                e["offer_id"] or "",
                e.get("offer_name") or "",
                e["field"] or "",
                e["fingerprint"],
            ),
        )
        return {"tool": "feedaudit", "baseline-version": BASELINE_VERSION, "findings": ordered}

    def dump(self, out: TextIO) -> None:
        out.write(json.dumps(self.document(), ensure_ascii=False, indent=2) + "\n")


__all__ = ["BASELINE_VERSION", "SARIF_FINGERPRINT", "Baseline", "BaselineWriter", "load_baseline"]
