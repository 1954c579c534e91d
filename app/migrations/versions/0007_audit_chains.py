"""audit chains: the head of each hash chain in its own row

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 11:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'audit_chain',
        sa.Column('chain', sa.String(length=64), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('head', sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint('chain'),
    )
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain', sa.String(length=64), nullable=True))
    op.execute("UPDATE event SET chain = 'ticket:' || CAST(request_id AS VARCHAR(20))")
    # Every ticket's head moves from its row to its chain's row (tickets without events too).
    op.execute(
        "INSERT INTO audit_chain (chain, seq, head) "
        "SELECT 'ticket:' || CAST(id AS VARCHAR(20)), last_event_seq, last_event_hash "
        "FROM dsr_request"
    )
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.alter_column('chain', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('request_id', existing_type=sa.Integer(), nullable=True)
        batch_op.drop_constraint('uq_event_request_seq', type_='unique')
        batch_op.create_unique_constraint('uq_event_chain_seq', ['chain', 'seq'])
    with op.batch_alter_table('dsr_request', schema=None) as batch_op:
        batch_op.drop_column('last_event_hash')
        batch_op.drop_column('last_event_seq')


def downgrade() -> None:
    with op.batch_alter_table('dsr_request', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('last_event_seq', sa.Integer(), server_default='0', nullable=False)
        )
        batch_op.add_column(sa.Column('last_event_hash', sa.String(length=64), nullable=True))
    op.execute(
        "UPDATE dsr_request SET "
        "last_event_seq = (SELECT seq FROM audit_chain "
        "WHERE chain = 'ticket:' || CAST(dsr_request.id AS VARCHAR(20))), "
        "last_event_hash = (SELECT head FROM audit_chain "
        "WHERE chain = 'ticket:' || CAST(dsr_request.id AS VARCHAR(20)))"
    )
    op.execute("DELETE FROM event WHERE request_id IS NULL")
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_constraint('uq_event_chain_seq', type_='unique')
        batch_op.create_unique_constraint('uq_event_request_seq', ['request_id', 'seq'])
        batch_op.alter_column('request_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('chain')
    op.drop_table('audit_chain')
