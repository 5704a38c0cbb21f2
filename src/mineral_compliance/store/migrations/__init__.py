"""Alembic migrations of the campaign store, run by :func:`mineral_compliance.store.migrate`
(no ``alembic.ini``: the store passes its connection in)."""
