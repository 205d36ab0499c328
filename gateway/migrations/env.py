"""Alembic's environment: always run by gateway.migrations.upgrade() on a connection it
opened (and locked), never from an alembic.ini."""
from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
