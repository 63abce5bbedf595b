"""project and repository access tokens

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 09:00:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('access_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_authenticated', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('project_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch_op.add_column(sa.Column('repository_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch_op.create_index(batch_op.f('ix_access_tokens_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_access_tokens_repository_id'), ['repository_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_access_tokens_project_id_projects'), 'projects', ['project_id'], ['id'], ondelete='CASCADE')
        batch_op.create_foreign_key(batch_op.f('fk_access_tokens_repository_id_repositories'), 'repositories', ['repository_id'], ['id'], ondelete='CASCADE')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('service', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('service')
    with op.batch_alter_table('access_tokens', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_access_tokens_repository_id_repositories'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_access_tokens_project_id_projects'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_access_tokens_repository_id'))
        batch_op.drop_index(batch_op.f('ix_access_tokens_project_id'))
        batch_op.drop_column('repository_id')
        batch_op.drop_column('project_id')
        batch_op.drop_column('last_authenticated')
