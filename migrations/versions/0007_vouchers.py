"""union pickup vouchers: batches, codes (hashed and encrypted), spends, union profiles

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 14:40:00

"""

import sqlalchemy as sa
from alembic import op

import models.base

# revision identifiers, used by Alembic.
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "voucher_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("face_value", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("valid_from", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("valid_until", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("paid_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("payment_reference", sa.String(length=64), nullable=True),
        sa.Column("paid_amount", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("face_value > 0", name=op.f("ck_voucher_batches_face_value_positive")),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_voucher_batches_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_voucher_batches_unit_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["admins.id"], name=op.f("fk_voucher_batches_created_by_id_admins")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voucher_batches")),
    )
    op.create_index("ix_voucher_batches_unit_id_id", "voucher_batches", ["unit_id", "id"])
    op.create_table(
        "vouchers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("code_cipher", sa.LargeBinary(), nullable=False),
        sa.Column("code_tail", sa.String(length=4), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=True),
        sa.Column("redeemed_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("voided_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("balance >= 0", name=op.f("ck_vouchers_balance_not_negative")),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["voucher_batches.id"], name=op.f("fk_vouchers_batch_id_voucher_batches")
        ),
        sa.ForeignKeyConstraint(
            ["employee_id"], ["employees.id"], name=op.f("fk_vouchers_employee_id_employees")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vouchers")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_vouchers_code_hash")),
    )
    op.create_index("ix_vouchers_batch_id_status", "vouchers", ["batch_id", "status"])
    op.create_index("ix_vouchers_employee_id_id", "vouchers", ["employee_id", "id"])
    op.create_table(
        "voucher_spends",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("voucher_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("spent_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("released_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("amount > 0", name=op.f("ck_voucher_spends_amount_positive")),
        sa.ForeignKeyConstraint(
            ["voucher_id"], ["vouchers.id"], name=op.f("fk_voucher_spends_voucher_id_vouchers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voucher_spends")),
    )
    op.create_index("ix_voucher_spends_order_id", "voucher_spends", ["order_id"])
    op.create_index("ix_voucher_spends_voucher_id", "voucher_spends", ["voucher_id"])
    op.create_table(
        "union_profiles",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("member_count", sa.Integer(), nullable=False),
        sa.Column("welfare_total", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_union_profiles_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("unit_id", name=op.f("pk_union_profiles")),
    )


def downgrade():
    op.drop_table("union_profiles")
    op.drop_index("ix_voucher_spends_voucher_id", table_name="voucher_spends")
    op.drop_index("ix_voucher_spends_order_id", table_name="voucher_spends")
    op.drop_table("voucher_spends")
    op.drop_index("ix_vouchers_employee_id_id", table_name="vouchers")
    op.drop_index("ix_vouchers_batch_id_status", table_name="vouchers")
    op.drop_table("vouchers")
    op.drop_index("ix_voucher_batches_unit_id_id", table_name="voucher_batches")
    op.drop_table("voucher_batches")
