"""keyed events: an HMAC of each event's hash, and the id of the key that made it

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 23:45:00

Both are NULL for events written without a key, which includes every event written before this migration; the
key itself is never stored.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mentorflow_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mac", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("key_id", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("mentorflow_events", schema=None) as batch_op:
        batch_op.drop_column("key_id")
        batch_op.drop_column("mac")
