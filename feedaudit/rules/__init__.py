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
    find_rule,
    registered_rules,
    rule,
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
    "find_rule",
    "identity",
    "inventory",
    "listing",
    "outliers",
    "placeholders",
    "price",
    "registered_rules",
    "rule",
    "stock",
    "warranty",
]
