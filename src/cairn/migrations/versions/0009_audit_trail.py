"""audit trail

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 09:30:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('created_date', sa.BigInteger(), nullable=False),
    sa.Column('actor_id', sa.BigInteger(), nullable=True),
    sa.Column('actor_name', sa.String(length=255), nullable=True),
    sa.Column('address', sa.String(length=64), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('project_key', sa.String(length=128), nullable=True),
    sa.Column('repository_slug', sa.String(length=128), nullable=True),
    sa.Column('details', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_actor_name'), ['actor_name'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_created_date'), ['created_date'], unique=False)
        batch_op.create_index('ix_audit_events_repository', ['project_key', 'repository_slug', 'created_date'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_repository')
        batch_op.drop_index(batch_op.f('ix_audit_events_created_date'))
        batch_op.drop_index(batch_op.f('ix_audit_events_actor_name'))

    op.drop_table('audit_events')
