"""The base of every configuration model: kebab-case keys in files, snake_case in Python, no unknown keys;
and how a validation error of one is told in one line.

Lives apart from `config.py` so that a subsystem (history, e-mail, inventory, …) can define its own
section next to its code while `config.Settings` still holds one field per section.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, ValidationError


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


def describe_validation_error(exc: ValidationError) -> str:
    """One line per problem, pydantic's `loc` joined with dots: `rules.PH002.sentinels: …`."""
    parts = []
    for error in exc.errors():
        location = ".".join(str(part) for part in error["loc"]) or "(top level)"
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        parts.append(f"{location}: {message}")
    return "; ".join(parts)
