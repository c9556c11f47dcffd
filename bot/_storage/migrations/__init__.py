"""Alembic migrations of Vigie's store (run by ``SQLStore.migrate``)."""
