"""web origins, refresh lifetimes per client, a rotated secret's overlap, disabled users

`clients.web_origins` is the JSON list of origins a browser app may call the token,
revocation and userinfo endpoints from; NULL means the origins of its redirect URIs.
`clients.refresh_sliding_seconds` and `clients.refresh_absolute_seconds` override the
server's refresh-token lifetimes for one client; NULL means the server's setting for the
client's kind (public clients have shorter ones).
`clients.previous_secret_hash` and `clients.previous_secret_expires_at` keep a rotated
secret working until the overlap ends. `users.disabled_at` is when an operator disabled
the user; NULL means enabled. Every new column is nullable, so the previous version's
INSERTs stay valid while both run.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("clients") as batch_op:
        batch_op.add_column(sa.Column("web_origins", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("refresh_sliding_seconds", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("refresh_absolute_seconds", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("previous_secret_hash", sa.LargeBinary(32), nullable=True))
        batch_op.add_column(sa.Column("previous_secret_expires_at", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("disabled_at", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("disabled_at")
    with op.batch_alter_table("clients") as batch_op:
        batch_op.drop_column("previous_secret_expires_at")
        batch_op.drop_column("previous_secret_hash")
        batch_op.drop_column("refresh_absolute_seconds")
        batch_op.drop_column("refresh_sliding_seconds")
        batch_op.drop_column("web_origins")
