"""The schema, as SQLAlchemy Core metadata: the one source of truth for Alembic migrations.

At run time tessera does not go through SQLAlchemy (store.engine explains why); these
definitions only generate and check the migrations. Times are integer epoch seconds;
secrets appear only as SHA-256 digests (`*_hash` columns).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    text,
    true,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

clients = Table(
    "clients",
    metadata,
    Column("client_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("secret_hash", LargeBinary(32)),
    Column("redirect_uris", Text, nullable=False, doc="JSON list"),
    Column("post_logout_redirect_uris", Text, nullable=False, doc="JSON list"),
    Column("grant_types", Text, nullable=False, doc="space-separated"),
    Column("auth_method", String(40), nullable=False),
    Column(
        "auth_method_pinned",
        Boolean,
        nullable=False,
        server_default=true(),
        doc="false: a confidential client may use client_secret_basic or client_secret_post",
    ),
    Column("first_party", Boolean, nullable=False),
    Column("allowed_scopes", Text, doc="space-separated; NULL allows every defined scope"),
    Column("id_token_alg", String(10), nullable=False),
    Column("refresh_grace_seconds", Integer, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("web_origins", Text, doc="JSON list; NULL: the origins of the redirect URIs"),
    Column("refresh_sliding_seconds", Integer, doc="NULL: the server's setting"),
    Column("refresh_absolute_seconds", Integer, doc="NULL: the server's setting"),
    Column("previous_secret_hash", LargeBinary(32), doc="a rotated secret, during its overlap"),
    Column("previous_secret_expires_at", BigInteger, doc="when the rotated secret stops"),
)

# The origins each client allows (core.web_origins.allowed_origins), kept beside the
# client by the store so that a CORS preflight asks "does any client allow this origin"
# in one indexed lookup. Deleting the client deletes its rows.
client_web_origins = Table(
    "client_web_origins",
    metadata,
    Column("origin", String(300), nullable=False),
    Column(
        "client_id",
        String(64),
        ForeignKey("clients.client_id", ondelete="CASCADE"),
        nullable=False,
    ),
    PrimaryKeyConstraint("origin", "client_id"),
)

users = Table(
    "users",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("username", String(200), nullable=False, unique=True, doc="lower case"),
    Column("email", String(320), unique=True, doc="lower case"),
    Column("email_verified", Boolean, nullable=False),
    Column("name", String(200)),
    Column("password_hash", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("disabled_at", BigInteger, doc="NULL: enabled"),
)

apis = Table(
    "apis",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("identifier", String(400), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("scopes", Text, nullable=False, doc='JSON list of {"name", "description"}'),
    Column("access_token_lifetime", Integer, nullable=False),
    Column("signing_alg", String(10), nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

# What a client may do with an API besides the code flow, which the user decides:
# `client_credentials` (get tokens for it) or `resource_server` (introspect its tokens).
# Deleting the client or the API deletes its rows.
client_api_access = Table(
    "client_api_access",
    metadata,
    Column(
        "client_id",
        String(64),
        ForeignKey("clients.client_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column(
        "audience",
        String(400),
        ForeignKey("apis.identifier", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("kind", String(20), nullable=False, doc="client_credentials or resource_server"),
    PrimaryKeyConstraint("client_id", "audience", "kind"),
)

signing_keys = Table(
    "signing_keys",
    metadata,
    Column("kid", String(64), primary_key=True),
    Column("alg", String(10), nullable=False),
    Column("sealed_private_key", LargeBinary, nullable=False),
    Column("public_jwk", Text, nullable=False, doc="JSON object"),
    Column("state", String(12), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("activates_at", BigInteger, doc="when a next key signs; when a current key began"),
    Column("retires_at", BigInteger, doc="when a published key leaves the JWKS"),
    Column("retired_at", BigInteger),
    # At most one current key per algorithm, even when two nodes start at once.
    Index(
        "uq_signing_keys_current_alg",
        "alg",
        unique=True,
        sqlite_where=text("state = 'current'"),
        postgresql_where=text("state = 'current'"),
    ),
    # At most one next key per algorithm, even when two nodes schedule a rotation at once.
    Index(
        "uq_signing_keys_next_alg",
        "alg",
        unique=True,
        sqlite_where=text("state = 'next'"),
        postgresql_where=text("state = 'next'"),
    ),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id_hash", LargeBinary(32), primary_key=True),
    Column("sid", String(64), nullable=False, unique=True),
    Column("user_id", String(64), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("auth_time", BigInteger, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("amr", String(200), doc="RFC 8176 values, space-separated; NULL: pwd"),
    Index("ix_sessions_user_id", "user_id"),
    Index("ix_sessions_expires_at", "expires_at"),
)

user_factors = Table(
    "user_factors",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("user_id", String(64), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(20), nullable=False, doc="totp"),
    Column("secret", LargeBinary, nullable=False, doc="sealed under TESSERA_SECRET_KEY"),
    Column("name", String(200), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("last_used_step", BigInteger, doc="newest TOTP step accepted (replay guard)"),
    Column("confirmed_at", BigInteger, doc="NULL: an enrolment not yet confirmed"),
    Index("ix_user_factors_user_id", "user_id"),
)

recovery_codes = Table(
    "recovery_codes",
    metadata,
    Column("digest", LargeBinary(32), nullable=False),
    Column("user_id", String(64), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("used_at", BigInteger),
    PrimaryKeyConstraint("user_id", "digest"),
)

grants = Table(
    "grants",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("code_hash", LargeBinary(32), unique=True),
    Column(
        "client_id",
        String(64),
        ForeignKey("clients.client_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("user_id", String(64), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("session_id", String(64), doc="the session's public sid"),
    Column("redirect_uri", Text, nullable=False),
    Column("scope", Text, nullable=False),
    Column("audience", String(400)),
    Column("code_challenge", String(64), nullable=False),
    Column("nonce", Text),
    Column("auth_time", BigInteger, nullable=False),
    Column("amr", String(200), doc="RFC 8176 values, space-separated; NULL: pwd"),
    Column("created_at", BigInteger, nullable=False),
    Column("code_expires_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False, doc="absolute end of the token family"),
    Column("redeemed_at", BigInteger),
    Column("revoked_at", BigInteger),
    Index("ix_grants_client_id", "client_id"),
)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("token_hash", LargeBinary(32), primary_key=True),
    Column("grant_id", String(64), ForeignKey("grants.id", ondelete="CASCADE"), nullable=False),
    Column("scope", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("rotated_at", BigInteger),
    Index("ix_refresh_tokens_grant_id", "grant_id"),
    # One B-tree keyed by the digest, not a rowid table plus an index on it.
    sqlite_with_rowid=False,
)

revoked_access_tokens = Table(
    "revoked_access_tokens",
    metadata,
    Column("jti", String(128), primary_key=True),
    Column("expires_at", BigInteger, nullable=False, doc="purge after the token's exp"),
)

consents = Table(
    "consents",
    metadata,
    Column("user_id", String(64), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column(
        "client_id",
        String(64),
        ForeignKey("clients.client_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("audience", String(400), nullable=False, doc="empty string for no API"),
    Column("scope", Text, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    PrimaryKeyConstraint("user_id", "client_id", "audience"),
)

interactions = Table(
    "interactions",
    metadata,
    Column("id_hash", LargeBinary(32), primary_key=True),
    Column("payload", Text, nullable=False, doc="the validated authorization request, JSON"),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Index("ix_interactions_expires_at", "expires_at"),
)

throttles = Table(
    "throttles",
    metadata,
    Column("key", String(300), primary_key=True, doc="e.g. login-name:DIGEST, login-ip:ADDR"),
    Column("hits", Integer, nullable=False),
    Column("window_started_at", BigInteger, nullable=False),
    Column("blocked_until", BigInteger, nullable=False),
    Column(
        "reported_until",
        BigInteger,
        nullable=False,
        server_default=text("0"),
        doc="the block whose first refusal is in the audit log",
    ),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("at", BigInteger, nullable=False),
    Column("event", String(60), nullable=False),
    Column("user_id", String(64)),
    Column("client_id", String(64)),
    Column("ip", String(64)),
    Column("detail", Text, nullable=False, doc="JSON object"),
)

leases = Table(
    "leases",
    metadata,
    Column("name", String(60), primary_key=True, doc="e.g. prune"),
    Column("holder", String(200), nullable=False, doc="host:pid of the node that took it"),
    Column("expires_at", BigInteger, nullable=False),
)
