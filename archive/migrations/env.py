"""Alembic environment of the archive schema, configured programmatically by `archive.store`.

The store passes an open connection in `config.attributes["connection"]`; without one (the `alembic` command
line), the URL comes from the `sqlalchemy.url` option.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from archive.models import Base

config = context.config


def run_migrations(connection) -> None:
    # render_as_batch: SQLite cannot ALTER most things in place; batch mode recreates the table instead.
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=Base.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
elif (shared_connection := config.attributes.get("connection")) is not None:
    run_migrations(shared_connection)
else:
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as own_connection:
        run_migrations(own_connection)
    engine.dispose()
