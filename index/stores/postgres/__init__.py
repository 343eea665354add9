"""The index in PostgreSQL with pgvector: any number of web replicas serve one database.

store.py opens the database and verifies it, writer.py is the one writer (a transaction per version),
snapshot.py reads one published version, schema.py holds the tables, their migrations and row mappings.
"""
from .store import PostgresStore

__all__ = ["PostgresStore"]
