"""Alembic environment.

Driven from code by `web.migrate` (`dienhinh init-db`), which passes a connection in
`config.attributes["connection"]` (or an engine in `config.attributes["engine"]`); run by the stock `alembic`
command from the repository root (alembic.ini there), it opens DATABASE_URL.
On PostgreSQL every run holds the migration advisory lock; on SQLite foreign keys are off during the run (table
rebuilds) and checked before it commits (migrations.support).
Both use `models.make_engine`, so SQLite gets the same pragmas and `BEGIN IMMEDIATE` transactions as the app.
"""
from __future__ import annotations

import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy.types import TypeDecorator

import models
from migrations.support import check_foreign_keys, migration_lock, sqlite_foreign_keys_off

config = context.config
if config.config_file_name and "engine" not in config.attributes and "connection" not in config.attributes:
    fileConfig(config.config_file_name, disable_existing_loggers=False)  # the stock `alembic` command's logging
target_metadata = models.Base.metadata


def render_item(type_, obj, autogen_context):
    """Renders our TypeDecorators (UTCDateTime) as their plain implementation type (sa.DateTime()), so a
    migration file never imports the models' custom types: migrations must not change when models do."""
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl_instance!r}"
    return False


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copy-and-move
        compare_type=True,
        render_item=render_item,
        # Alembic assumes SQLite DDL is not transactional (pysqlite used to commit before DDL). With the engine of
        # models.make_engine pysqlite's transaction handling is off and BEGIN IMMEDIATE is ours, so SQLite's DDL is
        # transactional like PostgreSQL's: a failed upgrade rolls back completely.
        transactional_ddl=True,
    )


def _url() -> str | None:
    """DATABASE_URL, as the application reads it (then `sqlalchemy.url` of an alembic.ini, if one sets it)."""
    url = os.environ.get("DATABASE_URL") or config.get_main_option("sqlalchemy.url")
    return models.base.database_url(url) if url else url


def run_migrations_offline() -> None:
    url = _url()
    if not url:
        raise SystemExit("DATABASE_URL is not set")
    context.configure(
        url=url, target_metadata=target_metadata, literal_binds=True, compare_type=True,
        render_as_batch=url.startswith("sqlite"), render_item=render_item,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    connection = config.attributes.get("connection")
    if connection is not None:  # a caller that already holds a connection (web.migrate, tests)
        _run(connection)
        return
    owned = engine is None
    if owned:
        url = _url()
        if not url:
            raise SystemExit("DATABASE_URL is not set (or pass an engine in config.attributes['engine'])")
        engine = models.make_engine(url)
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        if owned:
            engine.dispose()


def _run(connection) -> None:
    # The advisory lock (PostgreSQL) and the foreign keys pragma (SQLite) are taken before Alembic is configured:
    # Alembic leaves alone a transaction that was open when it was configured.
    with migration_lock(connection), sqlite_foreign_keys_off(connection):
        _configure(connection)
        # One transaction for the whole upgrade: on SQLite the engine's "begin" event emits BEGIN IMMEDIATE
        # (pysqlite's own transaction handling is off), and SQLite's DDL is transactional too, so a failed
        # upgrade leaves the database as it was.
        with context.begin_transaction():
            context.run_migrations()
            check_foreign_keys(connection)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
