"""keys published ahead: next keys, activation and retirement times

A rotated-in key is first `next`: published in the JWKS, not yet signing, until its
`activates_at`. A rotated-out key stays `published` until its `retires_at`, when every
token it signed has expired. A unique partial index keeps one next key per algorithm.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_NEXT = sa.text("state = 'next'")


def upgrade() -> None:
    op.add_column("signing_keys", sa.Column("activates_at", sa.BigInteger(), nullable=True))
    op.add_column("signing_keys", sa.Column("retires_at", sa.BigInteger(), nullable=True))
    op.create_index(
        "uq_signing_keys_next_alg",
        "signing_keys",
        ["alg"],
        unique=True,
        sqlite_where=_NEXT,
        postgresql_where=_NEXT,
    )


def downgrade() -> None:
    # The previous schema knows no next state; a next key has never signed anything.
    op.execute("DELETE FROM signing_keys WHERE state = 'next'")
    op.drop_index(
        "uq_signing_keys_next_alg",
        table_name="signing_keys",
        sqlite_where=_NEXT,
        postgresql_where=_NEXT,
    )
    op.drop_column("signing_keys", "retires_at")
    op.drop_column("signing_keys", "activates_at")
