"""reminders: what tick recorded for unmet obligations, once each

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 04:00:00

The unique constraint is the identity of a reminder (relationship, state, obligation, due date, offset): two ticks,
or two processes, never record one twice. The autoincrement id orders them for the change feed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mentorflow_reminders",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("relationship_id", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=63), nullable=False),
        sa.Column("obligation", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("offset_days", sa.Integer(), nullable=False),
        sa.Column("requirement", sa.Text(), nullable=False),
        sa.Column("slot", sa.String(length=63), nullable=True),
        sa.Column("role", sa.String(length=63), nullable=True),
        sa.Column("people", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["relationship_id"],
            ["mentorflow_relationships.id"],
            name=op.f("fk_mentorflow_reminders_relationship_id_mentorflow_relationships"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mentorflow_reminders")),
        sa.UniqueConstraint(
            "relationship_id",
            "state",
            "obligation",
            "due_at",
            "offset_days",
            name=op.f("uq_mentorflow_reminders_relationship_id"),
        ),
    )


def downgrade() -> None:
    op.drop_table("mentorflow_reminders")
