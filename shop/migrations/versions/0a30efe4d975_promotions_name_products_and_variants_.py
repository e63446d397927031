"""promotions name products and variants by foreign keys

The JSON lists of ids on a promotion become rows in four association tables (gift
variants keep their order in `position`); ids that name nothing any more are dropped
on the way, as the loader used to skip them. Downgrading writes the lists back.

Revision ID: 0a30efe4d975
Revises: 004c4b8d016c
Create Date: 2026-12-02 07:18:47.954794

"""
from alembic import op
import sqlalchemy as sa


revision = '0a30efe4d975'
down_revision = '004c4b8d016c'
branch_labels = None
depends_on = None

# (table, column on promotion, what it names, ON DELETE for that, ordered)
LINKS = (
    ('promotion_required_product', 'required_product_ids', 'product', 'RESTRICT', False),
    ('promotion_required_variant', 'required_variant_ids', 'variant', 'RESTRICT', False),
    ('promotion_percent_product', 'percent_product_ids', 'product', 'RESTRICT', False),
    ('promotion_gift_variant', 'gift_variant_ids', 'variant', 'CASCADE', True),
)


def _promotion_lists():
    return sa.table(
        'promotion', sa.column('id', sa.Integer),
        *(sa.column(column, sa.JSON) for _, column, _, _, _ in LINKS),
    )


def _link_table(table, target, ordered):
    columns = [sa.column('promotion_id', sa.Integer), sa.column(f'{target}_id', sa.Integer)]
    if ordered:
        columns.append(sa.column('position', sa.Integer))
    return sa.table(table, *columns)


def upgrade():
    for table, _, target, on_delete, ordered in LINKS:
        key = f'{target}_id'
        columns = [
            sa.Column('promotion_id', sa.Integer(), nullable=False),
            sa.Column(key, sa.Integer(), nullable=False),
        ]
        if ordered:
            columns.append(sa.Column('position', sa.Integer(), nullable=False))
        op.create_table(
            table,
            *columns,
            sa.ForeignKeyConstraint(['promotion_id'], ['promotion.id'], name=op.f(f'fk_{table}_promotion_id_promotion'), ondelete='CASCADE'),
            sa.ForeignKeyConstraint([key], [f'{target}.id'], name=op.f(f'fk_{table}_{key}_{target}'), ondelete=on_delete),
            sa.PrimaryKeyConstraint('promotion_id', key, name=op.f(f'pk_{table}')),
        )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f'ix_{table}_{key}'), [key], unique=False)

    connection = op.get_bind()
    existing = {
        target: set(connection.scalars(sa.select(sa.table(target, sa.column('id')).c.id)))
        for target in ('product', 'variant')
    }
    promotions = _promotion_lists()
    for row in connection.execute(sa.select(promotions)).mappings():
        for table, column, target, _, ordered in LINKS:
            ids = []
            for value in row[column] or []:
                if isinstance(value, int) and value in existing[target] and value not in ids:
                    ids.append(value)
            rows = [
                {'promotion_id': row['id'], f'{target}_id': value, **({'position': index} if ordered else {})}
                for index, value in enumerate(ids)
            ]
            if rows:
                connection.execute(sa.insert(_link_table(table, target, ordered)), rows)

    # Plain ALTER TABLE, never batch mode's copy of the table: on SQLite, dropping the
    # old promotion table would cascade to every row that points at a promotion.
    for _, column, _, _, _ in LINKS:
        op.drop_column('promotion', column)


def downgrade():
    # Plain ALTER TABLE (see upgrade); the default fills the rows that exist.
    for _, column, _, _, _ in LINKS:
        op.add_column('promotion', sa.Column(column, sa.JSON(), nullable=False, server_default='[]'))

    connection = op.get_bind()
    promotions = _promotion_lists()
    for table, column, target, _, ordered in LINKS:
        links = _link_table(table, target, ordered)
        query = sa.select(links.c.promotion_id, links.c[f'{target}_id'])
        if ordered:
            query = query.order_by(links.c.promotion_id, links.c.position)
        by_promotion = {}
        for promotion_id, target_id in connection.execute(query):
            by_promotion.setdefault(promotion_id, []).append(target_id)
        for promotion_id, ids in by_promotion.items():
            connection.execute(
                sa.update(promotions).where(promotions.c.id == promotion_id).values({column: ids})
            )

    for table, _, target, _, _ in LINKS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_{target}_id'))
        op.drop_table(table)
