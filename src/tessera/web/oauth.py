"""What the token, revocation and introspection endpoints share: reading a client's
request, and refusing with one log line.

The log line carries the error and its internal detail, never a token, code or secret
(details are written not to hold one), so a refusal can be traced by request id.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import Response

from tessera.core.client_auth import ClientRequest, parse_client_credentials
from tessera.core.errors import OAuthError
from tessera.core.params import parse_params
from tessera.web.forms import client_ip, form_pairs
from tessera.web.logs import note_client
from tessera.web.responses import bearer_error, json_error

log = logging.getLogger("tessera.oauth")


async def read_client_request(request: Request) -> ClientRequest:
    """The form parameters, the client credentials they (or Basic) carry, the address.

    Raises:
        InvalidRequestError, InvalidClientError: see parse_params and parse_client_credentials.
    """
    params = parse_params(await form_pairs(request))
    credentials = parse_client_credentials(request.headers.get("authorization"), params)
    note_client(credentials.client_id)
    return ClientRequest(params, credentials, client_ip(request))


def named_client(asked: ClientRequest | None) -> str | None:
    """The client a request is for, authenticated or not; None if none could be read."""
    return None if asked is None else asked.credentials.client_id


def refuse(request: Request, err: OAuthError, *, bearer_scope: str | None = None) -> Response:
    """Log why, then answer RFC 6749 5.2 JSON, or an RFC 6750 challenge for bearer_scope."""
    log.info(
        "%s %s refused: %s (%s) request_id=%s",
        request.method,
        request.url.path,
        err.error,
        err.detail,
        getattr(request.state, "request_id", "-"),
    )
    if bearer_scope is not None:
        return bearer_error(err, scope=bearer_scope)
    return json_error(err)
