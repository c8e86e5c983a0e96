"""The admin API's audit query: events by time range, name, user and client."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Protocol

from tessera.core.admin.errors import InvalidQueryError
from tessera.core.admin.pages import Page, PageRequest, build_page, id_key
from tessera.core.models import AuditEvent, AuditQuery, Timestamp
from tessera.core.ports import AuditRepo, Transactions

FILTERS = ("since", "until", "event", "user_id", "client_id")
MAX_FILTER_LENGTH = 200


class AuditReadRepos(Protocol):
    @property
    def audit(self) -> AuditRepo: ...


def _time(name: str, value: str) -> Timestamp:
    if value.isdigit() and len(value) <= 12:
        return int(value)
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise InvalidQueryError(f"{name} must be Unix seconds or an RFC 3339 date-time") from None
    if parsed.tzinfo is None:
        raise InvalidQueryError(f"{name} must name its time zone (e.g. Z)")
    return int(parsed.timestamp())


def parse_audit_query(params: Mapping[str, str]) -> AuditQuery:
    """The filters of an audit query; `since` and `until` are Unix seconds or RFC 3339
    date-times with a time zone.

    Raises:
        InvalidQueryError: a time that does not parse, or a value too long.
    """
    for name in FILTERS:
        if len(params.get(name, "")) > MAX_FILTER_LENGTH:
            raise InvalidQueryError(f"{name} is too long")
    since, until = params.get("since"), params.get("until")
    return AuditQuery(
        since=None if since is None else _time("since", since),
        until=None if until is None else _time("until", until),
        event=params.get("event"),
        user_id=params.get("user_id"),
        client_id=params.get("client_id"),
    )


async def query_audit(
    store: Transactions[AuditReadRepos], query: AuditQuery, request: PageRequest
) -> Page[AuditEvent]:
    """One page of the events that match, oldest first.

    Raises:
        InvalidQueryError: the cursor is of another list.
    """
    after = id_key(request)
    async with store.read_transaction() as tx:
        rows = await tx.audit.query(query, after, request.limit + 1)
    return build_page(rows, request, lambda event: (event.id,))
