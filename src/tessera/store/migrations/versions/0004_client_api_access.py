"""client API access: machine access deny-by-default, resource servers, unpinned auth methods

`client_api_access` says which APIs a client may get client_credentials tokens for and
which APIs' tokens it may introspect as their resource server; deleting the client or
the API deletes its rows. So that no deployment loses working machine access, every
client registered for client_credentials is granted every API that exists now (its
`allowed_scopes` still limit the scopes, as before). Nobody is registered as a resource
server: which client is an API's back end only the operator knows.

`clients.auth_method_pinned` is false for a confidential client that may use either
secret method. Existing clients keep the one method they have (true), and the column's
default keeps the previous version's INSERTs valid while both run.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_GRANT_EXISTING_MACHINE_CLIENTS = (
    "INSERT INTO client_api_access (client_id, audience, kind) "
    "SELECT clients.client_id, apis.identifier, 'client_credentials' FROM clients, apis "
    "WHERE ' ' || clients.grant_types || ' ' LIKE '% client_credentials %'"
)


def upgrade() -> None:
    op.create_table(
        "client_api_access",
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("audience", sa.String(length=400), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["audience"],
            ["apis.identifier"],
            name=op.f("fk_client_api_access_audience_apis"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.client_id"],
            name=op.f("fk_client_api_access_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("client_id", "audience", "kind", name=op.f("pk_client_api_access")),
    )
    op.execute(_GRANT_EXISTING_MACHINE_CLIENTS)
    with op.batch_alter_table("clients") as batch_op:
        batch_op.add_column(
            sa.Column("auth_method_pinned", sa.Boolean(), nullable=False, server_default=sa.true())
        )


def downgrade() -> None:
    """Back to the previous rules: every client_credentials client reaches every API,
    and a client that pinned no method uses client_secret_basic only."""
    op.drop_table("client_api_access")
    with op.batch_alter_table("clients") as batch_op:
        batch_op.drop_column("auth_method_pinned")
