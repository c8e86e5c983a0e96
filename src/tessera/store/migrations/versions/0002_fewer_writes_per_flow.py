"""fewer writes per flow: drop the indexes no query reads, refresh tokens WITHOUT ROWID

Every index is one more B-tree written by each INSERT. No statement reads grants by
expires_at or user_id (prune keeps grants, and tessera never deletes a user), nor the
audit log by time (`audit tail` walks its id). On SQLite a refresh token row is keyed by
its digest alone: WITHOUT ROWID stores it in that one B-tree instead of a rowid table
plus an index on the digest. PostgreSQL has no rowid; only the indexes change there.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_UNREAD_INDEXES = (
    ("grants", "ix_grants_expires_at", "expires_at"),
    ("grants", "ix_grants_user_id", "user_id"),
    ("audit_events", "ix_audit_events_at", "at"),
)


def _rebuild_refresh_tokens(*, with_rowid: bool) -> None:
    """Copy refresh_tokens into a new table of the other storage kind (SQLite only)."""
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table(
        "refresh_tokens", recreate="always", table_kwargs={"sqlite_with_rowid": with_rowid}
    ):
        pass


def upgrade() -> None:
    for table, index, _ in _UNREAD_INDEXES:
        op.drop_index(index, table_name=table)
    _rebuild_refresh_tokens(with_rowid=False)


def downgrade() -> None:
    _rebuild_refresh_tokens(with_rowid=True)
    for table, index, column in _UNREAD_INDEXES:
        op.create_index(index, table, [column], unique=False)
