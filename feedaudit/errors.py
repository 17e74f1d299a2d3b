"""Exceptions feedaudit raises for things that stop a run (not for faults in a feed: those are findings).

    FeedauditError
    ├── ConfigError          bad configuration file, option or rule selector
    ├── SourceError          a feed, inventory or page source cannot be opened at all
    ├── InventoryError       an inventory loads but cannot be understood (no key column, …)
    ├── NotifyError          a report could not be delivered (it is kept in the outbox)
    ├── HistoryError         the history store cannot be read, written or locked
    └── OutputError          a report or baseline file cannot be written where it was asked for

The command line turns every one of these into exit code 2 and a one-line message, except where a
subcommand documents otherwise.
"""

from __future__ import annotations

# Exit codes of the command line (ruff's): nothing at or above --fail-on, findings, usage or internal error.
EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2


class FeedauditError(Exception):
    """Base class of every error feedaudit raises on purpose."""


class ConfigError(FeedauditError):
    """The configuration (file, command line or API arguments) is invalid."""


class SourceError(FeedauditError):
    """A source cannot be opened or read."""


class SourceLimitError(SourceError):
    """A source goes past a cap while being read (it decodes to too much: a compression bomb)."""


class InventoryError(FeedauditError):
    """The inventory cannot be loaded or mapped."""


class NotifyError(FeedauditError):
    """A notification could not be sent."""


class HistoryError(FeedauditError):
    """The findings history cannot be used."""


class OutputError(FeedauditError):
    """A report or baseline file cannot be written where the user asked for it."""
