"""What an admin operation refuses, apart from the token (core.admin.access) and the
values an operator gives (core.registration.RegistrationError).

```
AdminError                 the message is one line for a person
├─ InvalidQueryError       a query parameter (limit, cursor, a filter) is malformed  400
├─ NotFoundError           no resource with that id                                  404
└─ StaleVersionError       If-Match names another version of the resource            412
```
"""

from __future__ import annotations


class AdminError(Exception):
    """An admin operation refused; the message is one line for a person."""


class InvalidQueryError(AdminError):
    """A query parameter is malformed: a limit out of range, a cursor tessera did not
    hand out, a filter that does not parse."""


class NotFoundError(AdminError):
    """No resource of that kind has that id."""


class StaleVersionError(AdminError):
    """The resource changed since the caller read it (its version is not in If-Match)."""
