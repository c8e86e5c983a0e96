"""Scope syntax (RFC 6749 3.3): the one parser and the one wire form for every endpoint.

`scope = scope-token *( SP scope-token )`: tokens separated by single spaces. A
doubled, leading or trailing space, a tab or a character outside the token set is
malformed at /authorize and at the token endpoint alike, with the same description.
Registered scope names (`apis create --scope`, `clients create --allowed-scope`) obey
the same token grammar. An empty parameter never reaches the parser: core.params
treats it as omitted (RFC 6749 3.1).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from tessera.core.errors import InvalidScopeError

# RFC 6749 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ); bounded like every value.
SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]{1,128}")
MALFORMED = "The scope parameter is malformed: scope names separated by single spaces."


def is_scope_token(name: str) -> bool:
    """True when `name` is one RFC 6749 3.3 scope-token."""
    return SCOPE_TOKEN.fullmatch(name) is not None


def parse_scope(value: str) -> tuple[str, ...]:
    """The scope names of a scope value, in the order sent, repeats dropped.

    The empty string is the empty scope: it is how `format_scope` writes one (a
    machine token for an API without scopes), never a request parameter.

    Raises:
        InvalidScopeError: the value is not scope-tokens separated by single spaces.
    """
    if not value:
        return ()
    names = value.split(" ")
    if not all(is_scope_token(name) for name in names):
        raise InvalidScopeError(MALFORMED)
    return tuple(dict.fromkeys(names))


def format_scope(scope: Iterable[str]) -> str:
    """RFC 6749 3.3 wire form, sorted so equal scopes read the same."""
    return " ".join(sorted(scope))
