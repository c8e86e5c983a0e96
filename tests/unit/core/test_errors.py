"""The error tree: one class per registered RFC / OIDC error code, each variant a subclass
of its code's class, the headers each error asks for, and every description sent to a
client within the RFC 6749 5.2 charset (%x20-21 / %x23-5B / %x5D-7E): the class
defaults, and every description src builds at run time."""

from __future__ import annotations

import ast
import importlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, strategies as st
from starlette.requests import Request

from tessera.core.authorize import validate_scope
from tessera.core.client_auth import ClientCredentials, verify_client
from tessera.core.errors import (
    InsufficientScopeError,
    InvalidClientError,
    InvalidRedirectURIError,
    InvalidRequestError,
    InvalidScopeError,
    InvalidTokenError,
    MissingTokenError,
    OAuthError,
    ServerError,
    SignInLimitError,
    SlowDownError,
    TemporarilyUnavailableError,
    UnknownClientError,
    UnknownInteractionError,
)
from tessera.core.models import Api, ApiScope, AuthMethod, Client, GrantType
from tessera.core.params import KNOWN_NAMES, parse_params, require
from tessera.crypto.keys import Algorithm
from tessera.resource import BearerTokenError
from tessera.web.csrf import CSRFError
from tessera.web.forms import form_pairs

SRC = Path(__file__).parents[3] / "src" / "tessera"
CHARSET = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]+")
# The IANA OAuth Extensions Error Registry and the codes of the specs tessera speaks.
REGISTERED_CODES = {
    # RFC 6749 4.1.2.1 and 5.2.
    "invalid_request", "invalid_client", "invalid_grant", "unauthorized_client",
    "unsupported_grant_type", "unsupported_response_type", "invalid_scope",
    "access_denied", "server_error", "temporarily_unavailable",
    # RFC 6750 3.1, RFC 7009 2.2.1, RFC 8707 2, RFC 8628 3.5.
    "invalid_token", "insufficient_scope", "unsupported_token_type", "invalid_target",
    "slow_down",
    # OpenID Connect Core 1.0 3.1.2.6.
    "interaction_required", "login_required", "account_selection_required",
    "consent_required", "invalid_request_uri", "invalid_request_object",
    "request_not_supported", "request_uri_not_supported", "registration_not_supported",
}  # fmt: skip
# The functions in src that build a description at run time, each exercised below.
BUILDERS = {"parse_params", "require", "validate_scope", "verify_client", "form_pairs"}


def in_charset(text: str) -> bool:
    return CHARSET.fullmatch(text) is not None


def error_classes() -> Iterator[type[OAuthError]]:
    pending = list(OAuthError.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        yield cls


def test_the_tree_holds_the_web_layers_errors_too() -> None:
    assert CSRFError in set(error_classes())


@pytest.mark.parametrize("cls", sorted(error_classes(), key=str))
def test_every_error_has_a_registered_code_and_a_default_description_in_the_charset(
    cls: type[OAuthError],
) -> None:
    assert cls.error in REGISTERED_CODES
    assert in_charset(cls.default_description), cls.default_description


def test_one_class_per_code_and_every_variant_is_a_subclass_of_its_codes_class() -> None:
    codes = [cls.error for cls in OAuthError.__subclasses__()]
    assert len(codes) == len(set(codes)), sorted(codes)
    for top in OAuthError.__subclasses__():
        pending = list(top.__subclasses__())
        while pending:
            variant = pending.pop()
            pending.extend(variant.__subclasses__())
            assert variant.error == top.error, variant


@pytest.mark.parametrize(
    ("cls", "code_class", "status", "redirectable"),
    [
        (InvalidRedirectURIError, InvalidRequestError, 400, False),
        (UnknownInteractionError, InvalidRequestError, 400, False),
        (CSRFError, InvalidRequestError, 403, False),
        (UnknownClientError, InvalidClientError, 400, False),
        (MissingTokenError, InvalidTokenError, 401, True),
        (SignInLimitError, SlowDownError, 429, False),
    ],
)
def test_variants_keep_their_status_and_redirectability(
    cls: type[OAuthError], code_class: type[OAuthError], status: int, redirectable: bool
) -> None:
    assert issubclass(cls, code_class)
    assert (cls.status_code, cls.redirectable) == (status, redirectable)


def test_an_error_knows_the_headers_its_answer_needs() -> None:
    basic = 'Basic realm="tessera", charset="UTF-8"'
    assert InvalidClientError(basic=True).headers() == {"WWW-Authenticate": basic}
    assert InvalidClientError().headers() == {}
    assert UnknownClientError().headers() == {}
    assert SlowDownError(retry_after=7).headers() == {"Retry-After": "7"}
    assert SignInLimitError(retry_after=0).headers() == {"Retry-After": "1"}
    assert TemporarilyUnavailableError().headers() == {"Retry-After": "1"}
    assert ServerError().headers() == {}
    assert InvalidRequestError().headers() == {}


def test_an_error_knows_its_bearer_challenge() -> None:
    assert MissingTokenError().bearer_challenge("openid") == 'Bearer realm="tessera"'
    assert InvalidTokenError().bearer_challenge("openid") == (
        'Bearer realm="tessera", error="invalid_token", '
        'error_description="The access token is invalid or expired."'
    )
    assert InsufficientScopeError().bearer_challenge("openid") == (
        'Bearer realm="tessera", error="insufficient_scope", '
        'error_description="The access token does not carry the required scope.", '
        'scope="openid"'
    )
    assert 'error="invalid_request"' in InvalidRequestError().bearer_challenge()


@pytest.mark.parametrize("cls", sorted(BearerTokenError.__subclasses__(), key=str))
def test_the_resource_servers_descriptions_are_in_the_charset(
    cls: type[BearerTokenError],
) -> None:
    assert in_charset(cls.description)


# --- Descriptions built in src -----------------------------------------------------------


def _error_names(tree: ast.Module) -> set[str]:
    """The OAuthError classes a module imports or defines (resource has a tree of its own
    with the same names, whose argument is a detail)."""
    names = {cls.__name__ for cls in error_classes()}
    imported = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module in ("tessera.core.errors",)
        for alias in node.names
    }
    defined = {node.name for node in tree.body if isinstance(node, ast.ClassDef)}
    return names & (imported | defined)


