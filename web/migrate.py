"""Alembic, driven from code: `dienhinh init-db` upgrades to head.

The scripts live in the `migrations` package (shipped in the wheel), so this works from any working directory
and from an installed wheel as well as from a checkout.
"""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

import migrations
from migrations.support import migration_lock
from models import Base, make_engine

# `__path__` rather than `__file__`: an editable install made before migrations/__init__.py existed sees a namespace
# package.
MIGRATIONS = Path(next(iter(migrations.__path__))).resolve()


def alembic_config(engine, attributes: dict | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes.update(attributes or {})
    cfg.attributes["engine"] = engine
    return cfg


def current_revision(engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


class SchemaMismatch(Exception):
    """An unversioned database whose tables differ from the models: adopting it would stamp a broken schema as
    current. `str(err)` is one line naming the differences."""

    def __init__(self, differences: list[str]):
        self.differences = differences
        shown = "; ".join(differences[:8]) + (f"; và {len(differences) - 8} khác biệt khác" if len(differences) > 8
                                              else "")
        super().__init__(
            "Cơ sở dữ liệu có bảng nhưng chưa có phiên bản (alembic_version) và lược đồ khác với mô hình: "
            f"{shown}. Không đánh dấu phiên bản; hãy sửa lược đồ hoặc khôi phục từ bản sao lưu rồi chạy lại."
        )


def _describe(diff) -> list[str]:
    """Alembic's compare_metadata entries in words, from the database's side ("missing" = in the models only)."""
    if isinstance(diff, list):  # modify_* entries of one column come grouped
        return [d for item in diff for d in _describe(item)]
    kind = diff[0]
    if kind == "add_table":
        return [f"thiếu bảng {diff[1].name}"]
    if kind == "remove_table":
        return [f"bảng thừa {diff[1].name}"]
    if kind == "add_column":
        return [f"thiếu cột {diff[2]}.{diff[3].name}"]
    if kind == "remove_column":
        return [f"cột thừa {diff[2]}.{diff[3].name}"]
    if kind.startswith("modify_"):
        _kind, _schema, table, column, _existing, old, new = diff
        what = {"modify_type": "kiểu", "modify_nullable": "NULL", "modify_default": "mặc định",
                "modify_comment": "chú thích"}.get(kind, kind)
        return [f"cột {table}.{column} khác {what} (CSDL: {old}, mô hình: {new})"]
    if kind in ("add_index", "remove_index"):
        index = diff[1]
        return [f"{'thiếu' if kind == 'add_index' else 'thừa'} chỉ mục {index.name} trên {index.table.name}"]
    if kind in ("add_constraint", "remove_constraint", "add_fk", "remove_fk"):
        constraint = diff[1]
        table = getattr(constraint.table, "name", "?")
        return [f"{'thiếu' if kind.startswith('add') else 'thừa'} ràng buộc {constraint.name or ''} trên {table}"
                .replace("  ", " ")]
    return [str(diff)]


def schema_differences(connection) -> list[str]:
    """How the database's tables differ from the models (alembic's compare_metadata). Tables that are not the
    application's are ignored: they may share the schema."""
    from alembic.autogenerate import compare_metadata

    def include_object(obj, name, type_, reflected, compare_to):
        return not (type_ == "table" and reflected and name not in Base.metadata.tables)

    ctx = MigrationContext.configure(connection, opts={
        "compare_type": True, "target_metadata": Base.metadata, "include_object": include_object,
    })
    diffs = compare_metadata(ctx, Base.metadata)
    missing = {d[1].name for d in diffs if isinstance(d, tuple) and d[0] == "add_table"}
    # A missing table's indexes and constraints are missing with it: name the table once.
    return [text for diff in diffs if not _of_missing_table(diff, missing) for text in _describe(diff)]


def _of_missing_table(diff, missing: set[str]) -> bool:
    if not isinstance(diff, tuple) or diff[0] == "add_table":
        return False
    table = getattr(getattr(diff[1], "table", None), "name", None)
    return table in missing


def _adopt_unversioned(connection) -> bool:
    """A database made by `Base.metadata.create_all` before migrations existed (tables of ours, no
    alembic_version): True when it matches the models and may be stamped at head; SchemaMismatch when it does not;
    False for a database without any of our tables (a normal upgrade creates them)."""
    names = set(inspect(connection).get_table_names())
    if "alembic_version" in names or not names & set(Base.metadata.tables):
        return False
    differences = schema_differences(connection)
    if differences:
        raise SchemaMismatch(differences)
    return True


def upgrade(engine, revision: str = "head", *, attributes: dict | None = None, upload_root: str | None = None) -> None:
    """Migrates to `revision` (idempotent: at head it does nothing), holding the migration lock on PostgreSQL so
    that concurrent runs (several hosts deploying at once) take turns. A database that already holds the whole
    schema without a version (created by `create_all` in an early development build) is stamped, not re-created,
    but only when its schema matches the models exactly: otherwise SchemaMismatch names the differences.
    `attributes` reach the migration scripts (`context.config.attributes`): the keys 0009 needs to move ballots.
    `upload_root`: where files were kept before they moved into the database (revision 0011 reads them from there;
    the UPLOAD_ROOT environment variable, when set, takes precedence)."""
    cfg = alembic_config(engine, dict(attributes or {}, **({"upload_root": upload_root} if upload_root else {})))
    with engine.connect() as connection, migration_lock(connection):
        cfg.attributes["connection"] = connection
        try:
            adopt = revision == "head" and _adopt_unversioned(connection)
        finally:
            connection.rollback()  # env.py must find no transaction open (SQLite: BEGIN IMMEDIATE of the reads)
        if adopt:
            command.stamp(cfg, "head")
        else:
            command.upgrade(cfg, revision)


def new_revision(message: str) -> None:
    """Writes a new revision autogenerated against a temporary SQLite database migrated to head (used by
    `make migration m="..."`). Review it by hand: partial indexes need both sqlite_where and postgresql_where,
    and SQLite table changes go through batch_alter_table."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/autogenerate.db")
        try:
            upgrade(engine)
            command.revision(alembic_config(engine), message=message, autogenerate=True)
        finally:
            engine.dispose()
