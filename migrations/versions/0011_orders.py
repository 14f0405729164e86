"""orders, their items, and employees' address books

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 14:40:00

"""

import sqlalchemy as sa
from alembic import op

import models.base

# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def _moment(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, models.base.UTCDateTime(timezone=True), nullable=nullable)


def upgrade():
    op.create_table(
        "addresses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("province", sa.String(length=50), nullable=False),
        sa.Column("city", sa.String(length=50), nullable=False),
        sa.Column("district", sa.String(length=50), nullable=False),
        sa.Column("detail", sa.String(length=200), nullable=False),
        _moment("created_at", nullable=False),
        sa.ForeignKeyConstraint(
            ["employee_id"], ["employees.id"], name=op.f("fk_addresses_employee_id_employees")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_addresses")),
    )
    op.create_index(op.f("ix_addresses_employee_id"), "addresses", ["employee_id"])
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_no", sa.String(length=32), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("unit_reason", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("total_amount", sa.BigInteger(), nullable=False),
        sa.Column("voucher_amount", sa.BigInteger(), nullable=False),
        sa.Column("cash_amount", sa.BigInteger(), nullable=False),
        sa.Column("address", sa.JSON(), nullable=False),
        sa.Column("prepay_id", sa.String(length=64), nullable=True),
        _moment("payment_opened_at"),
        _moment("pay_expires_at", nullable=False),
        sa.Column("transaction_id", sa.String(length=32), nullable=True),
        _moment("placed_at", nullable=False),
        _moment("paid_at"),
        _moment("shipped_at"),
        _moment("completed_at"),
        _moment("cancelled_at"),
        sa.Column("carrier", sa.String(length=50), nullable=True),
        sa.Column("tracking_no", sa.String(length=64), nullable=True),
        sa.Column("refund_kind", sa.String(length=16), nullable=True),
        sa.Column("refund_no", sa.String(length=32), nullable=True),
        sa.Column("refund_amount", sa.BigInteger(), nullable=True),
        sa.Column("refund_reason", sa.String(length=200), nullable=True),
        sa.Column("refund_reject_reason", sa.String(length=200), nullable=True),
        _moment("refund_requested_at"),
        _moment("refund_submitted_at"),
        _moment("refunded_at"),
        _moment("lease_until"),
        _moment("updated_at", nullable=False),
        sa.CheckConstraint(
            "cash_amount >= 0 AND voucher_amount >= 0",
            name=op.f("ck_orders_amounts_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["employee_id"], ["employees.id"], name=op.f("fk_orders_employee_id_employees")
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["suppliers.id"], name=op.f("fk_orders_supplier_id_suppliers")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_orders_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("order_no", name=op.f("uq_orders_order_no")),
        sa.UniqueConstraint("transaction_id", name=op.f("uq_orders_transaction_id")),
        sa.UniqueConstraint("refund_no", name=op.f("uq_orders_refund_no")),
    )
    op.create_index("ix_orders_employee_id_id", "orders", ["employee_id", "id"])
    op.create_index("ix_orders_supplier_status_id", "orders", ["supplier_id", "status", "id"])
    op.create_index("ix_orders_status_id", "orders", ["status", "id"])
    op.create_index("ix_orders_status_placed_at", "orders", ["status", "placed_at"])
    op.create_index("ix_orders_status_shipped_at", "orders", ["status", "shipped_at"])
    op.create_index(op.f("ix_orders_unit_id"), "orders", ["unit_id"])
    op.create_table(
        "order_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("sku_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("spec", sa.String(length=100), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_order_items_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_items_order_id_orders")
        ),
        sa.ForeignKeyConstraint(["sku_id"], ["skus.id"], name=op.f("fk_order_items_sku_id_skus")),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_order_items_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_items")),
    )
    op.create_index(op.f("ix_order_items_order_id"), "order_items", ["order_id"])


def downgrade():
    op.drop_index(op.f("ix_order_items_order_id"), table_name="order_items")
    op.drop_table("order_items")
    for name in (
        "ix_orders_unit_id",
        "ix_orders_status_shipped_at",
        "ix_orders_status_placed_at",
        "ix_orders_status_id",
        "ix_orders_supplier_status_id",
        "ix_orders_employee_id_id",
    ):
        op.drop_index(name, table_name="orders")
    op.drop_table("orders")
    op.drop_index(op.f("ix_addresses_employee_id"), table_name="addresses")
    op.drop_table("addresses")
