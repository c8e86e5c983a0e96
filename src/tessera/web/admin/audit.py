"""/admin/v1/audit: the audit log, filtered and paged (core.admin.audit)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from tessera.core.admin.access import AdminCaller
from tessera.core.admin.audit import parse_audit_query, query_audit
from tessera.core.models import AuditEvent
from tessera.web.admin.common import admin_endpoint, page_answer, page_request, query
from tessera.web.runtime import runtime


def event_view(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "at": event.at,
        "event": event.event,
        "user_id": event.user_id,
        "client_id": event.client_id,
        "ip": event.ip,
        "detail": event.detail,
    }


@admin_endpoint(changes=False)
async def list_events(request: Request, caller: AdminCaller) -> Response:
    page = await query_audit(
        runtime(request).store, parse_audit_query(query(request)), page_request(request)
    )
    return page_answer(page, event_view)
