"""browser apps: web origins and refresh lifetimes per client

`clients.web_origins` is the JSON list of origins a browser app may call the token,
revocation and userinfo endpoints from; NULL means the origins of its redirect URIs.
`clients.refresh_sliding_seconds` and `clients.refresh_absolute_seconds` override the
server's refresh-token lifetimes for one client; NULL means the server's setting for the
client's kind (public clients have shorter ones). Every new column is nullable, so the
previous version's INSERTs stay valid while both run.

`client_web_origins` holds each client's allowed origins for the CORS preflight's one
indexed lookup; it is filled here with the origins of the existing clients' redirect
URIs, which is what they allow.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

from tessera.core.web_origins import origin_of

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("clients") as batch_op:
        batch_op.add_column(sa.Column("web_origins", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("refresh_sliding_seconds", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("refresh_absolute_seconds", sa.Integer(), nullable=True))
    table = op.create_table(
        "client_web_origins",
        sa.Column("origin", sa.String(length=300), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.client_id"],
            name=op.f("fk_client_web_origins_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("origin", "client_id", name=op.f("pk_client_web_origins")),
    )
    clients = op.get_bind().execute(sa.text("SELECT client_id, redirect_uris FROM clients"))
    rows = [
        {"origin": origin, "client_id": client_id}
        for client_id, uris in clients
        for origin in dict.fromkeys(filter(None, map(origin_of, json.loads(uris))))
    ]
    if rows:
        op.bulk_insert(table, rows)


def downgrade() -> None:
    op.drop_table("client_web_origins")
    with op.batch_alter_table("clients") as batch_op:
        batch_op.drop_column("refresh_absolute_seconds")
        batch_op.drop_column("refresh_sliding_seconds")
        batch_op.drop_column("web_origins")
