"""Alembic environment and core revisions (installed with the package; see core.db.migrate)."""
