"""webhooks: the endpoints an operator registered, and the deliveries still owed to each

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 16:00:00

A delivery row is a change queued for one endpoint; the worker leases it, sends it and deletes it when the endpoint
acknowledges, or keeps it as a dead letter when its attempts run out (``mentorflow.webhooks``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mentorflow_endpoints",
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("kinds", sa.Text(), nullable=False),
        sa.Column("secret_env", sa.String(length=200), nullable=False),
        sa.Column("cursor", sa.Integer(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_mentorflow_endpoints"),
    )
    op.create_table(
        "mentorflow_deliveries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("endpoint", sa.String(length=63), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("relationship_id", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("lease_owner", sa.String(length=40), nullable=True),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["endpoint"],
            ["mentorflow_endpoints.name"],
            name="fk_mentorflow_deliveries_endpoint_mentorflow_endpoints",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_mentorflow_deliveries"),
        sa.UniqueConstraint("endpoint", "position", name="uq_mentorflow_deliveries_endpoint"),
    )
    op.create_index("ix_mentorflow_deliveries_due", "mentorflow_deliveries", ["state", "due_at"])
    op.create_index(
        "ix_mentorflow_deliveries_order", "mentorflow_deliveries", ["endpoint", "relationship_id", "position"]
    )


def downgrade() -> None:
    op.drop_index("ix_mentorflow_deliveries_order", table_name="mentorflow_deliveries")
    op.drop_index("ix_mentorflow_deliveries_due", table_name="mentorflow_deliveries")
    op.drop_table("mentorflow_deliveries")
    op.drop_table("mentorflow_endpoints")
