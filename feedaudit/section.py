"""The base of every configuration model: kebab-case keys in files, snake_case in Python, no unknown keys.

Lives apart from `config.py` so that a subsystem (history, e-mail, inventory, …) can define its own
section next to its code while `config.Settings` still holds one field per section.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


def kebab(name: str) -> str:
    return name.replace("_", "-")


class Section(BaseModel):
    """Base of every configuration model: kebab-case keys, unknown keys rejected."""

    model_config = ConfigDict(
        extra="forbid",
        alias_generator=kebab,
        validate_by_name=True,
        validate_by_alias=True,
        frozen=True,
    )
