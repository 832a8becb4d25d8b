"""search names: accounts get a folded search key (NFKC, casefold, no accents), indexed,
so look-ups by name fold all of Unicode on SQLite as on PostgreSQL

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

from storage.search import search_key

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

accounts = sa.table(
    "accounts",
    sa.column("id", sa.Integer()),
    sa.column("name", sa.String()),
    sa.column("search_name", sa.String()),
)


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("search_name", sa.String(length=300), server_default="", nullable=False)
        )
    conn = op.get_bind()
    rows = conn.execute(sa.select(accounts.c.id, accounts.c.name)).all()
    for account_id, name in rows:
        conn.execute(
            accounts.update()
            .where(accounts.c.id == account_id)
            .values(search_name=search_key(name))
        )
    op.drop_index("ix_accounts_lower_name", table_name="accounts")
    op.create_index(
        "ix_accounts_search_name",
        "accounts",
        ["search_name"],
        postgresql_ops={"search_name": "varchar_pattern_ops"},
    )


def downgrade() -> None:
    op.drop_index("ix_accounts_search_name", table_name="accounts")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("search_name")
    # after the batch: SQLite's batch mode rebuilds the table and would lose this index
    op.create_index("ix_accounts_lower_name", "accounts", [sa.text("lower(name)")])
