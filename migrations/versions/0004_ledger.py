"""ledger: counted entries and per-unit, per-year, per-source totals

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 10:20:00

"""

import sqlalchemy as sa
from alembic import op

import models.base  # noqa: F401  (column types the revisions name)

# revision identifiers, used by Alembic.
revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("occurred_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reverses_id", sa.Integer(), nullable=True),
        sa.Column("employee_id", sa.Integer(), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["employee_id"], ["employees.id"], name=op.f("fk_ledger_entries_employee_id_employees")
        ),
        sa.ForeignKeyConstraint(
            ["reverses_id"],
            ["ledger_entries.id"],
            name=op.f("fk_ledger_entries_reverses_id_ledger_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_ledger_entries_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
        sa.UniqueConstraint("source", "reference", name="uq_ledger_entries_source_reference"),
    )
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ledger_entries_employee_year", ["employee_id", "year"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ledger_entries_reverses_id"), ["reverses_id"], unique=False
        )
        batch_op.create_index(
            "ix_ledger_entries_unit_year", ["unit_id", "year", "id"], unique=False
        )

    op.create_table(
        "unit_totals",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("slot", sa.SmallInteger(), nullable=False),
        sa.Column("own_amount", sa.BigInteger(), nullable=False),
        sa.Column("subtree_amount", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_unit_totals_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("unit_id", "year", "source", "slot", name=op.f("pk_unit_totals")),
    )


def downgrade():
    op.drop_table("unit_totals")
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_entries_unit_year")
        batch_op.drop_index(batch_op.f("ix_ledger_entries_reverses_id"))
        batch_op.drop_index("ix_ledger_entries_employee_year")

    op.drop_table("ledger_entries")
