"""Alembic migrations of the service database (run by ``dingmi db upgrade`` and at start)."""
