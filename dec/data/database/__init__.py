"""Customers and purchases in a database: SQLAlchemy URLs (``sqlite:///shop.db``,
``postgresql://user@host/db``), read in chunks (:mod:`~dec.data.database.read`) and segments
written back as a table that appears whole or not at all (:mod:`~dec.data.database.write`).
Passwords never leave the process (:mod:`dec.utils.urls`)."""

from dec.utils.urls import is_database_url, masked

__all__ = ["is_database_url", "masked"]
