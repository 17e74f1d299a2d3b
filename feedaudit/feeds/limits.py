"""Caps on what one feed may make the XML reader hold: the `[limits]` settings, and the error a cap
exceeded raises (the caps are checked while the bytes stream in, by `feeds.capguard`)."""

from __future__ import annotations

from pydantic import Field

from feedaudit.section import Section


class ReadLimits(Section):
    """How much one feed may make the reader hold (each cap exceeded is an FD006 finding)."""

    max_offers: int = Field(default=2_000_000, gt=0, description="Offers read from one feed; the rest are not read.")
    max_offer_elements: int = Field(default=10_000, gt=0, description="Elements inside one offer.")
    max_children: int = Field(
        default=100_000, gt=0, description="Child elements of any one element (categories, currencies, …)."
    )
    max_attributes: int = Field(default=1_000, gt=0, description="Attributes of one element.")
    max_field_bytes: int = Field(
        default=4 * 1024**2, gt=0, description="Bytes of one field's text, or of one tag with its attributes."
    )
    max_compression_ratio: int = Field(
        default=250,
        gt=1,
        description="How many times its compressed size a gzip, deflate or brotli feed may decode to (judged past "
        "its first MiB; real feeds stay under 60).",
    )
    max_preamble_bytes: int = Field(
        default=8 * 1024**2, gt=0, description="Bytes before the root element (XML declaration, DOCTYPE, comments)."
    )


class ReadLimitError(Exception):
    """A cap of `ReadLimits` was exceeded at `line`; reading the feed stops there."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
