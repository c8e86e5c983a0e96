"""second factors: TOTP factors, recovery codes, and how a session signed in

`user_factors` holds each user's second factors (a TOTP secret sealed under
TESSERA_SECRET_KEY, and the last time step used, so no code is accepted twice);
`recovery_codes` the digests of their single-use recovery codes. `sessions.amr` and
`grants.amr` are how the person authenticated (RFC 8176 values, space-separated; NULL:
a password, as every session and grant before this revision), what the tokens' `amr`
and `acr` say. The tables are new and the columns nullable, so the previous version's
statements stay valid while both run.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_factors",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("secret", sa.LargeBinary(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("last_used_step", sa.BigInteger(), nullable=True),
        sa.Column("confirmed_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_factors_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_factors")),
    )
    op.create_index("ix_user_factors_user_id", "user_factors", ["user_id"])
    op.create_table(
        "recovery_codes",
        sa.Column("digest", sa.LargeBinary(32), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("used_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_recovery_codes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "digest", name=op.f("pk_recovery_codes")),
    )
    for table in ("sessions", "grants"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("amr", sa.String(200), nullable=True))


def downgrade() -> None:
    for table in ("grants", "sessions"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("amr")
    op.drop_table("recovery_codes")
    op.drop_index("ix_user_factors_user_id", table_name="user_factors")
    op.drop_table("user_factors")
