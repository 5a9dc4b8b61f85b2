"""changes: the change feed, every committed event and reminder numbered in commit order

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 15:00:00

Writers insert a change with ``position`` NULL; a short numbering step gives positions to the committed ones
afterwards (``store.feed``). The partial index finds those still to number without reading the rest. Events and
reminders written before this revision are not in the feed: their history is in the event log.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

UNNUMBERED = sa.text("position IS NULL")


def upgrade() -> None:
    op.create_table(
        "mentorflow_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.Column("change_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("relationship_id", sa.String(length=200), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("people", sa.Text(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_mentorflow_changes"),
    )
    op.create_index("ix_mentorflow_changes_position", "mentorflow_changes", ["position"], unique=True)
    op.create_index(
        "ix_mentorflow_changes_unnumbered",
        "mentorflow_changes",
        ["id"],
        sqlite_where=UNNUMBERED,
        postgresql_where=UNNUMBERED,
    )


def downgrade() -> None:
    op.drop_index("ix_mentorflow_changes_unnumbered", table_name="mentorflow_changes")
    op.drop_index("ix_mentorflow_changes_position", table_name="mentorflow_changes")
    op.drop_table("mentorflow_changes")
