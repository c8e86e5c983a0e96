"""/u/login/enrol and /u/login/continue: a person the policy requires a second factor of
enrols one during their sign-in (core.authorization.enrolment).

The enrolment page shows the new secret as a QR code, drawn here as inline SVG (no
external service sees the secret), and as text; its code confirms the factor, and the
recovery codes are shown once before the sign-in continues.
"""

from __future__ import annotations

import segno
from starlette.requests import Request
from starlette.responses import Response

from tessera.core.authorization import enrolment
from tessera.core.authorization.enrolment import EnrolmentStep, RecoveryCodes
from tessera.core.authorization.sign_in import EnrolForm
from tessera.core.errors import OAuthError
from tessera.web.authorization import refuse
from tessera.web.cookies import SESSION, read_cookie
from tessera.web.forms import client_ip
from tessera.web.pages import read_page_form, render_form_page
from tessera.web.runtime import runtime
from tessera.web.ui.signing import code_message, signed_in


async def _step(request: Request) -> EnrolmentStep:
    form = await read_page_form(request)
    return EnrolmentStep(
        interaction_id=form.get("interaction"),
        code=form.get("code", ""),
        client_ip=client_ip(request),
        session_cookie=read_cookie(request, SESSION, runtime(request).settings),
    )


async def submit_enrolment(request: Request) -> Response:
    rt = runtime(request)
    try:
        answer = await enrolment.confirm_code(
            rt.store,
            await _step(request),
            hints=await rt.hint_verifier(),
            policy=rt.policy.authorization,
            clock=rt.now,
        )
    except OAuthError as err:
        return refuse(request, err)
    if isinstance(answer, RecoveryCodes):
        return recovery_codes_page(request, answer)
    return enrolment_form(request, answer)


async def continue_sign_in(request: Request) -> Response:
    rt = runtime(request)
    try:
        answer = await enrolment.continue_sign_in(
            rt.store,
            await _step(request),
            hints=await rt.hint_verifier(),
            policy=rt.policy.authorization,
            clock=rt.now,
        )
    except OAuthError as err:
        return refuse(request, err)
    return signed_in(request, answer)


def qr_svg(uri: str) -> str:
    """The URI as a QR code in inline SVG. The template writes it unescaped, which is
    safe: segno writes only its own elements and path data, the URI is encoded into the
    modules, never into the text."""
    svg: str = segno.make(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff")
    return svg


def enrolment_form(request: Request, form: EnrolForm) -> Response:
    """The enrolment page, with the same secret after a wrong or throttled code."""
    message, status = code_message(form.failed, form.retry_after)
    pending = form.pending
    return render_form_page(
        request,
        "enrol.html",
        {
            "client_name": pending.request.client.name,
            "interaction": pending.interaction_id,
            "qr_svg": qr_svg(form.enrolment.otpauth_uri),
            "secret": form.enrolment.secret,
            "error": message,
        },
        leads_to=pending.request.target.redirect_uri,
        status_code=status,
        headers={"Retry-After": str(form.retry_after)} if form.retry_after else None,
    )


def recovery_codes_page(request: Request, answer: RecoveryCodes) -> Response:
    pending = answer.pending
    return render_form_page(
        request,
        "recovery_codes.html",
        {
            "client_name": pending.request.client.name,
            "interaction": pending.interaction_id,
            "codes": answer.codes,
        },
        leads_to=pending.request.target.redirect_uri,
    )
