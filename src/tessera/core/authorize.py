"""The authorization request: RFC 6749 4.1.1, OIDC Core 3.1.2.1, PKCE (RFC 7636 4.3),
resource indicators (RFC 8707 2), the id_token_hint and the form_post response mode.

Validation runs in the order RFC 6749 4.1.2.1 asks for. `resolve_target` first settles
where a response may go; a missing or unknown client, or a redirect URI the client did
not register, raises an error that is shown to the person and never redirected: "the
authorization server ... MUST NOT automatically redirect the user-agent to the invalid
redirection URI." Only then does `parse_authorization_request` check the rest, and its
errors may be sent to that target.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from tessera.core.audience import requested_audience, resolve_api
from tessera.core.errors import (
    InvalidRedirectURIError,
    InvalidRequestError,
    InvalidScopeError,
    RequestNotSupportedError,
    RequestURINotSupportedError,
    UnauthorizedClientError,
    UnknownClientError,
    UnsupportedResponseTypeError,
)
from tessera.core.id_token_hint import INVALID_HINT, HintVerifier, IdTokenHint
from tessera.core.models import (
    ACR,
    OIDC_SCOPES,
    Api,
    Client,
    GrantType,
    Prompt,
    ResponseMode,
    Timestamp,
)
from tessera.core.params import MAX_VALUE_LENGTH, parse_params, require
from tessera.core.pkce import validate_code_challenge
from tessera.core.ports import ApiRepo, ClientRepo
from tessera.core.redirect_uri import match_redirect_uri
from tessera.core.scopes import parse_scope

# A max_age beyond ten years is not a policy anyone means; it also bounds the integer.
MAX_AGE_LIMIT = 315_360_000
RESPONSE_MODES = frozenset(mode.value for mode in ResponseMode)
PROMPTS = frozenset(prompt.value for prompt in Prompt)


@dataclass(frozen=True, slots=True, kw_only=True)
class ResponseTarget:
    """Where an authorization response may go: a known client and a redirect URI it
    registered, with the state to echo and how to deliver it."""

    client: Client
    redirect_uri: str
    response_mode: ResponseMode
    state: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthorizationRequest:
    """A validated request for an authorization code."""

    target: ResponseTarget
    api: Api | None
    scope: tuple[str, ...]
    code_challenge: str
    nonce: str | None = None
    prompt: frozenset[Prompt] = frozenset()
    max_age: int | None = None
    login_hint: str | None = None
    id_token_hint: IdTokenHint | None = None
    acr_values: tuple[str, ...] = ()

    @property
    def client(self) -> Client:
        return self.target.client

    @property
    def wants_two_factors(self) -> bool:
        """OIDC Core 3.1.2.1 `acr_values`: tessera takes `urn:tessera:acr:mfa` among them
        as a requirement (a step-up), and every other value as satisfied by any sign-in."""
        return ACR.MFA.value in self.acr_values

    @property
    def audience(self) -> str | None:
        """The API identifier the access token will name, or None (userinfo only)."""
        return self.api.identifier if self.api else None


def _single(pairs: Iterable[tuple[str, str]], name: str) -> str | None:
    """The value of a parameter sent exactly once, non-empty and not oversized."""
    values = [value for key, value in pairs if key == name and value]
    if len(values) != 1 or len(values[0]) > MAX_VALUE_LENGTH:
        return None
    return values[0]


async def resolve_target(pairs: Iterable[tuple[str, str]], clients: ClientRepo) -> ResponseTarget:
    """Look the client up, then `build_target`."""
    pairs = list(pairs)
    client_id = _single(pairs, "client_id")
    return build_target(await clients.get(client_id) if client_id else None, pairs)


def build_target(client: Client | None, pairs: Iterable[tuple[str, str]]) -> ResponseTarget:
    """The client and redirect URI a response may be sent to.

    A bad `response_mode` or `state` is not an error yet: the target then answers by
    query, without state, and `validate_authorization_request` reports the problem.

    Raises:
        UnknownClientError: client_id missing, repeated or unknown (never redirected).
        InvalidRedirectURIError: redirect_uri missing, repeated or not registered for
            the client (never redirected).
    """
    if client is None:
        raise UnknownClientError(detail="client_id missing, repeated or unknown")
    pairs = list(pairs)
    redirect_uri = _single(pairs, "redirect_uri")
    if redirect_uri is None or not match_redirect_uri(
        client.redirect_uris, redirect_uri, public=client.is_public
    ):
        raise InvalidRedirectURIError(detail=f"redirect_uri not registered for {client.client_id}")
    mode = _single(pairs, "response_mode")
    return ResponseTarget(
        client=client,
        redirect_uri=redirect_uri,
        response_mode=ResponseMode(mode) if mode in RESPONSE_MODES else ResponseMode.QUERY,
        state=_single(pairs, "state"),
    )


async def parse_authorization_request(
    target: ResponseTarget,
    pairs: Iterable[tuple[str, str]],
    apis: ApiRepo,
    hints: HintVerifier,
    *,
    now: Timestamp,
) -> AuthorizationRequest:
    """Look up the API the request names and verify its id_token_hint, then
    `validate_authorization_request`.

    Raises:
        InvalidRequestError: repeated or oversized parameters (core.params), an
            id_token_hint tessera did not issue (core.id_token_hint); and see
            validate_authorization_request.
    """
    params = parse_params(pairs)
    identifier = requested_audience(params)
    api = await apis.get_by_identifier(identifier) if identifier else None
    token = params.get("id_token_hint")
    hint = hints.verify(token, now) if token is not None else None
    return validate_authorization_request(target, params, api, hint)


def validate_authorization_request(
    target: ResponseTarget,
    params: Mapping[str, str],
    api: Api | None,
    hint: IdTokenHint | None = None,
) -> AuthorizationRequest:
    """Validate everything but the client and redirect URI, which `target` vouches for.

    `api` is the registered API the audience or resource names, if there is one; `hint`
    is the request's id_token_hint, verified.

    Raises (each redirectable to `target`):
        InvalidRequestError: a bad response_mode, prompt or max_age; PKCE missing or
            not S256; audience and resource that differ; an id_token_hint not verified.
        RequestNotSupportedError, RequestURINotSupportedError: request objects.
        UnsupportedResponseTypeError: response_type other than `code`.
        UnauthorizedClientError: the client may not use the code flow.
        InvalidTargetError: the audience or resource names no registered API.
        InvalidScopeError: an unknown, malformed or disallowed scope, or neither openid
            nor an audience.
    """
    _reject_request_objects(params)
    if params.get("response_mode", ResponseMode.QUERY) not in RESPONSE_MODES:
        raise InvalidRequestError("response_mode must be query or form_post.")
    if require(params, "response_type") != "code":
        raise UnsupportedResponseTypeError()
    if GrantType.AUTHORIZATION_CODE not in target.client.grant_types:
        raise UnauthorizedClientError("The client may not use the authorization code flow.")
    challenge = validate_code_challenge(
        params.get("code_challenge"), params.get("code_challenge_method")
    )
    identifier = requested_audience(params)
    if identifier is not None:
        resolve_api(identifier, api)
    if (hint.token if hint else None) != params.get("id_token_hint"):
        raise InvalidRequestError(INVALID_HINT, detail="the id_token_hint was not verified")
    return AuthorizationRequest(
        target=target,
        api=api,
        scope=validate_scope(params.get("scope"), target.client, api),
        code_challenge=challenge,
        nonce=params.get("nonce"),
        prompt=parse_prompt(params.get("prompt")),
        max_age=parse_max_age(params.get("max_age")),
        login_hint=params.get("login_hint"),
        id_token_hint=hint,
        acr_values=tuple((params.get("acr_values") or "").split()),
    )


def _reject_request_objects(params: Mapping[str, str]) -> None:
    # OIDC Core 6: an OP that does not support them MUST answer these errors.
    if "request" in params:
        raise RequestNotSupportedError()
    if "request_uri" in params:
        raise RequestURINotSupportedError()


def validate_scope(raw: str | None, client: Client, api: Api | None) -> tuple[str, ...]:
    """The requested scopes in request order, without repeats.

    A scope must be an OpenID Connect scope or one the API defines, and one the client
    may ask for. Without an API the token could only call userinfo, so `openid` is then
    required rather than minting a token with no audience.

    Raises:
        InvalidScopeError: see above.
    """
    names = parse_scope(raw) if raw else ()
    defined = OIDC_SCOPES.keys() | (api.scope_names() if api else frozenset())
    for name in names:
        if name not in defined:
            # The name is the sender's: it goes to the log, not into the description.
            raise InvalidScopeError("A requested scope is not defined.", detail=f"scope {name}")
        if client.allowed_scopes is not None and name not in client.allowed_scopes:
            raise InvalidScopeError(f"The client may not request the scope {name}.")
    if api is None and "openid" not in names:
        raise InvalidScopeError("Request the openid scope, an audience (API), or both.")
    return names


def parse_prompt(raw: str | None) -> frozenset[Prompt]:
    """OIDC Core 3.1.2.1 `prompt`: space-separated, `none` only on its own.

    Raises:
        InvalidRequestError: an unsupported value, or none combined with another.
    """
    values = raw.split() if raw else []
    if any(value not in PROMPTS for value in values):
        raise InvalidRequestError("prompt must be none, login or consent.")
    prompts = frozenset(Prompt(value) for value in values)
    if Prompt.NONE in prompts and len(prompts) > 1:
        raise InvalidRequestError("prompt=none cannot be combined with other values.")
    return prompts


def parse_max_age(raw: str | None) -> int | None:
    """OIDC Core 3.1.2.1 `max_age`: seconds since the person last signed in.

    Raises:
        InvalidRequestError: not a non-negative integer of sensible size.
    """
    if raw is None:
        return None
    if not raw.isascii() or not raw.isdigit() or int(raw) > MAX_AGE_LIMIT:
        raise InvalidRequestError("max_age must be a non-negative number of seconds.")
    return int(raw)
