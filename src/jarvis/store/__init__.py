"""Durable storage: database engine, migrations and repositories."""
