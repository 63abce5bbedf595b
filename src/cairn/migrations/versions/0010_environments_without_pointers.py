"""environments without pointers: an environment's newest deployments are looked up when read

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 05:30:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('deployment_environments', schema=None) as batch_op:
        batch_op.drop_index('ix_deployment_environments_newest')
        batch_op.drop_column('successful_id')
        batch_op.drop_column('latest_updated')
        batch_op.drop_column('latest_id')


def downgrade() -> None:
    with op.batch_alter_table('deployment_environments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('latest_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch_op.add_column(sa.Column('latest_updated', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('successful_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                                      nullable=True))
        batch_op.create_index('ix_deployment_environments_newest', ['repository_id', 'latest_updated', 'latest_id'],
                              unique=False)
    d, e = sa.table('deployments', sa.column('id'), sa.column('repository_id'), sa.column('environment_key'),
                    sa.column('state'), sa.column('last_updated')), \
        sa.table('deployment_environments', sa.column('repository_id'), sa.column('key'), sa.column('latest_id'),
                 sa.column('latest_updated'), sa.column('successful_id'))

    def latest(column, state=None):
        stmt = sa.select(column).where(d.c.repository_id == e.c.repository_id, d.c.environment_key == e.c.key)
        if state is not None:
            stmt = stmt.where(d.c.state == state)
        return stmt.order_by(d.c.last_updated.desc(), d.c.id.desc()).limit(1).scalar_subquery()
    op.execute(e.update().values(latest_id=latest(d.c.id), latest_updated=latest(d.c.last_updated),
                                 successful_id=latest(d.c.id, 'SUCCESSFUL')))
