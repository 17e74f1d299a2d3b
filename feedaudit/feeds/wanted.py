"""Which parts of an offer a reader extracts: only what the selected rules read (`reads=` on each rule).

The run works out the union of the fields its offer rules read (`RuleSet.offer_fields` in `feedaudit.ruleset`)
and hands the readers a `Wanted`; a reader leaves out the groups no rule reads. No lxml here: the run
builds this before any reader is loaded.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass

# The Offer fields a reader finds through the offer's params (alone, or as the fallback of an element).
PARAM_FACTS = frozenset(
    (
        "params",
        "warranty_months",
        "warranty_text",
        "condition",
        "condition_text",
        "availability",
        "availability_text",
        "delivery_min_days",
        "delivery_max_days",
        "delivery_text",
        "return_text",
    )
)


@dataclass(frozen=True, slots=True)
class Wanted:
    """The parts of an offer a reader extracts; what no selected rule reads is left out (empty or None).

    Identity, lines, names, texts and the other plain fields are always read: findings are located and
    fingerprinted by them. What can be left out costs the most per offer: the params (dozens an offer)
    and the facts read from them, the other-language versions, and the parsed prices.
    """

    params: bool = True
    other_names: bool = True
    other_descriptions: bool = True
    prices: bool = True

    @classmethod
    def of(cls, fields: AbstractSet[str] | None) -> Wanted:
        """What to extract for rules that read `fields` of the offers (None: any field)."""
        if fields is None:
            return EVERYTHING
        return cls(
            params=not PARAM_FACTS.isdisjoint(fields),
            other_names="other_names" in fields,
            other_descriptions="other_descriptions" in fields,
            prices="price" in fields or "old_price" in fields,
        )


EVERYTHING = Wanted()
