"""cart lines as a document on the cart

A cart's lines move from `cart_line` rows into a JSON list on the cart row
(`[{"variant_id", "quantity", "source_article_id"}]`, in the order they were added),
so a cart is read with one statement and written with one. Downgrading puts them
back into rows, leaving out lines whose variant no longer exists (the old foreign
key deleted those) and forgetting articles that no longer exist (it nulled those).

Revision ID: 37fab842865e
Revises: 0a30efe4d975
Create Date: 2026-12-04 13:40:00.000000

"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa

import shop.types


revision = '37fab842865e'
down_revision = '0a30efe4d975'
branch_labels = None
depends_on = None


def _carts():
    return sa.table('cart', sa.column('id', sa.Integer), sa.column('lines', sa.JSON))


def _cart_lines():
    return sa.table(
        'cart_line',
        sa.column('id', sa.Integer),
        sa.column('cart_id', sa.Integer),
        sa.column('variant_id', sa.Integer),
        sa.column('quantity', sa.Integer),
        sa.column('source_article_id', sa.Integer),
        sa.column('created_at', shop.types.UTCDateTime()),
    )


def upgrade():
    # Plain ALTER TABLE, never batch mode's copy of the table: on SQLite, dropping the
    # old cart table would cascade to the rows that point at it. The default fills
    # the rows that exist.
    op.add_column('cart', sa.Column('lines', sa.JSON(), nullable=False, server_default='[]'))

    connection = op.get_bind()
    rows = _cart_lines()
    by_cart = {}
    query = sa.select(rows.c.cart_id, rows.c.variant_id, rows.c.quantity, rows.c.source_article_id)
    for cart_id, variant_id, quantity, article_id in connection.execute(query.order_by(rows.c.id)):
        by_cart.setdefault(cart_id, []).append(
            {'variant_id': variant_id, 'quantity': quantity, 'source_article_id': article_id}
        )
    carts = _carts()
    for cart_id, lines in by_cart.items():
        connection.execute(sa.update(carts).where(carts.c.id == cart_id).values(lines=lines))

    with op.batch_alter_table('cart_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cart_line_cart_id'))
    op.drop_table('cart_line')


def downgrade():
    op.create_table('cart_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cart_id', sa.Integer(), nullable=False),
    sa.Column('variant_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('created_at', shop.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('source_article_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_cart_line_quantity_positive')),
    sa.ForeignKeyConstraint(['cart_id'], ['cart.id'], name=op.f('fk_cart_line_cart_id_cart'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['variant_id'], ['variant.id'], name=op.f('fk_cart_line_variant_id_variant'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['source_article_id'], ['article.id'], name=op.f('fk_cart_line_source_article_id_article'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cart_line')),
    sa.UniqueConstraint('cart_id', 'variant_id', name='uq_cart_line_variant')
    )
    with op.batch_alter_table('cart_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cart_line_cart_id'), ['cart_id'], unique=False)

    connection = op.get_bind()
    variants = set(connection.scalars(sa.select(sa.table('variant', sa.column('id')).c.id)))
    articles = set(connection.scalars(sa.select(sa.table('article', sa.column('id')).c.id)))
    carts = _carts()
    now = datetime.now(timezone.utc)
    rows = []
    for cart_id, lines in connection.execute(sa.select(carts.c.id, carts.c.lines).order_by(carts.c.id)):
        for line in lines or []:
            if line['variant_id'] not in variants:
                continue
            article_id = line.get('source_article_id')
            rows.append({
                'cart_id': cart_id,
                'variant_id': line['variant_id'],
                'quantity': line['quantity'],
                'source_article_id': article_id if article_id in articles else None,
                'created_at': now,
            })
    if rows:
        connection.execute(sa.insert(_cart_lines()), rows)

    op.drop_column('cart', 'lines')
