"""web UI: sessions, and the indexes the repository page walks

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 08:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('web_sessions',
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_date', sa.BigInteger(), nullable=False),
    sa.Column('expires_date', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_web_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('secret_hash', name=op.f('pk_web_sessions'))
    )
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_sessions_user_id'), ['user_id'], unique=False)
    with op.batch_alter_table('build_statuses', schema=None) as batch_op:
        batch_op.create_index('ix_build_statuses_repository_newest', ['repository_id', 'updated_date', 'commit_id'], unique=False)
    with op.batch_alter_table('insight_reports', schema=None) as batch_op:
        batch_op.create_index('ix_insight_reports_repository_newest', ['repository_id', 'created_date', 'commit_id'], unique=False)
    with op.batch_alter_table('deployments', schema=None) as batch_op:
        batch_op.create_index('ix_deployments_repository_activity', ['repository_id', 'last_updated', 'commit_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('deployments', schema=None) as batch_op:
        batch_op.drop_index('ix_deployments_repository_activity')
    with op.batch_alter_table('insight_reports', schema=None) as batch_op:
        batch_op.drop_index('ix_insight_reports_repository_newest')
    with op.batch_alter_table('build_statuses', schema=None) as batch_op:
        batch_op.drop_index('ix_build_statuses_repository_newest')
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_web_sessions_user_id'))
    op.drop_table('web_sessions')
