"""Which API a request is for: RFC 8707 `resource` or Auth0's `audience`, one rule for
every endpoint, and the `aud` claim of the tokens issued for it.

A request names at most one API, with either parameter or with both set to the same
value. /authorize and the client credentials grant resolve the name to a registered
API; the code and refresh grants accept it only when it names the grant's own API,
since a token cannot reach further than what the user consented to (RFC 8707 2.2).
"""

from __future__ import annotations

from collections.abc import Mapping

from tessera.core.errors import InvalidRequestError, InvalidTargetError
from tessera.core.models import Api

DIFFERENT = "audience and resource name different APIs; send one."
REQUIRED = "The audience (or resource) parameter is required."


def requested_audience(params: Mapping[str, str]) -> str | None:
    """The API identifier a request names, if it names one.

    Raises:
        InvalidRequestError: audience and resource are both sent and differ.
    """
    audience, resource = params.get("audience"), params.get("resource")
    if audience is not None and resource is not None and audience != resource:
        raise InvalidRequestError(DIFFERENT)
    return audience or resource


def require_audience(params: Mapping[str, str]) -> str:
    """The API identifier a request must name (a machine token is for one API).

    Raises:
        InvalidRequestError: none is sent, or two that differ.
    """
    identifier = requested_audience(params)
    if identifier is None:
        raise InvalidRequestError(REQUIRED)
    return identifier


def resolve_api(identifier: str, api: Api | None) -> Api:
    """The registered API named by `identifier` (`api` is what its lookup found).

    Raises:
        InvalidTargetError: no API has that identifier.
    """
    if api is None or api.identifier != identifier:
        raise InvalidTargetError(detail=f"no API has the identifier {identifier!r}")
    return api


def check_grant_audience(params: Mapping[str, str], granted: str | None) -> None:
    """A token request on a grant may repeat the grant's API, and name no other.

    Raises:
        InvalidRequestError: audience and resource differ.
        InvalidTargetError: the request names an API the grant is not for.
    """
    identifier = requested_audience(params)
    if identifier is not None and identifier != granted:
        raise InvalidTargetError(detail=f"the grant is not for {identifier!r}")


def build_audience(
    api_identifier: str | None, scope: frozenset[str], userinfo_url: str
) -> str | list[str]:
    """`aud`: the API asked for, plus the userinfo endpoint when openid was granted.

    One audience is a string, several a list (both are RFC 7519 4.1.3).
    """
    audiences = [api_identifier] if api_identifier else []
    if "openid" in scope:
        audiences.append(userinfo_url)
    return audiences[0] if len(audiences) == 1 else audiences
