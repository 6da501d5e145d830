"""Alembic environment: migrations run on the connection handed in by ``governance.store``."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import governance.model  # noqa: F401  (registers the tables)

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `govbot db upgrade`, which passes the connection")

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
