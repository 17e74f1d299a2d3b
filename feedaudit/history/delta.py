"""What one run changed: its findings split into new, still open and resolved (no database code here)."""

from __future__ import annotations

from dataclasses import dataclass, field

from feedaudit.model import Finding


@dataclass(slots=True)
class RunDelta:
    """What changed in one run, against the open findings the history held before it."""

    run_id: int
    new: list[Finding] = field(default_factory=list)
    still_open: list[Finding] = field(default_factory=list)
    resolved: list[Finding] = field(default_factory=list)
    carried_over: list[Finding] = field(default_factory=list)  # kept open: their feed was not fully read

    @property
    def changed(self) -> bool:
        return bool(self.new or self.resolved)

    @property
    def current(self) -> list[Finding]:
        """Every finding of this run, new and still open."""
        return [*self.new, *self.still_open]

    def sources(self) -> list[str]:
        seen: dict[str, None] = {}
        for finding in (*self.new, *self.still_open, *self.resolved, *self.carried_over):
            seen.setdefault(finding.source, None)
        return list(seen)

    def for_source(self, source: str) -> RunDelta:
        """The part of this delta that concerns one feed (one shop in many-feeds mode)."""

        def mine(items: list[Finding]) -> list[Finding]:
            return [f for f in items if f.source == source]

        return RunDelta(
            self.run_id, mine(self.new), mine(self.still_open), mine(self.resolved), mine(self.carried_over)
        )
