"""Persistence: SQLAlchemy 2 models (:mod:`core.db.models`), sessions, migrations."""
