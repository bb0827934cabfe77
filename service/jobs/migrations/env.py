"""Alembic environment: runs on the connection `service.jobs.db.migrate` hands over.

Run by the service at startup; for manual use (`alembic -c <ini> upgrade head`) it
falls back to the ini's `sqlalchemy.url`.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

from service.jobs.tables import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: object) -> None:
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
elif (connection := config.attributes.get("connection")) is not None:
    _run(connection)
else:
    engine = engine_from_config(
        config.get_section(config.config_ini_section) or {},
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with engine.connect() as connection:
        _run(connection)
