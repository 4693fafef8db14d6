"""Alembic's entry point for the console database.

The console runs migrations in code (``components.store.db``), on a connection it has already
opened inside the transaction that holds the schema lock; that connection arrives in
``config.attributes``. There is no alembic.ini and no offline (``--sql``) mode.
"""

from __future__ import annotations

from alembic import context

from components.store.schema import metadata


def run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None or context.is_offline_mode():
        raise RuntimeError("run the console's migrations through components.store.engine()")
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():  # the caller's transaction: commits with it
        context.run_migrations()


run()
