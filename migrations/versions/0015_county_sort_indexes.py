"""products indexed per county in each sort order, so that a county's page walks its own
products in order; the county's plain index goes (each of these starts with the county)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 00:40:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_products_county_default": ["county", "on_shelf", "selected", "sales", "id"],
    "ix_products_county_price": ["county", "on_shelf", "min_price", "id"],
    "ix_products_county_sales": ["county", "on_shelf", "sales", "id"],
    "ix_products_county_newest": ["county", "on_shelf", "created_at", "id"],
}
REPLACED = "ix_products_county"


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        # built CONCURRENTLY, as 0013's: orders and imports go on while a large catalogue is
        # indexed; the plain index goes only once the new ones can answer for it
        with op.get_context().autocommit_block():
            for name, columns in INDEXES.items():
                op.create_index(
                    name, "products", columns, postgresql_concurrently=True, if_not_exists=True
                )
            op.drop_index(
                REPLACED, table_name="products", postgresql_concurrently=True, if_exists=True
            )
        return
    with op.batch_alter_table("products", schema=None) as batch_op:
        for name, columns in INDEXES.items():
            batch_op.create_index(name, columns, unique=False)
        batch_op.drop_index(REPLACED)


def downgrade():
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.create_index(REPLACED, ["county"], unique=False)
        for name in INDEXES:
            batch_op.drop_index(name)
