"""events are queued for webhooks by the delivery loop, not by the change: the transaction order of events, the
queue's cursor, and the event a webhook hears from

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 10:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('events', sa.Column('tx', sa.BigInteger(), server_default='0', nullable=False))
    op.create_index('ix_events_tx', 'events', ['tx', 'id'], unique=False)
    op.add_column('webhooks', sa.Column('since_event', sa.BigInteger(), server_default='0', nullable=False))
    queue = op.create_table('event_queue',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('tx', sa.BigInteger(), nullable=False),
    sa.Column('event_id', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_queue'))
    )
    # (No events, no row: the queue starts from the beginning, and an empty database stays empty for cairn copy.)
    # Events recorded so far had their deliveries queued as they were written: the cursor starts after them.
    newest = op.get_bind().execute(sa.text("SELECT max(id) FROM events")).scalar()
    if newest is not None:
        op.bulk_insert(queue, [{'id': 1, 'tx': 0, 'event_id': newest}])


def downgrade() -> None:
    op.drop_table('event_queue')
    op.drop_column('webhooks', 'since_event')
    op.drop_index('ix_events_tx', table_name='events')
    op.drop_column('events', 'tx')
