"""The admin API in process: every refusal is a problem (RFC 9457) with a readable
detail, pages and versions behave, and users, APIs, keys and the audit query work."""

from __future__ import annotations

import httpx
import pytest

from tessera.core.admin import apis as admin_apis, clients as admin_clients
from tessera.core.admin.access import ensure_admin_api
from tessera.core.models import Consent, GrantType
from tessera.core.sessions import start_session
from tessera.store.errors import StoreUnavailableError
from tessera.web.runtime import Runtime
from tests.conftest import ISSUER
from tests.support.grants import (
    add_api,
    add_client,
    add_user,
    authenticate,
    obtain_tokens,
    refresh,
)

ADMIN = f"{ISSUER}/admin"
PROBLEM = "application/problem+json"


async def admin_token(http: httpx.AsyncClient, rt: Runtime, scope: str) -> str:
    async with rt.store.transaction() as tx:
        await ensure_admin_api(tx, ISSUER, rt.now(), rt.settings.enabled_algorithms)
    ops = await add_client(
        rt.store,
        grant_types=[GrantType.CLIENT_CREDENTIALS],
        redirect_uris=(),
        apis=[ADMIN],
        allowed_scopes=scope.split(),
    )
    form = {"grant_type": "client_credentials", "audience": ADMIN}
    answer = await http.post("/oauth/token", data=form, headers=authenticate(ops, form))
    token: str = answer.json()["access_token"]
    return token


@pytest.fixture
async def admin(client: httpx.AsyncClient, rt: Runtime) -> httpx.AsyncClient:
    token = await admin_token(client, rt, "admin:read admin:write")
    client.headers["Authorization"] = f"Bearer {token}"
    return client


