"""Parser errors in words a shop owner understands.

libxml2 reports a broken feed in its own terms ("xmlParseEntityRef: no name"). `plain_message` turns
the common kinds into what is wrong and how to fix it; the parser's own text stays beside it as the
finding's `detail` (json, `--verbose`). The kind is told by libxml2's error type name, which is stable
across its releases; names, lines and bytes are read from the text when it carries them, so a
release that words its messages differently still gets the plain sentence, only less specific.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html.entities import html5

_QUOTED = re.compile(r"'([^']*)'")
_MISMATCH = re.compile(r"mismatch:\s*(\S+)\s+line\s+(\d+)\s+and\s+(\S+)")
_START_TAG = re.compile(r"Start Tag\s+(\S+)(?:\s+line\s+(\d+))?")
_IN_TAG = re.compile(r"\btag\s+(\S+)\s+line\s+(\d+)")
_CHAR_VALUE = re.compile(r"(?:value|Char)\s+(0x[0-9A-Fa-f]+|\d+)")
_BYTES = re.compile(r"Bytes:\s*((?:0x[0-9A-Fa-f]{2}\s*)+)")
_ATTRIBUTE = re.compile(r"attribute\s+(\S+)|Attribute\s+(\S+)\s+redefined")
_ENCODING_NAME = re.compile(r"encoding:?\s*'?([A-Za-z0-9._:-]+)'?\s*$")


def _bare_ampersand(raw: str) -> str:
    if "StartTag" in raw or "element name" in raw:
        return _bare_less_than(raw)
    return "a bare '&' in the text: write it as '&amp;' (or put the text in <![CDATA[ … ]]>)"


def _bare_less_than(raw: str) -> str:
    return "a '<' that does not start a valid tag: in text write it as '&lt;' (or put the text in <![CDATA[ … ]]>)"


def _undeclared_entity(raw: str) -> str:
    match = _QUOTED.search(raw)
    if match is None:
        return "an entity XML does not know: write the character itself or a numeric reference such as '&#174;'"
    name = match.group(1)
    char = html5.get(f"{name};")
    if char is not None and len(char) == 1:
        return (
            f"'&{name};' is an HTML entity XML does not know: write the character itself ({char}) or '&#{ord(char)};'"
        )
    return f"'&{name};' is an entity the feed never declares: write the text itself instead"


def _mismatch(raw: str) -> str:
    match = _MISMATCH.search(raw)
    if match is None or match.group(3) == "unparsable":
        return "a tag is closed by the wrong end tag: a tag is missing or misspelt"
    opened, line, closed = match.groups()
    return f"<{opened}> (opened on line {line}) is closed by </{closed}>: a tag is missing or misspelt"


def _cut_off(raw: str) -> str:
    match = _IN_TAG.search(raw)
    where = f" before <{match.group(1)}> (opened on line {match.group(2)}) is closed" if match else ""
    return f"the file ends{where}: it looks cut off (an interrupted export or download)"


def _no_xml(raw: str) -> str:
    return "the file holds no XML: it is empty or does not start with a tag"


def _extra_content(raw: str) -> str:
    return "more content after the end of the feed's root element: two files joined, or text left over"


def _invalid_char(raw: str) -> str:
    match = _CHAR_VALUE.search(raw)
    value = match.group(1) if match is not None else None
    code = None if value is None else int(value, 16) if value.startswith("0x") else int(value)
    if "CharRef" in raw:
        return f"a character reference to a character XML does not allow{_code(code)}: remove it"
    return control_character(code)


def control_character(code: int | None) -> str:
    """A control character XML does not allow, in the words of every report of one."""
    return f"a control character XML does not allow{_code(code)}: remove it from the text"


def _code(code: int | None) -> str:
    return "" if code is None else f" (code {code})"


def _bad_bytes(raw: str) -> str:
    match = _BYTES.search(raw)
    shown = f" ({' '.join(match.group(1).split())})" if match else ""
    return (
        f"invalid bytes{shown} for the encoding the feed declares: "
        "the file is saved in another encoding than its <?xml … encoding=…?> says"
    )


def _unknown_encoding(raw: str) -> str:
    match = _ENCODING_NAME.search(raw.strip())
    name = f" '{match.group(1)}'" if match else ""
    return f"the feed declares an encoding{name} the parser does not know: declare UTF-8 or windows-1251"


def _attribute_name(raw: str) -> str:
    match = _ATTRIBUTE.search(raw)
    return f" '{match.group(1) or match.group(2)}'" if match else ""


def _attribute_without_value(raw: str) -> str:
    return f'attribute{_attribute_name(raw)} has no value: write it as name="value"'


def _attribute_unquoted(raw: str) -> str:
    return 'an attribute value without quotes, or with its closing quote missing: write name="value"'


def _attribute_twice(raw: str) -> str:
    return f"attribute{_attribute_name(raw)} is given twice in one tag"


def _less_than_in_attribute(raw: str) -> str:
    return "a '<' inside an attribute value: write it as '&lt;'"


def _tag_not_closed(raw: str) -> str:
    match = _START_TAG.search(raw)
    if match is None:
        return "a tag has no closing '>'"
    where = f" (line {match.group(2)})" if match.group(2) else ""
    return f"the <{match.group(1)}> tag{where} has no closing '>'"


def _attributes_malformed(raw: str) -> str:
    return "a tag's attributes are malformed (a missing space, quote or '=')"


def _late_declaration(raw: str) -> str:
    return "an <?xml …?> declaration in the middle of the file: two files joined, or something written before it"


def _comment_open(raw: str) -> str:
    return "a comment '<!--' is never closed with '-->'"


def _cdata_open(raw: str) -> str:
    return "a '<![CDATA[' section is never closed with ']]>'"


_BY_TYPE: dict[str, Callable[[str], str]] = {
    "ERR_NAME_REQUIRED": _bare_ampersand,
    "ERR_ENTITYREF_SEMICOL_MISSING": _bare_ampersand,
    "ERR_UNDECLARED_ENTITY": _undeclared_entity,
    "WAR_UNDECLARED_ENTITY": _undeclared_entity,
    "ERR_TAG_NAME_MISMATCH": _mismatch,
    "ERR_TAG_NOT_FINISHED": _cut_off,
    "ERR_DOCUMENT_EMPTY": _no_xml,
    "ERR_DOCUMENT_START": _no_xml,
    "ERR_DOCUMENT_END": _extra_content,
    "ERR_INVALID_CHAR": _invalid_char,
    "ERR_INVALID_CHARREF": _invalid_char,
    "ERR_INVALID_ENCODING": _bad_bytes,
    "ERR_UNSUPPORTED_ENCODING": _unknown_encoding,
    "ERR_UNKNOWN_ENCODING": _unknown_encoding,
    "ERR_ATTRIBUTE_WITHOUT_VALUE": _attribute_without_value,
    "ERR_ATTRIBUTE_NOT_STARTED": _attribute_unquoted,
    "ERR_ATTRIBUTE_NOT_FINISHED": _attribute_unquoted,
    "ERR_ATTRIBUTE_REDEFINED": _attribute_twice,
    "ERR_LT_IN_ATTRIBUTE": _less_than_in_attribute,
    "ERR_GT_REQUIRED": _tag_not_closed,
    "ERR_SPACE_REQUIRED": _attributes_malformed,
    "ERR_RESERVED_XML_NAME": _late_declaration,
    "ERR_COMMENT_NOT_FINISHED": _comment_open,
    "ERR_CDATA_NOT_FINISHED": _cdata_open,
}


def raw_detail(message: str | None) -> str:
    """The parser's own text, trimmed: what `--verbose` and json show as the finding's detail."""
    text = " ".join((message or "").split())
    return text[:1].lower() + text[1:] if text else "parser error"


def plain_message(type_name: str | None, message: str | None) -> str:
    """What a libxml2 error of type `type_name` (e.g. `ERR_NAME_REQUIRED`) means, in plain words.

    An error kind not in the map keeps the parser's text behind a plain lead-in.
    """
    raw = message or ""
    explain = _BY_TYPE.get(type_name or "")
    if explain is None:
        if "Input is not proper UTF-8" in raw or "Invalid bytes" in raw:
            return _bad_bytes(raw)
        return f"the feed is not well-formed XML here (the parser says: {raw_detail(raw)})"
    return explain(raw)
