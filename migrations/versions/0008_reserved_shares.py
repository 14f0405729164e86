"""reserved-share filings, their moves, share policies, and the SMS outbox

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 15:00:00

"""

import sqlalchemy as sa
from alembic import op

import models.base

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "reserved_shares",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("has_canteen", sa.Boolean(), nullable=False),
        sa.Column("canteen_total", sa.BigInteger(), nullable=True),
        sa.Column("reserved_ratio", sa.Integer(), nullable=True),
        sa.Column("reserved_share", sa.BigInteger(), nullable=True),
        sa.Column("has_union_need", sa.Boolean(), nullable=False),
        sa.Column("union_total", sa.BigInteger(), nullable=True),
        sa.Column("union_ratio", sa.Integer(), nullable=True),
        sa.Column("union_planned", sa.BigInteger(), nullable=True),
        sa.Column("remark", sa.String(length=50), nullable=True),
        sa.Column("contact_name", sa.String(length=50), nullable=False),
        sa.Column("contact_mobile", sa.String(length=20), nullable=False),
        sa.Column("contact_phone", sa.String(length=20), nullable=True),
        sa.Column("return_reason", sa.String(length=200), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_reserved_shares_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reserved_shares")),
        sa.UniqueConstraint("unit_id", "year", name="uq_reserved_shares_unit_year"),
    )
    op.create_table(
        "reserved_share_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("filing_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("admin_id", sa.Integer(), nullable=True),
        sa.Column("admin_username", sa.String(length=64), nullable=False),
        sa.Column("at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["admin_id"], ["admins.id"], name=op.f("fk_reserved_share_events_admin_id_admins")
        ),
        sa.ForeignKeyConstraint(
            ["filing_id"],
            ["reserved_shares.id"],
            name=op.f("fk_reserved_share_events_filing_id_reserved_shares"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reserved_share_events")),
    )
    op.create_index(
        "ix_reserved_share_events_filing_id", "reserved_share_events", ["filing_id", "id"]
    )
    op.create_table(
        "share_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("min_ratio", sa.Integer(), nullable=False),
        sa.Column("not_below_last_year", sa.Boolean(), nullable=False),
        sa.Column("set_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["set_by_id"], ["admins.id"], name=op.f("fk_share_policies_set_by_id_admins")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_share_policies_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_policies")),
        sa.UniqueConstraint("unit_id", "year", name="uq_share_policies_unit_year"),
    )
    op.create_table(
        "sms_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("provider_reference", sa.String(length=100), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_messages")),
    )
    op.create_index(
        "ix_sms_messages_status_next_attempt_at",
        "sms_messages",
        ["status", "next_attempt_at"],
    )


def downgrade():
    op.drop_index("ix_sms_messages_status_next_attempt_at", table_name="sms_messages")
    op.drop_table("sms_messages")
    op.drop_table("share_policies")
    op.drop_index("ix_reserved_share_events_filing_id", table_name="reserved_share_events")
    op.drop_table("reserved_share_events")
    op.drop_table("reserved_shares")
