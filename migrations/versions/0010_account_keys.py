"""a random token key on every employee and admin (tokens name it, not just the row id)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 14:40:00

"""

import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TABLES = ("employees", "admins")


def upgrade():
    connection = op.get_bind()
    for name in TABLES:
        with op.batch_alter_table(name) as batch_op:
            batch_op.add_column(sa.Column("token_key", sa.String(length=32), nullable=True))
        # each existing row gets its own random key (the tokens issued before stop working:
        # they name no key, so every employee and admin logs in once more)
        table = sa.table(name, sa.column("id", sa.Integer), sa.column("token_key", sa.String))
        ids = connection.execute(sa.select(table.c.id)).scalars().all()
        for row_id in ids:
            connection.execute(
                table.update().where(table.c.id == row_id).values(token_key=secrets.token_hex(16))
            )
        with op.batch_alter_table(name) as batch_op:
            batch_op.alter_column("token_key", existing_type=sa.String(length=32), nullable=False)


def downgrade():
    for name in reversed(TABLES):
        with op.batch_alter_table(name) as batch_op:
            batch_op.drop_column("token_key")
