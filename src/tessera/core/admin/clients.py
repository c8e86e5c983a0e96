"""The admin API's clients: list, show, register, change and delete (RFC 7591 names).

The checks are registration's (core.registration); this module reads the JSON fields,
runs each operation in one transaction, and audits every change with its actor.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Protocol

from tessera.core.admin.errors import NotFoundError
from tessera.core.admin.fields import Field, Kind, parse_choice, parse_fields
from tessera.core.admin.pages import Page, PageRequest, build_page, created_key
from tessera.core.admin.versions import verify_version
from tessera.core.audit_events import Event
from tessera.core.client_secrets import RotatedSecret, SecretRepos, rotate_secret
from tessera.core.models import AuthMethod, Client, GrantType, Timestamp
from tessera.core.ports import AuditRepo, ClientRepo, Transactions
from tessera.core.registration import NewClient, build_client, update_client
from tessera.crypto.keys import Algorithm

CREATE_FIELDS = {
    "client_name": Field(Kind.STRING, required=True),
    "redirect_uris": Field(Kind.STRINGS),
    "post_logout_redirect_uris": Field(Kind.STRINGS),
    "grant_types": Field(Kind.STRINGS),
    "token_endpoint_auth_method": Field(Kind.STRING),
    "scope": Field(Kind.STRING, nullable=True),
    "apis": Field(Kind.STRINGS),
    "resource_server_for": Field(Kind.STRINGS),
    "id_token_signed_response_alg": Field(Kind.STRING),
    "refresh_grace_seconds": Field(Kind.INTEGER),
    "web_origins": Field(Kind.STRINGS, nullable=True),
    "first_party": Field(Kind.BOOLEAN),
    "refresh_sliding_lifetime": Field(Kind.INTEGER, nullable=True),
    "refresh_absolute_lifetime": Field(Kind.INTEGER, nullable=True),
}
UPDATE_FIELDS = {
    "client_name": Field(Kind.STRING),
    "redirect_uris": Field(Kind.STRINGS),
    "post_logout_redirect_uris": Field(Kind.STRINGS),
    "web_origins": Field(Kind.STRINGS, nullable=True),
    "refresh_sliding_lifetime": Field(Kind.INTEGER),
    "refresh_absolute_lifetime": Field(Kind.INTEGER),
    "grant_types": Field(Kind.STRINGS),
    "token_endpoint_auth_method": Field(Kind.STRING),
    "scope": Field(Kind.STRING, nullable=True),
    "apis": Field(Kind.STRINGS),
    "resource_server_for": Field(Kind.STRINGS),
    "id_token_signed_response_alg": Field(Kind.STRING),
    "refresh_grace_seconds": Field(Kind.INTEGER),
}


class ClientAdminRepos(Protocol):
    @property
    def clients(self) -> ClientRepo: ...
    @property
    def audit(self) -> AuditRepo: ...


def _position(client: Client) -> tuple[int, str]:
    return (client.created_at, client.client_id)


async def list_clients(store: Transactions[ClientAdminRepos], request: PageRequest) -> Page[Client]:
    """One page of clients, oldest first.

    Raises:
        InvalidQueryError: the cursor is of another list.
    """
    after = created_key(request)
    async with store.read_transaction() as tx:
        rows = await tx.clients.page(after, request.limit + 1)
    return build_page(rows, request, _position)


async def show_client(store: Transactions[ClientAdminRepos], client_id: str) -> Client:
    """Raises NotFoundError: no such client."""
    async with store.read_transaction() as tx:
        return await _existing(tx, client_id)


async def _existing(repos: ClientAdminRepos, client_id: str) -> Client:
    client = await repos.clients.get(client_id)
    if client is None:
        raise NotFoundError(f"no client {client_id!r}")
    return client


def _auth_method(fields: dict[str, Any]) -> AuthMethod | None:
    method = fields.get("token_endpoint_auth_method")
    if method is None:
        return None
    choice: AuthMethod = parse_choice(method, AuthMethod, "/token_endpoint_auth_method")
    return choice


def _grant_types(fields: dict[str, Any]) -> list[GrantType] | None:
    grants = fields.get("grant_types")
    if grants is None:
        return None
    return [parse_choice(g, GrantType, f"/grant_types/{i}") for i, g in enumerate(grants)]


def _id_token_alg(fields: dict[str, Any]) -> Algorithm | None:
    alg = fields.get("id_token_signed_response_alg")
    if alg is None:
        return None
    choice: Algorithm = parse_choice(alg, Algorithm, "/id_token_signed_response_alg")
    return choice


def parse_new_client(body: Any, *, now: Timestamp, algorithms: Collection[Algorithm]) -> NewClient:
    """The client a create request describes, built and checked by registration.

    Without `token_endpoint_auth_method` the client is confidential (either secret
    method); `none` makes it public.

    Raises:
        InvalidFieldsError: unknown fields, wrong types, unknown enum values.
        RegistrationError: what build_client refuses.
    """
    fields = parse_fields(body, CREATE_FIELDS)
    auth_method = _auth_method(fields)
    scope = fields.get("scope")
    return build_client(
        name=fields["client_name"],
        redirect_uris=fields.get("redirect_uris", []),
        now=now,
        public=auth_method is AuthMethod.NONE,
        first_party=fields.get("first_party", False),
        auth_method=auth_method,
        grant_types=_grant_types(fields),
        post_logout_redirect_uris=fields.get("post_logout_redirect_uris", []),
        allowed_scopes=None if scope is None else scope.split(),
        id_token_alg=_id_token_alg(fields) or Algorithm.RS256,
        refresh_grace_seconds=fields.get("refresh_grace_seconds", 0),
        apis=fields.get("apis", []),
        resource_server_for=fields.get("resource_server_for", []),
        web_origins=fields.get("web_origins"),
        refresh_sliding_lifetime=fields.get("refresh_sliding_lifetime"),
        refresh_absolute_lifetime=fields.get("refresh_absolute_lifetime"),
        algorithms=algorithms,
    )


async def create_client(
    store: Transactions[ClientAdminRepos], new: NewClient, *, actor: str, now: Timestamp
) -> Client:
    """Store a client `parse_new_client` built, and audit it.

    Raises:
        DuplicateError, UnknownAPIError: see ClientRepo.add (the store's errors).
    """
    async with store.transaction() as tx:
        await tx.clients.add(new.client)
        await tx.audit.record(
            Event.CLIENT_CREATED, now, client_id=new.client.client_id, detail={"actor": actor}
        )
    return new.client


async def change_client(
    store: Transactions[ClientAdminRepos],
    client_id: str,
    body: Any,
    *,
    if_match: Collection[str] | None,
    actor: str,
    now: Timestamp,
    algorithms: Collection[Algorithm],
) -> Client:
    """Apply a PATCH: the fields given replace the client's (`web_origins: null` resets
    them to the redirect URIs' origins, `scope: null` allows any scope); what is not
    given stays, and the whole passes registration's checks (update_client).

    Raises:
        InvalidFieldsError, RegistrationError: a field tessera refuses.
        NotFoundError: no such client.
        StaleVersionError: the client is not at a version `if_match` names.
        UnknownAPIError: `apis` or `resource_server_for` names no API (the store's).
    """
    fields = parse_fields(body, UPDATE_FIELDS)
    scope = fields.get("scope")
    async with store.transaction() as tx:
        client = await _existing(tx, client_id)
        verify_version(client, if_match)
        changed = update_client(
            client,
            name=fields.get("client_name"),
            redirect_uris=fields.get("redirect_uris"),
            post_logout_redirect_uris=fields.get("post_logout_redirect_uris"),
            web_origins=fields.get("web_origins"),
            origins_from_redirect_uris="web_origins" in fields and fields["web_origins"] is None,
            refresh_sliding_lifetime=fields.get("refresh_sliding_lifetime"),
            refresh_absolute_lifetime=fields.get("refresh_absolute_lifetime"),
            grant_types=_grant_types(fields),
            auth_method=_auth_method(fields),
            allowed_scopes=None if scope is None else scope.split(),
            any_scope="scope" in fields and scope is None,
            apis=fields.get("apis"),
            resource_server_for=fields.get("resource_server_for"),
            id_token_alg=_id_token_alg(fields),
            refresh_grace_seconds=fields.get("refresh_grace_seconds"),
            algorithms=algorithms,
        )
        await tx.clients.update(changed)
        await tx.audit.record(
            Event.CLIENT_UPDATED,
            now,
            client_id=client_id,
            detail={"actor": actor, "fields": " ".join(sorted(fields))},
        )
    return changed


async def remove_client(
    store: Transactions[ClientAdminRepos],
    client_id: str,
    *,
    if_match: Collection[str] | None,
    actor: str,
    now: Timestamp,
) -> None:
    """Delete a client with its grants and consents, and audit it.

    Raises:
        NotFoundError: no such client.
        StaleVersionError: the client is not at a version `if_match` names.
    """
    async with store.transaction() as tx:
        verify_version(await _existing(tx, client_id), if_match)
        await tx.clients.delete(client_id)
        await tx.audit.record(
            Event.CLIENT_DELETED, now, client_id=client_id, detail={"actor": actor}
        )


SECRET_FIELDS = {"overlap": Field(Kind.INTEGER)}


class SecretAdminRepos(ClientAdminRepos, SecretRepos, Protocol):
    """What rotating a secret touches (core.client_secrets)."""


async def rotate_client_secret(
    store: Transactions[SecretAdminRepos],
    client_id: str,
    body: Any,
    *,
    if_match: Collection[str] | None,
    actor: str,
    now: Timestamp,
) -> RotatedSecret:
    """Give the client a new secret; the old one keeps working `overlap` seconds (the
    body's, default 0: it stops at once), core.client_secrets.rotate_secret.

    Raises:
        InvalidFieldsError: unknown fields or wrong types.
        NotFoundError: no such client.
        StaleVersionError: the client is not at a version `if_match` names.
        RegistrationError: a public client, or an overlap out of range.
    """
    fields = parse_fields({} if body is None else body, SECRET_FIELDS)
    async with store.transaction() as tx:
        verify_version(await _existing(tx, client_id), if_match)
        return await rotate_secret(
            tx, client_id, overlap=fields.get("overlap", 0), actor=actor, now=now
        )
