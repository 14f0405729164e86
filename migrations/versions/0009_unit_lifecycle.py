"""units keep the moment of their merge and of their revocation (DOMAIN.md rule 8)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 14:45:00

Units merged or revoked before this revision get the time of their last change as the moment,
the best the data knows.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.add_column(sa.Column("merged_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE units SET merged_at = updated_at WHERE status = 'merged'")
    op.execute("UPDATE units SET revoked_at = updated_at WHERE status = 'revoked'")


def downgrade():
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.drop_column("revoked_at")
        batch_op.drop_column("merged_at")
