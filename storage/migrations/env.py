"""Alembic environment: runs on the connection Savedesk hands over, or on DATABASE_URL."""

import os

from alembic import context
from sqlalchemy import create_engine

from storage.models import Base

target_metadata = Base.metadata


def run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run_on(connection)
        return
    url = os.environ.get("DATABASE_URL", "sqlite:///savedesk.db")
    with create_engine(url).connect() as conn:
        _run_on(conn)
        conn.commit()


def _run_on(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


run()
