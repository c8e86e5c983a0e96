"""Every audit event tessera writes, by name, in one place.

Operators read the audit log by these names (`tessera audit`, scripts over its `--json`),
so they are part of the external contract: a name is added here, never renamed.
"""

from __future__ import annotations

from enum import StrEnum


class Event(StrEnum):
    """The name of an audit event; its value is what the audit table stores."""

    LOGIN_SUCCEEDED = "login.succeeded"
    LOGIN_FAILED = "login.failed"
    LOGIN_THROTTLED = "login.throttled"
    LOGOUT = "logout"
    AUTHORIZE_RATE_LIMITED = "authorize.rate_limited"
    CONSENT_GRANTED = "consent.granted"
    CONSENT_DENIED = "consent.denied"
    TOKEN_ISSUED = "token.issued"
    TOKEN_RATE_LIMITED = "token.rate_limited"
    CODE_REUSED = "code.reused"
    REFRESH_TOKEN_REUSED = "refresh_token.reused"
    REFRESH_TOKEN_FOREIGN = "refresh_token.foreign"
    GRANT_REVOKED = "grant.revoked"
    CLIENT_CREATED = "client.created"
    CLIENT_UPDATED = "client.updated"
    CLIENT_SECRET_ROTATED = "client.secret_rotated"
    CLIENT_DELETED = "client.deleted"
    USER_CREATED = "user.created"
    USER_UPDATED = "user.updated"
    USER_PASSWORD_SET = "user.password_set"
    USER_DISABLED = "user.disabled"
    USER_ENABLED = "user.enabled"
    USER_UNLOCKED = "user.unlocked"
    USER_SIGNED_OUT = "user.signed_out"
    USER_DELETED = "user.deleted"
    CONSENT_REVOKED = "consent.revoked"
    API_CREATED = "api.created"
    API_UPDATED = "api.updated"
    API_DELETED = "api.deleted"
    KEY_SCHEDULED = "key.scheduled"
    KEY_ACTIVATED = "key.activated"
    KEY_ROTATED = "key.rotated"
    KEY_DEACTIVATED = "key.deactivated"
    KEY_RETIRED = "key.retired"
