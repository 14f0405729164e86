"""search postings carry the product's creation time; postings indexed for the sales and
newest sorts, so that a search walks its rarest gram's postings in every sort

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 14:45:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "product_grams", sa.Column("created_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.execute(
        "UPDATE product_grams SET created_at = "
        "(SELECT products.created_at FROM products WHERE products.id = product_grams.product_id)"
    )
    with op.batch_alter_table("product_grams", schema=None) as batch_op:
        batch_op.alter_column(
            "created_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )
        batch_op.create_index(
            "ix_product_grams_sales", ["gram", "sales", "product_id"], unique=False
        )
        batch_op.create_index(
            "ix_product_grams_newest", ["gram", "created_at", "product_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("product_grams", schema=None) as batch_op:
        batch_op.drop_index("ix_product_grams_newest")
        batch_op.drop_index("ix_product_grams_sales")
        batch_op.drop_column("created_at")
