"""queue indexes: the queue's due order (all, and open only), and its search by reference,
address and name

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 13:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # PostgreSQL only (the models mark them so): SQLite cannot reflect expression
    # indexes, and its queues stay small.
    if op.get_bind().dialect.name != "postgresql":
        return
    # pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may add it.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_index(
        'ix_dsr_request_due_order',
        'dsr_request',
        [sa.text('coalesce(extended_due_at, due_at)'), 'id'],
        unique=False,
    )
    op.create_index(
        'ix_dsr_request_open_due_order',
        'dsr_request',
        [sa.text('coalesce(extended_due_at, due_at)'), 'id'],
        unique=False,
        postgresql_where=sa.text(
            "status IN ('unverified', 'pending_review', 'in_progress', 'action_required')"
        ),
    )
    op.create_index(
        'ix_dsr_request_reference_lower',
        'dsr_request',
        [sa.text('lower(reference)')],
        unique=False,
    )
    op.create_index(
        'ix_dsr_request_email_trigram',
        'dsr_request',
        ['subject_email_key'],
        unique=False,
        postgresql_using='gin',
        postgresql_ops={'subject_email_key': 'gin_trgm_ops'},
    )
    op.create_index(
        'ix_dsr_request_name_trigram',
        'dsr_request',
        [sa.text('lower(subject_name) gin_trgm_ops')],
        unique=False,
        postgresql_using='gin',
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index('ix_dsr_request_name_trigram', table_name='dsr_request')
    op.drop_index('ix_dsr_request_email_trigram', table_name='dsr_request')
    op.drop_index('ix_dsr_request_reference_lower', table_name='dsr_request')
    op.drop_index('ix_dsr_request_open_due_order', table_name='dsr_request')
    op.drop_index('ix_dsr_request_due_order', table_name='dsr_request')
