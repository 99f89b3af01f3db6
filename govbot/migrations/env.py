"""Alembic's entry point. `govbot migrate` passes the connection; `alembic -c govbot/migrations/alembic.ini`
(for writing a new revision with --autogenerate) opens the settings' database."""

from alembic import context

from govbot.database import schema

connection = context.config.attributes.get("connection")


def run(conn) -> None:
    context.configure(connection=conn, target_metadata=schema(), render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    run(connection)
else:
    from govbot.settings import get_settings
    from knowledge.store.sql import open_engine

    with open_engine(get_settings().ensure_dirs().db_url).begin() as conn:
        run(conn)
