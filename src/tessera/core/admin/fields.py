"""A JSON request body as typed fields: the admin API's counterpart of core.params.

Each resource names its fields and their JSON types; a body with an unknown field, a
field of the wrong type or a required one missing is refused with every problem at
once, each pointing at its field (RFC 6901), so a caller fixes them in one go.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from tessera.core.admin.errors import AdminError


class Kind(StrEnum):
    """The JSON type of a field, by its JSON Schema name."""

    STRING = "string"
    BOOLEAN = "boolean"
    INTEGER = "integer"
    STRINGS = "array of strings"
    OBJECTS = "array of objects"


@dataclass(frozen=True, slots=True)
class Field:
    kind: Kind
    required: bool = False
    nullable: bool = False


@dataclass(frozen=True, slots=True)
class FieldError:
    """One field's problem: a JSON Pointer to it, and what is wrong, for a person."""

    pointer: str
    detail: str


class InvalidFieldsError(AdminError):
    """The body's fields do not fit the resource; carries every problem found."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        super().__init__("; ".join(f"{e.pointer}: {e.detail}" for e in errors))
        self.errors = tuple(errors)


def _is_text(value: Any) -> bool:
    """A JSON string tessera stores: NUL is refused here, as PostgreSQL refuses it."""
    return isinstance(value, str) and "\x00" not in value


def _fits(value: Any, kind: Kind) -> bool:
    if kind is Kind.STRING:
        return _is_text(value)
    if kind is Kind.BOOLEAN:
        return isinstance(value, bool)
    if kind is Kind.INTEGER:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is Kind.STRINGS:
        return isinstance(value, list) and all(_is_text(item) for item in value)
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)


def parse_fields(body: Any, fields: Mapping[str, Field]) -> dict[str, Any]:
    """The body's fields, each of its declared type (None where null is allowed).

    Raises:
        InvalidFieldsError: the body is not an object, names an unknown field, lacks a
            required one, or has a value of the wrong type.
    """
    if not isinstance(body, dict):
        raise InvalidFieldsError([FieldError("", "the body must be a JSON object")])
    errors = [FieldError(f"/{name}", "unknown field") for name in body if name not in fields]
    for name, field in fields.items():
        if name not in body:
            if field.required:
                errors.append(FieldError(f"/{name}", "required"))
            continue
        value = body[name]
        if value is None and field.nullable:
            continue
        if not _fits(value, field.kind):
            null = " or null" if field.nullable else ""
            errors.append(FieldError(f"/{name}", f"must be {field.kind.value}{null}"))
    if errors:
        raise InvalidFieldsError(errors)
    return dict(body)


def parse_choice(value: str, choices: type[StrEnum], pointer: str) -> Any:
    """A field's value as one of an enum's values.

    Raises:
        InvalidFieldsError: the value is none of them.
    """
    try:
        return choices(value)
    except ValueError:
        allowed = ", ".join(choice.value for choice in choices)
        raise InvalidFieldsError([FieldError(pointer, f"must be one of {allowed}")]) from None
