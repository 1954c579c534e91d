"""task started_at and count_unknown: erasure reports that survive an interrupted attempt

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 13:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('connector_task', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('started_at', app.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                'count_unknown', sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )


def downgrade() -> None:
    with op.batch_alter_table('connector_task', schema=None) as batch_op:
        batch_op.drop_column('count_unknown')
        batch_op.drop_column('started_at')
