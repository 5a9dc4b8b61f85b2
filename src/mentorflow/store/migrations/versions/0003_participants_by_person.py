"""participants by person: the index covers a person's current roles

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 23:30:00

``Mentorflow.person`` reads the relationships and roles a person holds now (``left_at`` NULL). Widened from
``person`` alone to ``(person, left_at, relationship_id, role)``, the index answers that query without reading the
table, however many participants the database holds.
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mentorflow_participants", schema=None) as batch_op:
        batch_op.drop_index("ix_mentorflow_participants_person")
        batch_op.create_index(
            "ix_mentorflow_participants_person", ["person", "left_at", "relationship_id", "role"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("mentorflow_participants", schema=None) as batch_op:
        batch_op.drop_index("ix_mentorflow_participants_person")
        batch_op.create_index("ix_mentorflow_participants_person", ["person"], unique=False)