def descriptions_in_src() -> Iterator[tuple[str, str, ast.expr]]:
    """(module, enclosing function, expression) for each description passed to an error."""
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text())
        names = _error_names(tree)
        module = ".".join(path.relative_to(SRC.parent).with_suffix("").parts)
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                    continue
                if node.func.id not in names:
                    continue
                named = [kw.value for kw in node.keywords if kw.arg == "description"]
                for description in node.args[:1] + named:
                    yield module, function.name, description


def test_descriptions_in_src_are_sentences_in_the_charset_or_built_where_tested() -> None:
    """A literal or a module constant is checked here; anything built at run time must
    be in one of the BUILDERS, whose descriptions the tests below generate."""
    builders: set[str] = set()
    found = list(descriptions_in_src())
    assert len(found) > 40  # The scan sees the tree's raises.
    for module, function, description in found:
        where = f"{module}.{function}: {ast.unparse(description)}"
        if isinstance(description, ast.Constant):
            assert isinstance(description.value, str) and in_charset(description.value), where
        elif isinstance(description, ast.Name):
            value = getattr(importlib.import_module(module), description.id)
            assert isinstance(value, str) and in_charset(value), where
        else:
            assert function in BUILDERS, where
            builders.add(function)
    assert builders == BUILDERS


names = st.one_of(st.sampled_from(sorted(KNOWN_NAMES)), st.text(max_size=20))
values = st.one_of(st.text(max_size=5), st.just("x" * 9000), st.just("a\x00b"))


@given(st.lists(st.tuples(names, values), max_size=70))
def test_parameter_errors_describe_in_the_charset(pairs: list[tuple[str, str]]) -> None:
    try:
        parse_params(pairs)
    except InvalidRequestError as err:
        assert in_charset(err.description), err.description


def test_every_required_parameter_is_named_in_the_charset() -> None:
    """`require`'s callers name their parameter with a literal; each is described."""
    required = [
        node.args[1]
        for path in SRC.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "require"
    ]
    assert required
    for name in required:
        assert isinstance(name, ast.Constant) and isinstance(name.value, str)
        with pytest.raises(InvalidRequestError) as raised:
            require({}, name.value)
        assert in_charset(raised.value.description)


API = Api(
    id="api-1",
    identifier="https://api.example.test",
    name="API",
    scopes=(ApiScope(name="read:x"), ApiScope(name="write:x")),
    access_token_lifetime=600,
    signing_alg=Algorithm.RS256,
    created_at=0,
)


def client(auth_method: AuthMethod, *, pinned: bool, allowed: frozenset[str] | None) -> Client:
    return Client(
        client_id="client-1",
        name="App",
        secret_hash=None if auth_method is AuthMethod.NONE else b"\x01" * 32,
        redirect_uris=("https://app.test/cb",),
        post_logout_redirect_uris=(),
        grant_types=frozenset({GrantType.AUTHORIZATION_CODE}),
        auth_method=auth_method,
        auth_method_pinned=pinned,
        first_party=False,
        allowed_scopes=allowed,
        id_token_alg=Algorithm.RS256,
        refresh_grace_seconds=0,
        created_at=0,
    )


scope_names = st.one_of(
    st.sampled_from(["openid", "profile", "email", "read:x", "write:x"]), st.text(max_size=10)
)


@given(st.lists(scope_names, max_size=4), st.booleans())
def test_scope_errors_describe_in_the_charset(requested: list[str], with_api: bool) -> None:
    app = client(AuthMethod.NONE, pinned=False, allowed=frozenset({"openid", "read:x"}))
    try:
        validate_scope(" ".join(requested), app, API if with_api else None)
    except InvalidScopeError as err:
        assert in_charset(err.description), err.description


@pytest.mark.parametrize("registered", list(AuthMethod))
@pytest.mark.parametrize("pinned", [False, True])
@pytest.mark.parametrize("used", list(AuthMethod))
def test_client_authentication_errors_describe_in_the_charset(
    registered: AuthMethod, pinned: bool, used: AuthMethod
) -> None:
    app = client(registered, pinned=pinned, allowed=None)
    try:
        verify_client(ClientCredentials("client-1", used, "wrong"), app, now=0)
    except InvalidClientError as err:
        assert in_charset(err.description), err.description


async def test_a_body_of_another_type_is_described_in_the_charset() -> None:
    request = Request({"type": "http", "method": "POST", "headers": [(b"content-type", b"x")]})
    with pytest.raises(InvalidRequestError) as raised:
        await form_pairs(request)
    assert in_charset(raised.value.description)
