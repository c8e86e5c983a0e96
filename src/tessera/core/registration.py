"""Building clients, users and APIs from what an operator asks for, with the checks.

Used by the CLI (and any future admin API); each `build_*` validates and returns the
value to store, plus the one-time secret for confidential clients.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from tessera.core.models import Api, ApiScope, AuthMethod, Client, GrantType, Timestamp, User
from tessera.core.redirect_uri import InvalidRedirectURIValueError, validate_redirect_uri
from tessera.core.scopes import is_scope_token
from tessera.core.signing_algorithms import not_enabled
from tessera.core.web_origins import InvalidWebOriginError, parse_web_origins
from tessera.crypto.keys import Algorithm
from tessera.crypto.passwords import MAX_PASSWORD_LENGTH, hash_password
from tessera.crypto.tokens import SecretKind, digest, new_id, new_secret

USERNAME = re.compile(r"[A-Za-z0-9._@+-]{1,100}")
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{1,63}")
MAX_GRACE_SECONDS = 60
DEFAULT_GRANT_TYPES = (GrantType.AUTHORIZATION_CODE, GrantType.REFRESH_TOKEN)
MIN_PASSWORD_LENGTH = 8
MIN_REFRESH_LIFETIME = 60
MAX_REFRESH_LIFETIME = 315_360_000  # Ten years.


class RegistrationError(ValueError):
    """A value an operator gave is invalid; the message is one line for a person."""


@dataclass(frozen=True, slots=True)
class NewClient:
    client: Client
    secret: str | None
    warnings: tuple[str, ...]


def build_client(
    *,
    name: str,
    redirect_uris: Iterable[str],
    now: Timestamp,
    public: bool = False,
    first_party: bool = False,
    auth_method: AuthMethod | None = None,
    grant_types: Iterable[GrantType] | None = None,
    post_logout_redirect_uris: Iterable[str] = (),
    allowed_scopes: Iterable[str] | None = None,
    id_token_alg: Algorithm = Algorithm.RS256,
    refresh_grace_seconds: int = 0,
    apis: Iterable[str] = (),
    resource_server_for: Iterable[str] = (),
    web_origins: Iterable[str] | None = None,
    refresh_sliding_lifetime: int | None = None,
    refresh_absolute_lifetime: int | None = None,
    algorithms: Collection[Algorithm] = tuple(Algorithm),
) -> NewClient:
    """A new client with a generated id and, if confidential, a generated secret.

    `algorithms` are the enabled signing algorithms (core.signing_algorithms). Without
    `auth_method` a confidential client may use either secret method. Without
    `grant_types` a client gets the code flow with refresh tokens, except a resource
    server without redirect URIs, which only introspects and so gets no grant type.
    `apis` and `resource_server_for` are API identifiers; whether those APIs exist is
    the store's to check (`ClientRepo.add`). Without `web_origins` the client's
    browser origins are its redirect URIs' (core.web_origins); without refresh
    lifetimes it has the server's for its kind.

    Raises:
        RegistrationError: bad name, redirect URI, auth method or grant combination, an
            ID token algorithm that is not enabled, a bad web origin or refresh lifetime.
    """
    name = validate_name(name)
    method = auth_method or (AuthMethod.NONE if public else AuthMethod.CLIENT_SECRET_BASIC)
    if public and method is not AuthMethod.NONE:
        raise RegistrationError("a public client authenticates with 'none' only")
    if not public and method is AuthMethod.NONE:
        raise RegistrationError("a confidential client needs a secret auth method")
    uris = tuple(dict.fromkeys(redirect_uris))
    machine_apis = frozenset(apis)
    served_apis = frozenset(resource_server_for)
    if grant_types is None:
        grant_types = () if served_apis and not uris else DEFAULT_GRANT_TYPES
    grants = frozenset(grant_types)
    warnings = validate_grants(
        public=public, grants=grants, redirect_uris=uris, apis=machine_apis, served=served_apis
    )
    warnings.extend(validate_redirect_uris((*uris, *post_logout_redirect_uris), public=public))
    validate_refresh_grace(refresh_grace_seconds)
    validate_id_token_alg(id_token_alg, algorithms)
    scopes = None if allowed_scopes is None else frozenset(validate_scopes(allowed_scopes))
    origins = None if web_origins is None else validate_web_origins(web_origins)
    validate_refresh_lifetimes(refresh_sliding_lifetime, refresh_absolute_lifetime)
    secret = None if public else new_secret(SecretKind.CLIENT_SECRET)
    client = Client(
        client_id=new_id(16),
        name=name,
        secret_hash=None if secret is None else digest(secret),
        redirect_uris=uris,
        post_logout_redirect_uris=tuple(dict.fromkeys(post_logout_redirect_uris)),
        grant_types=grants,
        auth_method=method,
        auth_method_pinned=auth_method is not None or public,
        first_party=first_party,
        allowed_scopes=scopes,
        id_token_alg=id_token_alg,
        refresh_grace_seconds=refresh_grace_seconds,
        created_at=now,
        apis=machine_apis,
        resource_server_for=served_apis,
        web_origins=origins,
        refresh_sliding_lifetime=refresh_sliding_lifetime,
        refresh_absolute_lifetime=refresh_absolute_lifetime,
    )
    return NewClient(client=client, secret=secret, warnings=tuple(warnings))


def update_client(
    client: Client,
    *,
    name: str | None = None,
    redirect_uris: Iterable[str] | None = None,
    post_logout_redirect_uris: Iterable[str] | None = None,
    web_origins: Iterable[str] | None = None,
    origins_from_redirect_uris: bool = False,
    refresh_sliding_lifetime: int | None = None,
    refresh_absolute_lifetime: int | None = None,
    grant_types: Iterable[GrantType] | None = None,
    auth_method: AuthMethod | None = None,
    allowed_scopes: Iterable[str] | None = None,
    any_scope: bool = False,
    apis: Iterable[str] | None = None,
    resource_server_for: Iterable[str] | None = None,
    id_token_alg: Algorithm | None = None,
    refresh_grace_seconds: int | None = None,
    algorithms: Collection[Algorithm] = tuple(Algorithm),
) -> Client:
    """The client with what an operator changes after registration: its name, its
    redirect and post-logout redirect URIs (each list replaced when given, checked as
    at registration), its web origins (replaced when given, or reset to its redirect
    URIs' origins), its refresh lifetimes, its grant types, its secret method (pinned
    once named; a client stays public or confidential), its allowed scopes (replaced,
    or with `any_scope` lifted), its API access (`apis`, `resource_server_for`, each
    replaced; whether the APIs exist is the store's to check), its ID token algorithm
    (one of `algorithms`) and its refresh grace. What is not given stays; the result
    must pass registration's checks as a whole.

    Raises:
        RegistrationError: a value registration refuses, a grant combination it
            refuses, a public client given a secret method or the reverse, or web
            origins or scopes both given and reset.
    """
    if name is not None:
        client = replace(client, name=validate_name(name))
    if redirect_uris is not None:
        uris = tuple(dict.fromkeys(redirect_uris))
        validate_redirect_uris(uris, public=client.is_public)
        client = replace(client, redirect_uris=uris)
    client = _with_access(
        client,
        grant_types=grant_types,
        auth_method=auth_method,
        allowed_scopes=allowed_scopes,
        any_scope=any_scope,
        apis=apis,
        resource_server_for=resource_server_for,
    )
    if id_token_alg is not None:
        validate_id_token_alg(id_token_alg, algorithms)
        client = replace(client, id_token_alg=id_token_alg)
    if refresh_grace_seconds is not None:
        validate_refresh_grace(refresh_grace_seconds)
        client = replace(client, refresh_grace_seconds=refresh_grace_seconds)
    if post_logout_redirect_uris is not None:
        logout_uris = tuple(dict.fromkeys(post_logout_redirect_uris))
        validate_redirect_uris(logout_uris, public=client.is_public)
        client = replace(client, post_logout_redirect_uris=logout_uris)
    if web_origins is not None and origins_from_redirect_uris:
        raise RegistrationError("give web origins or reset them to the redirect URIs', not both")
    origins = client.web_origins
    if origins_from_redirect_uris:
        origins = None
    elif web_origins is not None:
        origins = validate_web_origins(web_origins)
    sliding = client.refresh_sliding_lifetime
    if refresh_sliding_lifetime is not None:
        sliding = refresh_sliding_lifetime
    absolute = client.refresh_absolute_lifetime
    if refresh_absolute_lifetime is not None:
        absolute = refresh_absolute_lifetime
    validate_refresh_lifetimes(sliding, absolute)
    return replace(
        client,
        web_origins=origins,
        refresh_sliding_lifetime=sliding,
        refresh_absolute_lifetime=absolute,
    )


def _with_access(
    client: Client,
    *,
    grant_types: Iterable[GrantType] | None,
    auth_method: AuthMethod | None,
    allowed_scopes: Iterable[str] | None,
    any_scope: bool,
    apis: Iterable[str] | None,
    resource_server_for: Iterable[str] | None,
) -> Client:
    """The client with its grants, secret method, scopes and API access changed, checked
    together as at registration (update_client)."""
    if auth_method is not None:
        if client.is_public != (auth_method is AuthMethod.NONE):
            raise RegistrationError(
                "a client stays public or confidential: 'none' is a public client's method only"
            )
        client = replace(client, auth_method=auth_method, auth_method_pinned=True)
    if allowed_scopes is not None and any_scope:
        raise RegistrationError("give allowed scopes or allow any scope, not both")
    if any_scope:
        client = replace(client, allowed_scopes=None)
    elif allowed_scopes is not None:
        client = replace(client, allowed_scopes=frozenset(validate_scopes(allowed_scopes)))
    if grant_types is not None:
        client = replace(client, grant_types=frozenset(grant_types))
    if apis is not None:
        client = replace(client, apis=frozenset(apis))
    if resource_server_for is not None:
        client = replace(client, resource_server_for=frozenset(resource_server_for))
    validate_grants(
        public=client.is_public,
        grants=client.grant_types,
        redirect_uris=client.redirect_uris,
        apis=client.apis,
        served=client.resource_server_for,
    )
    return client


def validate_grants(
    *,
    public: bool,
    grants: Collection[GrantType],
    redirect_uris: Collection[str],
    apis: Collection[str],
    served: Collection[str],
) -> list[str]:
    """Check that a client's grant types fit its kind, redirect URIs and API access; the
    warnings for a person.

    Raises:
        RegistrationError: client_credentials or introspection for a public client, API
            access without client_credentials, the code flow without a redirect URI.
    """
    if public and GrantType.CLIENT_CREDENTIALS in grants:
        raise RegistrationError("client_credentials needs a confidential client")
    if public and served:
        raise RegistrationError("a resource server needs a secret to introspect: drop --public")
    if apis and GrantType.CLIENT_CREDENTIALS not in grants:
        raise RegistrationError(
            "--api grants client_credentials tokens: add --grant-type client_credentials"
        )
    if GrantType.AUTHORIZATION_CODE in grants and not redirect_uris:
        raise RegistrationError("at least one --redirect-uri is needed for the code flow")
    if GrantType.CLIENT_CREDENTIALS in grants and not apis:
        return ["without --api the client gets no client_credentials token"]
    return []


def validate_refresh_grace(seconds: int) -> None:
    """Raises RegistrationError: a refresh grace outside 0 to MAX_GRACE_SECONDS."""
    if not 0 <= seconds <= MAX_GRACE_SECONDS:
        raise RegistrationError(f"refresh grace must be 0 to {MAX_GRACE_SECONDS} seconds")


def validate_id_token_alg(alg: Algorithm, algorithms: Collection[Algorithm]) -> None:
    """Raises RegistrationError: `alg` is not among the enabled `algorithms`."""
    if alg not in algorithms:
        raise RegistrationError(f"ID token algorithm {not_enabled(alg, algorithms)}")


def validate_name(name: str) -> str:
    """A client's name as shown on the consent page, trimmed.

    Raises:
        RegistrationError: empty or longer than 200 characters.
    """
    name = name.strip()
    if not name or len(name) > 200:
        raise RegistrationError("name must be 1 to 200 characters")
    return name


def validate_redirect_uris(uris: Iterable[str], *, public: bool) -> list[str]:
    """Check redirect (or post-logout redirect) URIs; the warnings for a person.

    Raises:
        RegistrationError: a URI tessera refuses (core.redirect_uri).
    """
    warnings = []
    try:
        for uri in uris:
            warning = validate_redirect_uri(uri, public=public)
            if warning:
                warnings.append(warning)
    except InvalidRedirectURIValueError as exc:
        raise RegistrationError(str(exc)) from None
    return warnings


def validate_web_origins(values: Iterable[str]) -> tuple[str, ...]:
    """Web origins normalised as browsers send them (core.web_origins), deduplicated.

    Raises:
        RegistrationError: an origin is not scheme://host[:port] (see parse_web_origin).
    """
    try:
        return parse_web_origins(values)
    except InvalidWebOriginError as exc:
        raise RegistrationError(str(exc)) from None


def validate_refresh_lifetimes(sliding: int | None, absolute: int | None) -> None:
    """A client's refresh lifetimes (None: the server's) in range, sliding within absolute.

    Raises:
        RegistrationError: a lifetime out of range, or the sliding one above the absolute.
    """
    for kind, value in (("sliding", sliding), ("absolute", absolute)):
        if value is not None and not MIN_REFRESH_LIFETIME <= value <= MAX_REFRESH_LIFETIME:
            raise RegistrationError(
                f"refresh {kind} lifetime must be {MIN_REFRESH_LIFETIME} to "
                f"{MAX_REFRESH_LIFETIME} seconds"
            )
    if sliding is not None and absolute is not None and sliding > absolute:
        raise RegistrationError("refresh sliding lifetime must not exceed the absolute lifetime")


def validate_scopes(names: Iterable[str]) -> list[str]:
    """Scope names in RFC 6749 3.3 syntax, deduplicated, order kept.

    Raises:
        RegistrationError: a name has characters outside the scope-token set.
    """
    result = list(dict.fromkeys(names))
    for name in result:
        if not is_scope_token(name):
            raise RegistrationError(f"scope {name!r} is not a valid scope token (RFC 6749 3.3)")
    return result


def build_user(
    *,
    username: str,
    password: str,
    now: Timestamp,
    email: str | None = None,
    name: str | None = None,
    email_verified: bool = False,
) -> User:
    """A new user with an argon2id password hash and an opaque, stable subject id.

    Raises:
        RegistrationError: bad username, email or a too short or too long password.
    """
    if not USERNAME.fullmatch(username):
        raise RegistrationError("username must be 1 to 100 letters, digits or . _ @ + - characters")
    return User(
        id=new_id(16),
        username=username.lower(),
        email=validate_email(email),
        email_verified=email_verified,
        name=name.strip() if name else None,
        password_hash=hash_new_password(password),
        created_at=now,
    )


def validate_email(email: str | None) -> str | None:
    """An address as stored (lower case), or None for none.

    Raises:
        RegistrationError: not an address.
    """
    if email is not None and not EMAIL.fullmatch(email):
        raise RegistrationError(f"email {email!r} is not a valid address")
    return email.lower() if email else None


def hash_new_password(password: str) -> str:
    """The argon2id hash of a password an operator or a user chose.

    Raises:
        RegistrationError: too short or too long.
    """
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise RegistrationError(
            f"password must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters"
        )
    return hash_password(password)


def build_api(
    *,
    identifier: str,
    now: Timestamp,
    name: str | None = None,
    scopes: Iterable[tuple[str, str]] = (),
    access_token_lifetime: int = 86400,
    signing_alg: Algorithm = Algorithm.RS256,
    algorithms: Collection[Algorithm] = tuple(Algorithm),
) -> Api:
    """A new API (resource server); `identifier` is the audience, an absolute URI.
    `algorithms` are the enabled signing algorithms (core.signing_algorithms).

    Raises:
        RegistrationError: identifier not an absolute URI, bad scope names, bad lifetime,
            or a signing algorithm that is not enabled.
    """
    parts = urlsplit(identifier)
    if not parts.scheme or not (parts.netloc or parts.path) or "#" in identifier:
        raise RegistrationError(
            f"identifier {identifier!r} must be an absolute URI without a fragment "
            "(RFC 8707 2), such as https://api.example.com"
        )
    validate_api_terms(access_token_lifetime, signing_alg, algorithms)
    return Api(
        id=new_id(16),
        identifier=identifier,
        name=(name or identifier).strip(),
        scopes=build_api_scopes(scopes),
        access_token_lifetime=access_token_lifetime,
        signing_alg=signing_alg,
        created_at=now,
    )


def validate_api_terms(lifetime: int, alg: Algorithm, algorithms: Collection[Algorithm]) -> None:
    """An API's access token lifetime and signing algorithm.

    Raises:
        RegistrationError: a lifetime outside 60 s to a year, or an algorithm not enabled.
    """
    if not 60 <= lifetime <= 31_536_000:
        raise RegistrationError("access token lifetime must be 60 to 31536000 seconds")
    if alg not in algorithms:
        raise RegistrationError(f"signing algorithm {not_enabled(alg, algorithms)}")


def build_api_scopes(scopes: Iterable[tuple[str, str]]) -> tuple[ApiScope, ...]:
    """An API's scopes from (name, description) pairs; a repeated name keeps its last
    description.

    Raises:
        RegistrationError: a name that is not an RFC 6749 3.3 scope-token.
    """
    pairs = list(scopes)
    validate_scopes(scope for scope, _ in pairs)
    return tuple(ApiScope(name=scope, description=text) for scope, text in dict(pairs).items())
