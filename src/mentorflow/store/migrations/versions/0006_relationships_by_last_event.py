"""relationships by last event: an index for deciding whether a read is of the past

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 05:00:00

Every read of many relationships first asks for the latest event time (``max(last_event_at)``) to know whether its
moment is earlier than the log; with this index that is one index lookup instead of a scan of every row.
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_mentorflow_relationships_last_event_at", "mentorflow_relationships", ["last_event_at"])


def downgrade() -> None:
    op.drop_index("ix_mentorflow_relationships_last_event_at", table_name="mentorflow_relationships")
