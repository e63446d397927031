"""one generation per cache

`cache_generation` held one number for every cache; it now holds one row per cache,
named, so a change bumps only the caches made from what it changed. The numbers
only have to move, never to mean anything, so the rows start afresh both ways.

Revision ID: b1c7e05d9a42
Revises: 37fab842865e
Create Date: 2026-12-04 14:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = 'b1c7e05d9a42'
down_revision = '37fab842865e'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_table('cache_generation')
    op.create_table('cache_generation',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_cache_generation'))
    )


def downgrade():
    op.drop_table('cache_generation')
    cache_generation = op.create_table('cache_generation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cache_generation'))
    )
    op.bulk_insert(cache_generation, [{'id': 1, 'generation': 0}])
