"""fromCommit's lookup ordered by the index alone: ix_deployments_previous gains the id that breaks ties

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 22:40:00
"""
from alembic import op


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

_OLD = ['repository_id', 'key', 'environment_key', 'sequence_number']


def upgrade() -> None:
    with op.batch_alter_table('deployments', schema=None) as batch_op:
        batch_op.drop_index('ix_deployments_previous')
        batch_op.create_index('ix_deployments_previous', [*_OLD, 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('deployments', schema=None) as batch_op:
        batch_op.drop_index('ix_deployments_previous')
        batch_op.create_index('ix_deployments_previous', _OLD, unique=False)
