"""The rule catalogue: every family module is imported here so its rules register.

Families (codes are forever, never reused):

    FD feed        ID identity     PH placeholders   CN condition   WR warranty
    DL delivery    ST stock        PR price          IV inventory   LS listing
"""

from __future__ import annotations

from feedaudit.rules import (
    condition,
    delivery,
    feed,
    identity,
    inventory,
    listing,
    outliers,
    placeholders,
    price,
    stock,
    warranty,
)
from feedaudit.rules.base import (
    NoOptions,
    Rule,
    RuleContext,
    Scope,
    feed_issue_rule,
    feed_rule,
    find_rule,
    inventory_rule,
    listing_rule,
    offer_inventory_rule,
    offer_listing_rule,
    offer_rule,
    registered_rules,
)

FAMILIES = {
    "FD": "feed",
    "ID": "identity",
    "PH": "placeholders",
    "CN": "condition",
    "WR": "warranty",
    "DL": "delivery",
    "ST": "stock",
    "PR": "price",
    "IV": "inventory",
    "LS": "listing",
}

__all__ = [
    "FAMILIES",
    "NoOptions",
    "Rule",
    "RuleContext",
    "Scope",
    "condition",
    "delivery",
    "feed",
    "feed_issue_rule",
    "feed_rule",
    "find_rule",
    "identity",
    "inventory",
    "inventory_rule",
    "listing",
    "listing_rule",
    "offer_inventory_rule",
    "offer_listing_rule",
    "offer_rule",
    "outliers",
    "placeholders",
    "price",
    "registered_rules",
    "stock",
    "warranty",
]
