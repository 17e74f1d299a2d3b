"""The rules of a run: which are selected, with which options, and at which severity for a given feed.

Built once from the settings (`select` / `extend-select` / `ignore`, `[rules.CODE]` options and
severities, `--profile`, `per-offer-ignores`); every mistake in them is a `ConfigError` here, before
any feed is read. Each selected rule gets a fixed `rank`: its scope's place in `Scope`, then its
place in code order within the scope, which is the order the audit unit runs rules in, so findings
computed in different processes can be put back into one-process order.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

from pydantic import BaseModel, ValidationError

from feedaudit import profiles
from feedaudit.config import Settings
from feedaudit.errors import ConfigError
from feedaudit.feeds.wanted import Wanted
from feedaudit.model import FeedInfo, Offer, Severity
from feedaudit.rules import Rule, Scope, registered_rules
from feedaudit.rules.base import OFFER_SCOPES
from feedaudit.section import describe_validation_error
from feedaudit.selection import matches, select_codes

RANKS_PER_SCOPE = 10_000


@dataclass(frozen=True, slots=True)
class ActiveRule:
    """A selected rule, with its validated options."""

    rule: Rule
    options: BaseModel
    explicitly_selected: bool  # named in select / extend-select: runs even where the profile turns it off
    rank: int


class RuleSet:
    """The selected rules of a run with their options (see the module docstring)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        catalogue = registered_rules()
        if settings.profile is not None and settings.profile not in profiles.names():
            raise ConfigError(f"unknown profile {settings.profile!r} (one of: {', '.join(profiles.names())})")
        codes = select_codes(list(catalogue), settings.select, settings.extend_select, settings.ignore)
        explicit = {s.strip().upper() for s in [*(settings.select or []), *settings.extend_select]}
        unknown = sorted(set(settings.rules) - set(catalogue))
        if unknown:
            raise ConfigError(f"rules: unknown rule code(s) {', '.join(unknown)}")
        self.by_scope: dict[Scope, list[ActiveRule]] = {scope: [] for scope in Scope}
        for code in codes:
            rule = catalogue[code]
            in_scope = self.by_scope[rule.scope]
            rank = list(Scope).index(rule.scope) * RANKS_PER_SCOPE + len(in_scope)
            in_scope.append(ActiveRule(rule, self._options_for(rule), code in explicit, rank))
        self.active = sorted((a for scope in self.by_scope.values() for a in scope), key=lambda a: a.rule.code)
        self.wants_inventory = bool(self.by_scope[Scope.OFFER_INVENTORY] or self.by_scope[Scope.INVENTORY])
        self.wants_pages = bool(self.by_scope[Scope.OFFER_LISTING] or self.by_scope[Scope.LISTING])
        # The Offer fields the selected rules read (None: some rule reads any), and so what readers extract
        reads = [active.rule.reads for scope in OFFER_SCOPES for active in self.by_scope[scope]]
        self.offer_fields: frozenset[str] | None = (
            None if any(r is None for r in reads) else frozenset().union(*(r for r in reads if r is not None))
        )
        self.wanted = Wanted.of(self.offer_fields)
        self.offer_ignores = [
            (pattern, [s.strip().upper() for s in selectors])
            for pattern, selectors in settings.per_offer_ignores.items()
        ]
        self._severity_overrides = self._overrides()

    @property
    def rules(self) -> list[Rule]:
        return [active.rule for active in self.active]

    def _options_for(self, rule: Rule) -> BaseModel:
        raw = {k: v for k, v in self.settings.rules.get(rule.code, {}).items() if k != "severity"}
        try:
            return rule.options.model_validate(raw)
        except ValidationError as exc:
            raise ConfigError(f"rules.{rule.code}: {describe_validation_error(exc)}") from exc

    def _overrides(self) -> dict[str, Severity]:
        result: dict[str, Severity] = {}
        for code, options in self.settings.rules.items():
            if "severity" in options:
                try:
                    result[code] = Severity(options["severity"])
                except ValueError as exc:
                    raise ConfigError(
                        f"rules.{code}.severity: {options['severity']!r} is not one of error, warning, info"
                    ) from exc
        return result

    def profile_of(self, feed: FeedInfo) -> str | None:
        """The feed's marketplace profile: the run's, else the one its flavour or dialect implies."""
        return self.settings.profile or profiles.default_for(feed)

    def severities(self, profile: str | None) -> dict[str, Severity | None]:
        """Code -> severity (None: off) for a feed of `profile` (see `profile_of`): the profile's, then
        `[rules.CODE] severity`."""
        result: dict[str, Severity | None] = dict(profiles.severities(profile)) if profile else {}
        result.update(self._severity_overrides)
        return result

    def ignored(self, code: str, offer: Offer) -> bool:
        """Whether `per-offer-ignores` turns rule `code` off for this offer."""
        return self.ignored_id(code, offer.offer_id)

    def ignored_id(self, code: str, offer_id: str | None) -> bool:
        """Whether `per-offer-ignores` turns rule `code` off for the offer with this id."""
        if not self.offer_ignores or offer_id is None:
            return False
        return any(
            fnmatch.fnmatchcase(offer_id, pattern) and matches(code, selectors)
            for pattern, selectors in self.offer_ignores
        )


__all__ = ["RANKS_PER_SCOPE", "ActiveRule", "RuleSet"]
