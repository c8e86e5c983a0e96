"""Keyset pages of clients and audit events, on both engines: a page is chosen on the
sort key, never split inside a client's joined rows, and filters narrow the audit."""

from __future__ import annotations

from dataclasses import replace

from tessera.core.audit_events import Event
from tessera.core.models import AuditQuery, GrantType
from tessera.core.registration import build_client
from tessera.store import Store
from tests.support.grants import add_api


async def test_a_page_of_clients_keeps_each_client_whole(database_url: str) -> None:
    store = await Store.open(database_url, min_size=1, max_size=2)
    try:
        apis = [(await add_api(store, f"https://api{n}.test")).identifier for n in range(3)]
        made = []
        async with store.transaction() as tx:
            for n in range(5):
                new = build_client(
                    name=f"m{n}",
                    redirect_uris=(),
                    now=1000 + n // 2,
                    grant_types=[GrantType.CLIENT_CREDENTIALS],
                    apis=apis,
                )
                await tx.clients.add(replace(new.client, client_id=f"c{4 - n}"))
                made.append(f"c{4 - n}")
        pages = []
        after = None
        async with store.read_transaction() as tx:
            while True:
                page = await tx.clients.page(after, 2)
                if not page:
                    break
                assert all(client.apis == frozenset(apis) for client in page)
                pages.append([client.client_id for client in page])
                after = (page[-1].created_at, page[-1].client_id)
        # (created_at, client_id): c4 and c3 at 1000, c2 and c1 at 1001, c0 at 1002.
        assert pages == [["c3", "c4"], ["c1", "c2"], ["c0"]]
    finally:
        await store.close()


async def test_the_audit_query_filters_and_pages_by_id(database_url: str) -> None:
    store = await Store.open(database_url, min_size=1, max_size=2)
    try:
        async with store.transaction() as tx:
            for at in range(10, 15):
                await tx.audit.record(Event.CLIENT_CREATED, at, client_id="c", user_id=None)
            await tx.audit.record(Event.USER_CREATED, 12, user_id="u")
            every = await tx.audit.query(AuditQuery(), None, 100)
            window = await tx.audit.query(AuditQuery(since=11, until=13), None, 100)
            assert [e.at for e in window] == [11, 12, 12]
            narrowed = AuditQuery(event="client.created", client_id="c", since=11)
            first = await tx.audit.query(narrowed, None, 2)
            second = await tx.audit.query(narrowed, first[-1].id, 2)
            assert [e.at for e in [*first, *second]] == [11, 12, 13, 14]
            assert [e.user_id for e in await tx.audit.query(AuditQuery(user_id="u"), None, 9)] == [
                "u"
            ]
        assert [e.id for e in every] == sorted(e.id for e in every)
    finally:
        await store.close()
