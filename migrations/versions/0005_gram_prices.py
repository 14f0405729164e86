"""search postings carry the product's lowest price, for searches sorted by price

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 13:15:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "product_grams",
        sa.Column("min_price", sa.Integer(), nullable=False, server_default="0"),
    )
    op.execute(
        "UPDATE product_grams SET min_price = "
        "(SELECT products.min_price FROM products WHERE products.id = product_grams.product_id)"
    )
    with op.batch_alter_table("product_grams", schema=None) as batch_op:
        batch_op.alter_column("min_price", server_default=None)
        batch_op.create_index(
            "ix_product_grams_price", ["gram", "min_price", "product_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("product_grams", schema=None) as batch_op:
        batch_op.drop_index("ix_product_grams_price")
        batch_op.drop_column("min_price")
