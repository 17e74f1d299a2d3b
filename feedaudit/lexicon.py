"""The vocabulary feedaudit reads feed text with, loaded once from `data/lexicon.toml`.

This module turns the data into compiled patterns and owns nothing else: which words mean "price on
request", "out of stock", "used", "no warranty" or "days" lives in the TOML file, in Ukrainian,
Russian and English. Patterns are written over normalised text (`feedaudit.text.normalise`) and
compiled as whole-word alternations; `feedaudit.text` decides what the matches mean.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

LANGUAGES = ("uk", "ru", "en")


@functools.cache
def _data() -> dict[str, Any]:
    text = resources.files("feedaudit").joinpath("data/lexicon.toml").read_text("utf-8")
    return tomllib.loads(text)


def entry(name: str) -> dict[str, Any]:
    """The raw table `name` (dotted: `status.out-of-stock`)."""
    node: Any = _data()
    for part in name.split("."):
        node = node[part]
    if not isinstance(node, dict):
        raise KeyError(name)
    return node


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """One entry of the lexicon, compiled: whole-word alternatives and whole-value forms."""

    name: str
    words: re.Pattern[str] | None
    whole: re.Pattern[str] | None

    def find(self, normalised: str) -> str | None:
        """The words of `normalised` this vocabulary recognises (the whole value, or a whole-word match)."""
        if self.whole is not None and self.whole.fullmatch(normalised):
            return normalised
        if self.words is not None:
            match = self.words.search(normalised)
            if match is not None:
                return match.group(0)
        return None

    def find_whole(self, normalised: str) -> str | None:
        if self.whole is not None and self.whole.fullmatch(normalised):
            return normalised
        return None

    def find_words(self, normalised: str) -> re.Match[str] | None:
        return None if self.words is None else self.words.search(normalised)


def whole_words(alternatives: Sequence[str]) -> re.Pattern[str]:
    """`(?<!\\w)(?:a|b|…)(?!\\w)`: the alternatives matched as whole words only."""
    return re.compile(r"(?<!\w)(?:" + "|".join(f"(?:{a})" for a in alternatives) + r")(?!\w)")


@functools.cache
def vocabulary(name: str, keys: tuple[str, ...] = LANGUAGES) -> Vocabulary:
    """The compiled entry `name`, reading the lists under `keys` (by default the three languages)."""
    table = entry(name)
    alternatives = [pattern for key in keys for pattern in table.get(key, [])]
    whole = table.get("whole", [])
    return Vocabulary(
        name=name,
        words=whole_words(alternatives) if alternatives else None,
        whole=re.compile("|".join(f"(?:{w})" for w in whole)) if whole else None,
    )


@functools.cache
def confusables() -> tuple[str, str]:
    """Look-alike letters: (latin, cyrillic), position by position."""
    table = entry("confusables")
    latin, cyrillic = str(table["latin"]), str(table["cyrillic"])
    if len(latin) != len(cyrillic):
        raise ValueError("lexicon: confusables.latin and .cyrillic differ in length")
    return latin, cyrillic


@functools.cache
def anchors(name: str) -> tuple[str, ...]:
    """The plain substrings that mark candidate places for entry `name` in long raw text."""
    return tuple(str(v) for v in entry(f"{name}.anchors")["literals"])


def alternatives(name: str, key: str) -> list[str]:
    """The raw pattern list `key` of entry `name`."""
    values = entry(name).get(key, [])
    return [str(v) for v in values]


@functools.cache
def phrases(name: str) -> tuple[str, ...]:
    """The literal phrases of entry `name`, every language in turn (matched whole-word in normalised text)."""
    table = entry(name)
    return tuple(str(p) for key in LANGUAGES for p in table.get(key, []))
