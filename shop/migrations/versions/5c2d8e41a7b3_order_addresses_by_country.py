"""order addresses by country

Orders keep the address's subdivision (code and name), district, phone and the lines
its label prints. Orders placed before have no subdivision: theirs stays empty, and
their lines are the address as it was shown then (name, street, apartment, city and
postcode, country code).

Revision ID: 5c2d8e41a7b3
Revises: b1c7e05d9a42
Create Date: 2026-12-04 17:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '5c2d8e41a7b3'
down_revision = 'b1c7e05d9a42'
branch_labels = None
depends_on = None

_orders = sa.table(
    'order',
    sa.column('id', sa.Integer),
    sa.column('shipping_name', sa.String),
    sa.column('shipping_line1', sa.String),
    sa.column('shipping_line2', sa.String),
    sa.column('shipping_city', sa.String),
    sa.column('shipping_postal_code', sa.String),
    sa.column('shipping_country', sa.String),
    sa.column('shipping_address_lines', sa.JSON),
)


def _lines_as_shown_before(row) -> list[str]:
    lines = [row.shipping_name, row.shipping_line1, row.shipping_line2,
             f"{row.shipping_city} {row.shipping_postal_code}".strip(), row.shipping_country]
    return [line for line in lines if line]


def upgrade():
    with op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shipping_city_area', sa.String(length=120), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('shipping_country_area_code', sa.String(length=20), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('shipping_country_area_name', sa.String(length=120), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('shipping_phone', sa.String(length=20), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('shipping_address_lines', sa.JSON(), nullable=True))
    connection = op.get_bind()
    placed = connection.execute(sa.select(
        _orders.c.id, _orders.c.shipping_name, _orders.c.shipping_line1, _orders.c.shipping_line2,
        _orders.c.shipping_city, _orders.c.shipping_postal_code, _orders.c.shipping_country,
    )).all()
    for row in placed:
        connection.execute(
            _orders.update().where(_orders.c.id == row.id)
            .values(shipping_address_lines=_lines_as_shown_before(row))
        )
    with op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.alter_column('shipping_address_lines', existing_type=sa.JSON(), nullable=False)
        for name in ('shipping_city_area', 'shipping_country_area_code',
                     'shipping_country_area_name', 'shipping_phone'):
            batch_op.alter_column(name, server_default=None)


def downgrade():
    with op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.drop_column('shipping_address_lines')
        batch_op.drop_column('shipping_phone')
        batch_op.drop_column('shipping_country_area_name')
        batch_op.drop_column('shipping_country_area_code')
        batch_op.drop_column('shipping_city_area')
