"""rate limits

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 09:05:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rate_limit_settings',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('fill_rate', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rate_limit_settings'))
    )
    op.create_table('rate_limit_rejects',
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('reject_count', sa.BigInteger(), nullable=False),
    sa.Column('last_reject_time', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_rate_limit_rejects_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_rate_limit_rejects'))
    )
    with op.batch_alter_table('rate_limit_rejects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rate_limit_rejects_last_reject_time'), ['last_reject_time'], unique=False)

    op.create_table('user_rate_limits',
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('fill_rate', sa.Integer(), nullable=True),
    sa.Column('whitelisted', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_rate_limits_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_user_rate_limits'))
    )


def downgrade() -> None:
    op.drop_table('user_rate_limits')
    with op.batch_alter_table('rate_limit_rejects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rate_limit_rejects_last_reject_time'))

    op.drop_table('rate_limit_rejects')
    op.drop_table('rate_limit_settings')