def assert_problem(response: httpx.Response, status: int, detail: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["type"] == "about:blank" and body["status"] == status
    assert detail in body["detail"], body
    assert response.headers["cache-control"] == "no-store"


async def test_bodies_that_are_not_json_or_do_not_fit_are_refused_with_a_detail(
    admin: httpx.AsyncClient,
) -> None:
    headers = {"content-type": "application/json"}
    assert_problem(
        await admin.post("/admin/v1/clients", content=b"{", headers=headers), 400, "not JSON"
    )
    assert_problem(
        await admin.post(
            "/admin/v1/clients", content=b"name=x", headers={"content-type": "text/plain"}
        ),
        400,
        "must be application/json",
    )
    wrong = await admin.post("/admin/v1/clients", json={"client_name": 3, "colour": "red"})
    assert_problem(wrong, 422, "do not fit")
    assert {(e["pointer"], e["detail"]) for e in wrong.json()["errors"]} == {
        ("/client_name", "must be string"),
        ("/colour", "unknown field"),
    }
    refused = await admin.post("/admin/v1/clients", json={"client_name": "x"})
    assert_problem(refused, 422, "redirect")
    enum = await admin.post(
        "/admin/v1/clients", json={"client_name": "x", "grant_types": ["password"]}
    )
    assert enum.json()["errors"][0]["pointer"] == "/grant_types/0"
    missing_api = await admin.post(
        "/admin/v1/clients",
        json={
            "client_name": "m",
            "grant_types": ["client_credentials"],
            "apis": ["https://no.test"],
        },
    )
    assert_problem(missing_api, 422, "no API 'https://no.test'")


async def test_unknown_ids_and_paths_are_404_problems(admin: httpx.AsyncClient) -> None:
    for path in ("/clients/nope", "/users/nope", "/apis/nope", "/nothing/here", "/clients/"):
        assert_problem(await admin.get(f"/admin/v1{path}"), 404, "no ")
    assert_problem(await admin.delete("/admin/v1/clients/nope"), 404, "no client")
    assert_problem(await admin.post("/admin/v1/keys/nope/retire"), 404, "no published")


async def test_if_match_takes_strong_tags_only(admin: httpx.AsyncClient) -> None:
    made = await admin.post(
        "/admin/v1/clients", json={"client_name": "v", "redirect_uris": ["https://v.test/cb"]}
    )
    path = f"/admin/v1/clients/{made.json()['client_id']}"
    etag = (await admin.get(path)).headers["etag"]
    assert made.headers["etag"] == etag and made.headers["location"] == path
    weak = await admin.patch(path, json={"client_name": "w"}, headers={"If-Match": f"W/{etag}"})
    assert_problem(weak, 412, "has changed")
    listed = await admin.patch(
        path, json={"client_name": "w"}, headers={"If-Match": f'"x", {etag}'}
    )
    assert listed.status_code == 200 and listed.json()["client_name"] == "w"
    reset = await admin.patch(path, json={"web_origins": None}, headers={"If-Match": "*"})
    assert reset.json()["web_origins_from_redirect_uris"] is True
    assert_problem(await admin.delete(path, headers={"If-Match": etag}), 412, "has changed")


async def test_a_missing_token_is_challenged_and_a_reader_cannot_write(
    client: httpx.AsyncClient, rt: Runtime
) -> None:
    bare = await client.get("/admin/v1/clients")
    assert_problem(bare, 401, "required")
    assert bare.headers["www-authenticate"] == 'Bearer realm="tessera"'
    reader = await admin_token(client, rt, "admin:read")
    headers = {"Authorization": f"Bearer {reader}"}
    assert (await client.get("/admin/v1/audit", headers=headers)).status_code == 200
    refused = await client.post("/admin/v1/keys/rotate", headers=headers)
    assert_problem(refused, 403, "scope")
    assert refused.headers["www-authenticate"].endswith('scope="admin:write"')


async def test_users_are_created_with_a_write_only_password_and_paged(
    admin: httpx.AsyncClient,
) -> None:
    for n in range(3):
        made = await admin.post(
            "/admin/v1/users",
            json={"username": f"user{n}", "password": "correct horse", "email": f"u{n}@x.test"},
        )
        assert made.status_code == 201 and "password" not in made.json()
    shown = await admin.get(made.headers["location"])
    assert shown.json()["username"] == "user2" and "etag" in shown.headers
    assert_problem(
        await admin.post(
            "/admin/v1/users", json={"username": "user0", "password": "correct horse"}
        ),
        409,
        "already exists",
    )
    assert_problem(
        await admin.post("/admin/v1/users", json={"username": "short", "password": "x"}),
        422,
        "password",
    )
    first = (await admin.get("/admin/v1/users", params={"limit": "2"})).json()
    rest = (await admin.get("/admin/v1/users", params={"cursor": first["next_cursor"]})).json()
    names = [u["username"] for u in first["items"] + rest["items"]]
    # Created in the same second, they are in id order: each once, none skipped.
    assert sorted(names) == ["user0", "user1", "user2"] and rest["next_cursor"] is None
    found = await admin.get("/admin/v1/users", params={"search": "USER1"})
    assert [u["username"] for u in found.json()["items"]] == ["user1"]
    by_email = await admin.get("/admin/v1/users", params={"search": "u2@", "limit": "1"})
    assert [u["username"] for u in by_email.json()["items"]] == ["user2"]
    assert (await admin.get("/admin/v1/users", params={"search": "%"})).json()["items"] == []
    assert_problem(await admin.get("/admin/v1/users", params={"search": ""}), 400, "search")
    assert_problem(await admin.get("/admin/v1/users", params={"limit": "500"}), 400, "limit")
    assert_problem(
        await admin.get("/admin/v1/users", params=[("limit", "1"), ("limit", "2")]), 400, "once"
    )


async def test_apis_are_created_shown_and_deleted_and_keys_rotated_and_retired(
    admin: httpx.AsyncClient,
) -> None:
    made = await admin.post(
        "/admin/v1/apis",
        json={"identifier": "https://orders.test", "scopes": [{"name": "read:orders"}]},
    )
    assert made.status_code == 201
    assert made.json()["scopes"] == [{"name": "read:orders", "description": ""}]
    bad_scope = await admin.post(
        "/admin/v1/apis", json={"identifier": "https://x.test", "scopes": [{"nom": "x"}]}
    )
    assert {e["pointer"] for e in bad_scope.json()["errors"]} == {"/scopes/0/nom", "/scopes/0/name"}
    shown = await admin.get(made.headers["location"])
    assert shown.json() == made.json()
    changed = await admin.patch(
        made.headers["location"],
        json={"scopes": [{"name": "write:orders", "description": "Change orders"}], "name": None},
        headers={"If-Match": shown.headers["etag"]},
    )
    assert changed.json()["scopes"] == [{"name": "write:orders", "description": "Change orders"}]
    assert changed.json()["name"] == "https://orders.test"
    assert_problem(
        await admin.patch(made.headers["location"], json={"access_token_lifetime": 1}),
        422,
        "lifetime",
    )
    assert_problem(
        await admin.patch(
            made.headers["location"],
            json={"name": "x"},
            headers={"If-Match": shown.headers["etag"]},
        ),
        412,
        "has changed",
    )
    shown = await admin.get(made.headers["location"])
    deleted = await admin.delete(
        made.headers["location"], headers={"If-Match": shown.headers["etag"]}
    )
    assert deleted.status_code == 204

    rotated = await admin.post("/admin/v1/keys/rotate", json={"alg": "RS256"})
    assert rotated.status_code == 201 and rotated.json()["key"]["state"] == "next"
    assert_problem(await admin.post("/admin/v1/keys/rotate"), 409, "already next")
    kid = rotated.json()["key"]["kid"]
    assert kid in {k["kid"] for k in (await admin.get("/admin/v1/keys")).json()["items"]}
    retired = await admin.post(f"/admin/v1/keys/{kid}/retire")
    assert retired.json()["state"] == "retired"
    assert_problem(
        await admin.post("/admin/v1/keys/rotate", json={"alg": "HS256"}), 422, "do not fit"
    )

    events = (await admin.get("/admin/v1/audit", params={"event": "key.retired"})).json()["items"]
    assert [e["detail"]["kid"] for e in events] == [kid]
    assert events[0]["detail"]["actor"].startswith("client:")
    gone = (await admin.get("/admin/v1/audit", params={"event": "api.deleted"})).json()["items"]
    assert gone[0]["detail"]["identifier"] == "https://orders.test"
    assert_problem(await admin.get("/admin/v1/audit", params={"since": "soon"}), 400, "since")
    after = (await admin.get("/admin/v1/audit", params={"since": "9999999999"})).json()
    assert after == {"items": [], "next_cursor": None}


async def test_a_users_day_two_operations_are_audited_with_the_admin_client(
    admin: httpx.AsyncClient, rt: Runtime
) -> None:
    made = await admin.post(
        "/admin/v1/users",
        json={"username": "bob", "password": "correct horse", "email": "b@x.test"},
    )
    path = made.headers["location"]
    user_id = made.json()["id"]
    patched = await admin.patch(
        path,
        json={"email_verified": True, "name": "Bob"},
        headers={"If-Match": made.headers["etag"]},
    )
    assert patched.json()["email_verified"] is True and patched.json()["name"] == "Bob"
    cleared = await admin.patch(path, json={"email": None, "name": None})
    assert (cleared.json()["email"], cleared.json()["name"]) == (None, None)
    assert_problem(await admin.patch(path, json={"email": "nope"}), 422, "not a valid address")
    assert_problem(
        await admin.post(f"{path}/password", json={"password": "short"}), 422, "password"
    )
    assert (
        await admin.post(f"{path}/password", json={"password": "a new password"})
    ).status_code == 200

    app = (await add_client(rt.store)).client_id
    async with rt.store.transaction() as tx:
        await tx.consents.grant(
            Consent(
                user_id=user_id,
                client_id=app,
                audience="",
                scope=frozenset({"openid"}),
                updated_at=1,
            )
        )
    consents = (await admin.get(f"{path}/consents")).json()["items"]
    assert consents == [{"client_id": app, "audience": None, "scope": "openid", "updated_at": 1}]
    assert (await admin.delete(f"{path}/consents/{app}")).json() == {"grants_revoked": 0}
    assert (await admin.get(f"{path}/consents")).json()["items"] == []

    async with rt.store.transaction() as tx:
        user = await tx.users.get(user_id)
        assert user is not None
        _, session = await start_session(
            tx.sessions, user, now=rt.now(), lifetime=3600, replacing=None
        )
    sessions = (await admin.get(f"{path}/sessions")).json()
    assert sessions == {
        "items": [
            {
                "sid": session.sid,
                "auth_time": session.auth_time,
                "created_at": session.created_at,
                "expires_at": session.expires_at,
                "amr": ["pwd"],
            }
        ],
        "next_cursor": None,
    }
    disabled = await admin.post(f"{path}/disable")
    assert disabled.json() == {"sessions_ended": 1, "grants_revoked": 0}
    assert (await admin.get(f"{path}/sessions")).json()["items"] == []
    assert (await admin.get(path)).json()["disabled_at"] is not None
    assert (await admin.post(f"{path}/enable")).json()["disabled_at"] is None
    assert (await admin.post(f"{path}/unlock")).json() == {"throttle_keys_cleared": 0}
    assert (await admin.post(f"{path}/logout")).json() == {"sessions_ended": 0, "grants_revoked": 0}
    assert (await admin.delete(path)).status_code == 204
    assert_problem(await admin.post(f"{path}/disable"), 404, "no user")

    events = (await admin.get("/admin/v1/audit", params={"user_id": user_id})).json()["items"]
    assert [e["event"] for e in events] == [
        "user.created",
        "user.updated",
        "user.updated",
        "user.password_set",
        "consent.revoked",
        "user.disabled",
        "user.enabled",
        "user.unlocked",
        "user.signed_out",
        "user.deleted",
    ]
    assert len({e["detail"]["actor"] for e in events}) == 1


@pytest.mark.parametrize(
    ("failure", "status"),
    [(RuntimeError("bug"), 500), (StoreUnavailableError("database down"), 503)],
    ids=["bug", "database"],
)
async def test_a_failure_inside_an_admin_operation_is_a_problem_too(
    admin: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, failure: Exception, status: int
) -> None:
    async def fail(*args: object) -> None:
        raise failure

    monkeypatch.setattr(admin_clients, "list_clients", fail)
    answer = await admin.get("/admin/v1/clients")
    assert_problem(answer, status, answer.headers["x-request-id"])
    assert "bug" not in answer.text and "database down" not in answer.text


async def test_a_patch_changes_api_grants_and_is_checked_as_a_whole(
    admin: httpx.AsyncClient,
) -> None:
    await admin.post("/admin/v1/apis", json={"identifier": "https://reports.test"})
    made = await admin.post(
        "/admin/v1/clients", json={"client_name": "r", "redirect_uris": ["https://r.test/cb"]}
    )
    path = made.headers["location"]
    machine = await admin.patch(
        path,
        json={
            "grant_types": ["client_credentials"],
            "apis": ["https://reports.test"],
            "scope": "read:reports",
            "token_endpoint_auth_method": "client_secret_post",
            "refresh_grace_seconds": 5,
        },
    )
    assert machine.status_code == 200, machine.text
    body = machine.json()
    assert body["apis"] == ["https://reports.test"] and body["scope"] == "read:reports"
    assert body["grant_types"] == ["client_credentials"]
    assert body["token_endpoint_auth_method"] == "client_secret_post"
    assert_problem(await admin.patch(path, json={"grant_types": []}), 422, "client_credentials")
    assert_problem(await admin.patch(path, json={"apis": ["https://none.test"]}), 422, "no API")
    assert_problem(
        await admin.patch(path, json={"token_endpoint_auth_method": "none"}), 422, "public"
    )
    assert (await admin.get(path)).json() == body


@pytest.mark.parametrize(
    ("action", "method"),
    [("disable", "POST"), ("logout", "POST"), ("consents/{client}", "DELETE")],
    ids=["disable", "logout", "revoke-consent"],
)
async def test_ending_a_users_access_stops_their_refresh_tokens(
    admin: httpx.AsyncClient, rt: Runtime, action: str, method: str
) -> None:
    await add_api(rt.store)
    user = await add_user(rt.store)
    app = await add_client(rt.store)
    tokens = await obtain_tokens(admin, rt.store, app, now=rt.now())
    path = f"/admin/v1/users/{user.id}/{action.format(client=app.client_id)}"
    assert (await admin.request(method, path)).status_code == 200
    refused = await refresh(admin, app, tokens["refresh_token"])
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"


async def test_clients_and_apis_are_listed_created_rotated_and_deleted_in_process(
    admin: httpx.AsyncClient,
) -> None:
    made = await admin.post(
        "/admin/v1/clients",
        json={
            "client_name": "alg",
            "redirect_uris": ["https://alg.test/cb"],
            "id_token_signed_response_alg": "RS256",
        },
    )
    assert made.json()["id_token_signed_response_alg"] == "RS256"
    client_id = made.json()["client_id"]
    listed = (await admin.get("/admin/v1/clients", params={"limit": "1"})).json()
    assert listed["next_cursor"] is not None
    following = await admin.get("/admin/v1/clients", params={"cursor": listed["next_cursor"]})
    items = listed["items"] + following.json()["items"]
    assert client_id in {c["client_id"] for c in items}
    apis = (await admin.get("/admin/v1/apis")).json()
    assert f"{ISSUER}/admin" in {a["identifier"] for a in apis["items"]}

    rotated = await admin.post(f"/admin/v1/clients/{client_id}/secret", json={"overlap": 60})
    assert rotated.json()["client_secret"] != made.json()["client_secret"]
    assert rotated.headers["etag"] != made.headers["etag"]
    switched = await admin.post("/admin/v1/keys/rotate", json={"immediately": True})
    assert switched.json()["key"]["state"] == "current"
    assert switched.json()["replaced"]["state"] == "published"

    assert (await admin.delete(f"/admin/v1/clients/{client_id}")).status_code == 204
    assert_problem(await admin.get(f"/admin/v1/clients/{client_id}"), 404, "no client")


async def test_an_api_deleted_meanwhile_is_not_found(
    admin: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = await admin.post("/admin/v1/apis", json={"identifier": "https://raced.test"})

    async def deleted_by_another_node(*args: object, **kwargs: object) -> None:
        return None

    monkeypatch.setattr(admin_apis, "delete_api", deleted_by_another_node)
    assert_problem(await admin.delete(made.headers["location"]), 404, "no API")
