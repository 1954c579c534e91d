"""api token expiry

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 12:10:00
"""

from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('expires_at', app.db.UTCDateTime(timezone=True), nullable=True)
        )
    # Tokens issued before expiry existed get the default lifetime from today.
    expiry = app.db.utcnow() + timedelta(days=90)
    api_token = sa.table('api_token', sa.column('expires_at', app.db.UTCDateTime()))
    op.execute(api_token.update().values(expires_at=expiry))


def downgrade() -> None:
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
