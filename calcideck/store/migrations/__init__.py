"""Alembic migration environment for the collection schema (run via ``calcideck.store.migrate``)."""
