"""throttle refusals reported: remember which block's first refusal was audited

A burst of refused sign-ins writes one audit row per key and block, not one per
request: `reported_until` holds the end of the block whose first refusal has been
recorded, and one conditional update decides which request records it.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("throttles") as batch_op:
        batch_op.add_column(
            sa.Column("reported_until", sa.BigInteger(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("throttles") as batch_op:
        batch_op.drop_column("reported_until")
