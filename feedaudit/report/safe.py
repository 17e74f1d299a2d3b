"""What text taken from a feed may look like in a report, an e-mail or a log line.

Everything a feed says (offer ids, values, shop names, and the messages that quote them) is data
from a stranger. This module is the one place that makes it safe to show:

- `one_line` escapes every character that could act on a terminal or a reader instead of being
  read: C0 controls (newline and tab included), DEL, C1 controls, bidirectional controls (U+061C,
  U+200E/F, U+202A-202E, U+2066-2069), the line and paragraph separators U+2028/9 and lone surrogates.
  Each becomes a visible `\\x1b`, `\\n`, `\\u202e`; a finding is always one physical line.
- `shorten` cuts long text for people (`VALUE_LIMIT`, `MESSAGE_LIMIT`): `abc… [1,048,576 chars]`.
- `human` is both, for every human-facing format (concise, grouped, github, junit, html, e-mail,
  statistics, log lines); `header` the same for an e-mail header.
- `capped` keeps a value whole for machine formats (json, jsonl, sarif, csv) up to `DATA_LIMIT`
  characters, with the same marker after the cut, and replaces lone surrogates (which no UTF-8
  file can hold).
- `json_text` writes the characters above that JSON allows raw (DEL, C1, bidi, U+2028/9) as `\\uXXXX`
  escapes in a JSON document: the value is kept, the file shows nothing invisible.
- `bounded` applies `capped` to every text field of a finding: reporters and the nightly run keep
  findings in this form, so memory per finding is bounded whatever the feed holds.

The marker keeps the original length, so shortening a capped value names the length the feed had.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from typing import Any

from feedaudit.model import Finding

VALUE_LIMIT = 200  # an id, a value, a name, a source, in a human-facing format
MESSAGE_LIMIT = 400  # a rule's message, which may quote a value
HEADER_LIMIT = 120  # an e-mail header made of feed text (the shop name in the subject)
DATA_LIMIT = 4096  # any text in a machine format (json, jsonl, sarif, csv) and in memory

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_JSON_RAW = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_MARKER = re.compile(r"… \[(\d[\d,]*) chars\]\Z")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def one_line(text: str) -> str:
    """`text` with every control, bidirectional control and line break written as a visible escape."""
    return _UNSAFE.sub(_escape, text) if _UNSAFE.search(text) else text


def original_length(text: str) -> int:
    """How long `text` was before `shorten` or `capped` cut it (its own length when it was not cut)."""
    marker = _MARKER.search(text)
    return int(marker.group(1).replace(",", "")) if marker else len(text)


def shorten(text: str, limit: int = VALUE_LIMIT) -> str:
    """`text` cut to `limit` characters with `… [N chars]` after it, N the original length."""
    if len(text) <= limit:
        return text
    length = max(len(text), original_length(text))
    return f"{text[:limit]}… [{length:,} chars]"


def human(value: object, limit: int = VALUE_LIMIT) -> str:
    """`value` as text for people: shortened, then on one line with nothing invisible in it."""
    return one_line(shorten("" if value is None else str(value), limit))


def header(value: object) -> str:
    """Text for an e-mail header: `human` with the header limit (no CR or LF can remain)."""
    return human(value, HEADER_LIMIT)


def capped(text: str, limit: int = DATA_LIMIT) -> str:
    """`text` for a machine format: whole up to `limit` characters, lone surrogates replaced."""
    if len(text) > limit:
        text = shorten(text, limit)
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text


def json_text(document: str) -> str:
    """A JSON document with every unsafe character JSON allows raw written as a `\\uXXXX` escape."""
    if not _JSON_RAW.search(document):
        return document
    return _JSON_RAW.sub(lambda match: f"\\u{ord(match.group()):04x}", document)


def maybe_capped(text: str | None, limit: int = DATA_LIMIT) -> str | None:
    return None if text is None else capped(text, limit)


_FIELDS = tuple(f.name for f in dataclasses.fields(Finding))


def bounded(finding: Finding) -> Finding:
    """`finding` with every text field `capped` (the same object when nothing needed it)."""
    changes: dict[str, Any] = {}
    for name in _FIELDS:
        text = getattr(finding, name)
        if isinstance(text, str):
            safe = capped(text)
            if safe is not text:
                changes[name] = safe
    return dataclasses.replace(finding, **changes) if changes else finding


class OneLineFormatter(logging.Formatter):
    """A log formatter whose message part is `human`-safe: one line, no controls (tracebacks keep theirs)."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - the name logging calls
        return one_line(shorten(super().formatMessage(record), DATA_LIMIT))
