"""day-2 operations: a rotated client secret's overlap, and disabled users

`clients.previous_secret_hash` and `clients.previous_secret_expires_at` keep the secret a
rotation replaced working until the overlap ends (both NULL: no overlap).
`users.disabled_at` is when an operator disabled the user (NULL: enabled). Every new
column is nullable, so the previous version's INSERTs stay valid while both run.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("clients") as batch_op:
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
