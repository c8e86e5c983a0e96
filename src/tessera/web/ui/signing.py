"""What the sign-in's pages share: the answer once signed in, and how a wait reads."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from tessera.core.authorization.sign_in import SignedIn
from tessera.web.authorization import respond
from tessera.web.cookies import SESSION, set_cookie
from tessera.web.runtime import runtime

WRONG_CODE = "That code is not right, or was used already."


def signed_in(request: Request, answer: SignedIn) -> Response:
    """The next step of the request, with the new session's cookie."""
    rt = runtime(request)
    response = respond(request, answer.next)
    lifetime = rt.policy.authorization.session_lifetime
    set_cookie(response, SESSION, answer.session_cookie, rt.settings, max_age=lifetime)
    return response


def code_message(failed: bool, retry_after: int) -> tuple[str | None, int]:
    """A code form's message and status: one message for a wrong, replayed or spent
    code (401), and the wait while the throttle holds (429)."""
    message, status = (WRONG_CODE, 401) if failed else (None, 200)
    if retry_after:
        return throttled(message, retry_after), 429
    return message, status


def throttled(message: str | None, retry_after: int) -> str:
    """A code form's message while the throttle holds, after the failure's if any."""
    wait = f"Too many failed attempts. Try again in {describe_wait(retry_after)}."
    return f"{message} {wait}" if message else wait


def describe_wait(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = -(-seconds // 60)
    return f"{minutes} minutes"
