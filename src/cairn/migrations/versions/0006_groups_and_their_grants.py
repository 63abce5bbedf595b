"""groups and their grants

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 09:45:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('groups',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('created_date', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_groups'))
    )
    op.create_index('uq_groups_lower_name', 'groups', [sa.text('lower(name)')], unique=True)
    op.create_table('global_group_permissions',
    sa.Column('group_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('permission', sa.SmallInteger(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_global_group_permissions_group_id_groups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_id', name=op.f('pk_global_group_permissions'))
    )
    op.create_table('group_members',
    sa.Column('group_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_group_members_group_id_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_group_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_id', 'user_id', name=op.f('pk_group_members'))
    )
    with op.batch_alter_table('group_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_members_user_id'), ['user_id'], unique=False)

    op.create_table('project_group_permissions',
    sa.Column('project_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('group_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('permission', sa.SmallInteger(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_project_group_permissions_group_id_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_project_group_permissions_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project_id', 'group_id', name=op.f('pk_project_group_permissions'))
    )
    with op.batch_alter_table('project_group_permissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_group_permissions_group_id'), ['group_id'], unique=False)

    op.create_table('repository_group_permissions',
    sa.Column('repository_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('group_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('permission', sa.SmallInteger(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_repository_group_permissions_group_id_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['repository_id'], ['repositories.id'], name=op.f('fk_repository_group_permissions_repository_id_repositories'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('repository_id', 'group_id', name=op.f('pk_repository_group_permissions'))
    )
    with op.batch_alter_table('repository_group_permissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_repository_group_permissions_group_id'), ['group_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('repository_group_permissions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_repository_group_permissions_group_id'))

    op.drop_table('repository_group_permissions')
    with op.batch_alter_table('project_group_permissions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_group_permissions_group_id'))

    op.drop_table('project_group_permissions')
    with op.batch_alter_table('group_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_members_user_id'))

    op.drop_table('group_members')
    op.drop_table('global_group_permissions')
    op.drop_index('uq_groups_lower_name', table_name='groups')
    op.drop_table('groups')
