"""products indexed per category in each sort order, so that a category's page walks its own
products in order

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 17:50:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_products_category_default": ["category_id", "on_shelf", "selected", "sales", "id"],
    "ix_products_category_price": ["category_id", "on_shelf", "min_price", "id"],
    "ix_products_category_sales": ["category_id", "on_shelf", "sales", "id"],
    "ix_products_category_newest": ["category_id", "on_shelf", "created_at", "id"],
}


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        # built CONCURRENTLY: orders go on taking stock (UPDATE products' SKUs) and imports
        # go on while the indexes are built on a large catalogue
        with op.get_context().autocommit_block():
            for name, columns in INDEXES.items():
                op.create_index(
                    name, "products", columns, postgresql_concurrently=True, if_not_exists=True
                )
        return
    with op.batch_alter_table("products", schema=None) as batch_op:
        for name, columns in INDEXES.items():
            batch_op.create_index(name, columns, unique=False)


def downgrade():
    with op.batch_alter_table("products", schema=None) as batch_op:
        for name in INDEXES:
            batch_op.drop_index(name)
