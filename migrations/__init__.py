"""Alembic migrations of the dienhinh schema (shipped in the wheel; driven by `web.migrate`)."""
