"""feedaudit: audit e-commerce product feeds for listing accuracy before the marketplace does.

    >>> import feedaudit
    >>> findings = feedaudit.audit("fixtures/feeds/prom.xml")
    >>> findings[0].code, findings[0].line, findings[0].offer_id

Only the names in `__all__` are public; everything else may change between releases. The engine, the
settings and the inventory loader are imported on first use, so `import feedaudit` (and every command
that does not audit, such as `feedaudit rules`) does not pay for the readers and every settings section.
"""

import importlib as _importlib
import typing as _typing

from feedaudit._version import __version__
from feedaudit.errors import (
    ConfigError,
    FeedauditError,
    HistoryError,
    InventoryError,
    NotifyError,
    SourceError,
)
from feedaudit.model import (
    Availability,
    Condition,
    Dialect,
    FeedInfo,
    Finding,
    InventoryItem,
    Listing,
    Offer,
    Severity,
)

if _typing.TYPE_CHECKING:
    from feedaudit.config import Settings, load_settings
    from feedaudit.engine import Engine, audit
    from feedaudit.inventory import InventoryLookup, load_inventory

_LAZY = {
    "Settings": "feedaudit.config",
    "load_settings": "feedaudit.config",
    "Engine": "feedaudit.engine",
    "audit": "feedaudit.engine",
    "load_inventory": "feedaudit.inventory",
    "InventoryLookup": "feedaudit.inventory",
}

__all__ = [
    "Availability",
    "Condition",
    "ConfigError",
    "Dialect",
    "Engine",
    "FeedInfo",
    "FeedauditError",
    "Finding",
    "HistoryError",
    "InventoryError",
    "InventoryItem",
    "InventoryLookup",
    "Listing",
    "NotifyError",
    "Offer",
    "Settings",
    "Severity",
    "SourceError",
    "__version__",
    "audit",
    "load_inventory",
    "load_settings",
]


def __getattr__(name: str) -> _typing.Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
