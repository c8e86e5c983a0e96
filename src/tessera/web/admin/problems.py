"""RFC 9457 problem details: every refusal of the admin API, in one renderer.

`type` is `about:blank` and `title` the status phrase (RFC 9457 4.2.1); `detail` says
what is wrong for a person, and a body whose fields do not fit adds `errors`, one per
field with a JSON Pointer to it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

import orjson
from starlette.responses import Response

from tessera.core.admin.fields import FieldError
from tessera.web.responses import NO_STORE

PROBLEM_TYPE = "application/problem+json"


def problem(
    status: int,
    detail: str,
    *,
    errors: Sequence[FieldError] = (),
    headers: Mapping[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = [{"pointer": e.pointer, "detail": e.detail} for e in errors]
    return Response(
        orjson.dumps(body),
        status_code=status,
        media_type=PROBLEM_TYPE,
        headers={**NO_STORE, **(headers or {})},
    )
