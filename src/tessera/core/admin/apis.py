"""The admin API's APIs (resource servers): list, show, register, change and delete."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from tessera.core.admin.errors import NotFoundError
from tessera.core.admin.fields import (
    Field,
    FieldError,
    InvalidFieldsError,
    Kind,
    parse_choice,
    parse_fields,
)
from tessera.core.admin.pages import Page, PageRequest, build_page, created_key
from tessera.core.admin.versions import verify_version
from tessera.core.api_deletion import ApiDeletionRepos, DeletedApi, delete_api
from tessera.core.api_updates import ApiChange, update_api
from tessera.core.audit_events import Event
from tessera.core.models import Api, Timestamp
from tessera.core.ports import Transactions
from tessera.core.registration import build_api
from tessera.crypto.keys import Algorithm

CREATE_FIELDS = {
    "identifier": Field(Kind.STRING, required=True),
    "name": Field(Kind.STRING, nullable=True),
    "scopes": Field(Kind.OBJECTS),
    "access_token_lifetime": Field(Kind.INTEGER),
    "signing_alg": Field(Kind.STRING),
}
SCOPE_FIELDS = {
    "name": Field(Kind.STRING, required=True),
    "description": Field(Kind.STRING),
}


async def list_apis(store: Transactions[ApiDeletionRepos], request: PageRequest) -> Page[Api]:
    """One page of APIs, oldest first.

    Raises:
        InvalidQueryError: the cursor is of another list.
    """
    after = created_key(request)
    async with store.read_transaction() as tx:
        rows = await tx.apis.page(after, request.limit + 1)
    return build_page(rows, request, lambda api: (api.created_at, api.id))


async def show_api(store: Transactions[ApiDeletionRepos], api_id: str) -> Api:
    """Raises NotFoundError: no such API."""
    async with store.read_transaction() as tx:
        return await _existing(tx, api_id)


async def _existing(repos: ApiDeletionRepos, api_id: str) -> Api:
    api = await repos.apis.get(api_id)
    if api is None:
        raise NotFoundError(f"no API {api_id!r}")
    return api


def _scope(value: dict[str, Any], index: int) -> tuple[str, str]:
    try:
        fields = parse_fields(value, SCOPE_FIELDS)
    except InvalidFieldsError as exc:
        raise InvalidFieldsError(
            [FieldError(f"/scopes/{index}{e.pointer}", e.detail) for e in exc.errors]
        ) from None
    return fields["name"], fields.get("description", "")


def parse_new_api(body: Any, *, now: Timestamp, algorithms: Collection[Algorithm]) -> Api:
    """The API a create request describes, checked by registration.

    Raises:
        InvalidFieldsError: unknown fields, wrong types, an unknown algorithm.
        RegistrationError: what build_api refuses.
    """
    fields = parse_fields(body, CREATE_FIELDS)
    alg = fields.get("signing_alg", Algorithm.RS256.value)
    return build_api(
        identifier=fields["identifier"],
        now=now,
        name=fields.get("name"),
        scopes=[_scope(value, i) for i, value in enumerate(fields.get("scopes", []))],
        access_token_lifetime=fields.get("access_token_lifetime", 86400),
        signing_alg=parse_choice(alg, Algorithm, "/signing_alg"),
        algorithms=algorithms,
    )


async def create_api(
    store: Transactions[ApiDeletionRepos], api: Api, *, actor: str, now: Timestamp
) -> Api:
    """Store an API `parse_new_api` built, and audit it.

    Raises:
        DuplicateError: the identifier exists (the store's error).
    """
    async with store.transaction() as tx:
        await tx.apis.add(api)
        await tx.audit.record(
            Event.API_CREATED, now, detail={"identifier": api.identifier, "actor": actor}
        )
    return api


async def remove_api(
    store: Transactions[ApiDeletionRepos],
    api_id: str,
    *,
    if_match: Collection[str] | None,
    actor: str,
    now: Timestamp,
) -> DeletedApi:
    """Delete an API and revoke what was granted for it (core.api_deletion).

    Raises:
        NotFoundError: no such API.
        StaleVersionError: the API is not at a version `if_match` names.
    """
    async with store.transaction() as tx:
        api = await _existing(tx, api_id)
        verify_version(api, if_match)
        deleted = await delete_api(tx, api.identifier, now=now, actor=actor)
    if deleted is None:
        raise NotFoundError(f"no API {api_id!r}")
    return deleted


UPDATE_FIELDS = {
    "name": Field(Kind.STRING, nullable=True),
    "scopes": Field(Kind.OBJECTS),
    "access_token_lifetime": Field(Kind.INTEGER),
    "signing_alg": Field(Kind.STRING),
}


def parse_api_change(body: Any) -> ApiChange:
    """A PATCH of an API: `name` (null or empty: its identifier), `scopes` (the whole
    list), `access_token_lifetime`, `signing_alg`; what is not given stays.

    Raises:
        InvalidFieldsError: unknown fields, wrong types, an unknown algorithm.
    """
    fields = parse_fields(body, UPDATE_FIELDS)
    scopes = fields.get("scopes")
    alg = fields.get("signing_alg")
    return ApiChange(
        name="" if "name" in fields and fields["name"] is None else fields.get("name"),
        scopes=None if scopes is None else [_scope(value, i) for i, value in enumerate(scopes)],
        access_token_lifetime=fields.get("access_token_lifetime"),
        signing_alg=None if alg is None else parse_choice(alg, Algorithm, "/signing_alg"),
    )


async def change_api(
    store: Transactions[ApiDeletionRepos],
    api_id: str,
    change: ApiChange,
    *,
    if_match: Collection[str] | None,
    algorithms: Collection[Algorithm],
    actor: str,
    now: Timestamp,
) -> Api:
    """Apply an API change (core.api_updates) to the version read; the new terms hold
    for the tokens issued next.

    Raises:
        NotFoundError: no such API.
        StaleVersionError: the API is not at a version `if_match` names.
        RegistrationError: a bad scope name, lifetime, or an algorithm not enabled.
    """
    async with store.transaction() as tx:
        api = await _existing(tx, api_id)
        verify_version(api, if_match)
        return await update_api(
            tx, api.identifier, change, algorithms=algorithms, actor=actor, now=now
        )
