"""the standing cache: columns on relationships, and phase stays

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 09:00:00

The cache starts empty: a relationship without a standing is evaluated from its rows when audited, and ``tick``
(or ``Mentorflow.refresh``) fills it in.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_CACHE = (
    ("standing_seq", sa.Integer()),
    ("standing_format", sa.Integer()),
    ("standing_at", sa.DateTime()),
    ("recheck_at", sa.DateTime()),
    ("blocked", sa.Boolean()),
    ("overdue_from", sa.DateTime()),
    ("standing", sa.Text()),
)


def upgrade() -> None:
    with op.batch_alter_table("mentorflow_relationships", schema=None) as batch_op:
        for name, kind in _CACHE:
            batch_op.add_column(sa.Column(name, kind, nullable=True))
        # Widened to cover a summary's counts: grouping in index order needs neither the table nor a sort.
        batch_op.drop_index("ix_mentorflow_relationships_workflow_state")
        batch_op.create_index(
            "ix_mentorflow_relationships_workflow_state", ["workflow", "state", "workflow_version", "program"]
        )
    op.create_table(
        "mentorflow_phase_stays",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("relationship_id", sa.String(length=200), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("definition_hash", sa.String(length=64), nullable=False),
        sa.Column("workflow", sa.String(length=63), nullable=False),
        sa.Column("state", sa.String(length=63), nullable=False),
        sa.Column("program", sa.String(length=200), nullable=True),
        sa.Column("phase", sa.String(length=63), nullable=False),
        sa.Column("days", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["relationship_id"],
            ["mentorflow_relationships.id"],
            name=op.f("fk_mentorflow_phase_stays_relationship_id_mentorflow_relationships"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mentorflow_phase_stays")),
    )
    with op.batch_alter_table("mentorflow_phase_stays", schema=None) as batch_op:
        batch_op.create_index("ix_mentorflow_phase_stays_relationship", ["relationship_id"], unique=False)
        batch_op.create_index("ix_mentorflow_phase_stays_workflow_phase", ["workflow", "phase", "days"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("mentorflow_phase_stays", schema=None) as batch_op:
        batch_op.drop_index("ix_mentorflow_phase_stays_workflow_phase")
        batch_op.drop_index("ix_mentorflow_phase_stays_relationship")
    op.drop_table("mentorflow_phase_stays")
    with op.batch_alter_table("mentorflow_relationships", schema=None) as batch_op:
        batch_op.drop_index("ix_mentorflow_relationships_workflow_state")
        batch_op.create_index("ix_mentorflow_relationships_workflow_state", ["workflow", "state"])
        for name, _ in reversed(_CACHE):
            batch_op.drop_column(name)
