"""Which rules run, ruff's way: `select`, `extend-select` and `ignore` take full codes, family prefixes or ALL.

For each rule the most specific matching selector decides (a full code beats a family prefix, which
beats ALL); between a select and an ignore of equal specificity, the ignore wins. A selector that
matches no rule is a configuration error, so a typo never silently disables a check.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from feedaudit.errors import ConfigError

ALL = "ALL"


def _specificity(selector: str, code: str) -> int | None:
    """How specifically `selector` names `code` (length of the matched prefix), or None."""
    if selector == ALL:
        return 0
    if code.startswith(selector):
        return len(selector)
    return None


def validate_selectors(selectors: Iterable[str], codes: Sequence[str]) -> list[str]:
    cleaned = []
    for raw in selectors:
        selector = raw.strip().upper()
        if not selector:
            continue
        if selector != ALL and not any(code.startswith(selector) for code in codes):
            raise ConfigError(f"unknown rule selector {raw!r} (see `feedaudit rules` for the codes)")
        cleaned.append(selector)
    return cleaned


def select_codes(
    codes: Sequence[str],
    select: Sequence[str] | None,
    extend_select: Sequence[str] = (),
    ignore: Sequence[str] = (),
) -> list[str]:
    """The codes that run, in code order."""
    enabled = validate_selectors([ALL] if select is None else select, codes)
    enabled += validate_selectors(extend_select, codes)
    disabled = validate_selectors(ignore, codes)
    chosen = []
    for code in sorted(codes):
        best_on = max((s for s in (_specificity(sel, code) for sel in enabled) if s is not None), default=None)
        if best_on is None:
            continue
        best_off = max((s for s in (_specificity(sel, code) for sel in disabled) if s is not None), default=None)
        if best_off is not None and best_off >= best_on:
            continue
        chosen.append(code)
    return chosen


def matches(code: str, selectors: Iterable[str]) -> bool:
    """Whether any selector (code, prefix or ALL) names `code`."""
    return any(_specificity(selector.strip().upper(), code) is not None for selector in selectors)
