"""feedaudit: audit e-commerce product feeds for listing accuracy before the marketplace does.

    >>> import feedaudit
    >>> findings = feedaudit.audit("fixtures/feeds/prom.xml")
    >>> findings[0].code, findings[0].line, findings[0].offer_id

Only the names in `__all__` are public; everything else may change between releases.
"""

from feedaudit._version import __version__
from feedaudit.config import Settings, load_settings
from feedaudit.engine import Engine, audit
from feedaudit.errors import (
    ConfigError,
    FeedauditError,
    HistoryError,
    InventoryError,
    NotifyError,
    SourceError,
)
from feedaudit.inventory import load_inventory
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
