"""Alembic environment: migrates the connection handed over by ``calcideck.store.migrate``.

There is no ``alembic.ini`` and no URL here: the caller opens the connection
(inside a transaction) and passes it in ``config.attributes["connection"]``.
Offline (``--sql``) mode is not supported.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from calcideck.store.models import Base

config = context.config

if context.is_offline_mode():
    raise RuntimeError("CalciDeck migrations run online only, on a connection from calcideck.store.migrate")

connection = config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise TypeError(
        "no connection to migrate: use calcideck.store.migrate.alembic_config(connection) instead of running alembic directly"
    )

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite cannot ALTER most things: batch mode rebuilds tables instead.
    render_as_batch=True,
    compare_type=True,
)

with context.begin_transaction():
    context.run_migrations()
