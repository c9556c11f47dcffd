"""Persistent state on SQLite or PostgreSQL: see :class:`SQLStore`."""

from ._store import SQLStore, make_store

__all__ = ["SQLStore", "make_store"]
