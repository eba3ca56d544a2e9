"""The `dienhinh` console script: the same commands as `flask --app web`."""
from __future__ import annotations

import os
import sys

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from web import create_app
from web.db import db
from workflow.errors import DomainError


def _fail(err: DomainError):
    click.echo(f"Lỗi: {err.detail}", err=True)
    for r in err.reasons:
        click.echo(f"  - {r}", err=True)
    sys.exit(2)


def _create_app():
    """create_app, with a malformed setting reported in one line (exit 2) instead of a traceback."""
    from web.config import EXIT_CONFIG, ConfigError, error_line

    try:
        return create_app()
    except ConfigError as err:
        click.echo(error_line(err), err=True)
        sys.exit(EXIT_CONFIG)


@click.group(cls=FlaskGroup, create_app=_create_app)
def main():
    """Điển hình tiên tiến — quản lý điển hình tiên tiến ngành Tư pháp."""


@main.command("init-db")
@with_appcontext
def init_db():
    """Create or migrate the schema to the latest revision (idempotent; concurrent runs take turns)."""
    from web.migrate import SchemaMismatch, current_revision, upgrade

    engine = current_app.extensions["dienhinh.engine"]
    before = current_revision(engine)
    # 0009 opens the first design's ballots with the key that sealed them (BALLOT_KEY, else SECRET_KEY, as the previous
    # version derived it) and re-seals those of open sessions with the new BALLOT_KEY. Attachments used to be files
    # under instance/uploads (or UPLOAD_ROOT): revision 0011 moves them in from there.
    keys = {"legacy_ballot_secret": os.environ.get("BALLOT_KEY") or current_app.config["SECRET_KEY"],
            "ballot_key": current_app.config.get("BALLOT_KEY")}
    try:
        upgrade(engine, attributes=keys, upload_root=os.path.join(current_app.instance_path, "uploads"))
    except SchemaMismatch as err:
        click.echo(f"Lỗi: {err}", err=True)
        sys.exit(1)
    after = current_revision(engine)
    if after != before:
        click.echo(f"Đã chuyển lược đồ từ phiên bản {before or '(trống)'} lên {after}.")
    click.echo("Cơ sở dữ liệu đã ở phiên bản mới nhất.")


@main.command("seed-demo")
@click.option("--password", default="demo1234", show_default=True,
              help="Mật khẩu chung của mọi tài khoản mẫu (dữ liệu trình diễn: không áp dụng quy tắc mật khẩu).")
@with_appcontext
def seed_demo(password):
    """Load the demo department into an empty database and print the accounts.

    Demonstration data: its shared password is exempt from the password rule (`make run` uses demo1234), and a
    warning is printed when it would not pass it."""
    from workflow.administration import demo, demo_living, passwords

    session = db()
    try:
        accounts = demo.seed(session, password)
        # The living department (CONTRACT.md "Beyond that"), played through the services in the same transaction.
        living = demo_living.seed_living(session)
        session.commit()
    except DomainError as err:
        session.rollback()
        _fail(err)
    click.echo(f"Đã tạo dữ liệu mẫu. Mật khẩu chung: {password}")
    if passwords.problems(password):
        click.echo("Lưu ý: mật khẩu mẫu không đạt quy tắc mật khẩu của hệ thống; chỉ dùng để trình diễn, "
                   "không dùng cho dữ liệu thật.", err=True)
    for username, roles, unit in accounts:
        label = ", ".join(roles) + (" (phó)" if username in demo.DEPUTIES else "")
        click.echo(f"  {username:<12} {label:<32} {unit or 'toàn hệ thống'}")
    if living.ready_session_id is not None:
        click.echo(f"Phiên họp số {living.ready_session_id} họp hôm nay, đã hết thời hạn công khai: Văn phòng Sở điểm "
                   "danh, Giám đốc Sở khai mạc (README, “Quick tour”).")
    for note in living.notes:
        click.echo(f"Lưu ý: {note}", err=True)


@main.group()
def users():
    """Manage user accounts."""


@users.command("create")
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True, help="Vai trò (có thể lặp lại).")
@click.option("--unit", "unit_code", default=None, help="Mã đơn vị (phạm vi).")
@click.option("--password", default=None, help="Mật khẩu; bỏ trống để nhập.")
@click.option("--email", default=None)
@click.option("--full-name", default="")
@click.option("--deputy", is_flag=True, default=False,
              help="Phó Giám đốc Sở: vai trò director, chỉ ký khi được Giám đốc Sở ủy quyền.")
@with_appcontext
def users_create(username, roles, unit_code, password, email, full_name, deputy):
    from workflow.administration.accounts import create_user_from_cli

    if password is None:
        password = click.prompt("Mật khẩu", hide_input=True, confirmation_prompt=True)
    session = db()
    try:
        user = create_user_from_cli(session, username, roles=list(roles), password=password, unit_code=unit_code,
                                    email=email, full_name=full_name, deputy=deputy)
        session.commit()
    except DomainError as err:
        session.rollback()
        _fail(err)
    click.echo(f"Đã tạo tài khoản {username} (id {user.id}).")


def _user_or_exit(session, username):
    from sqlalchemy import select

    from models import User

    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        click.echo(f"Lỗi: không có tài khoản '{username}'.", err=True)
        sys.exit(2)
    return user


@users.command("token")
@click.argument("username")
@click.option("--expires-days", default=90, show_default=True, type=click.IntRange(1, 3650),
              help="Số ngày hiệu lực của mã (1 đến 3650).")
@click.option("--name", default="Dòng lệnh (dienhinh users token)", show_default=True,
              help="Tên gợi nhớ của mã, hiện ở trang Mã truy cập API của chủ tài khoản.")
@with_appcontext
def users_token(username, expires_days, name):
    """Print a new API token for USERNAME (expires after --expires-days; audited). Only its hash is stored."""
    from workflow.administration.accounts import create_token
    from workflow.context import CLI

    session = db()
    user = _user_or_exit(session, username)
    try:
        token, row = create_token(session, user, expires_days=expires_days, name=name, context=CLI)
        session.commit()
    except DomainError as err:
        session.rollback()
        _fail(err)
    click.echo(token)
    click.echo(f"Hết hạn: {row.expires_at.isoformat(timespec='seconds')}", err=True)


@users.command("revoke-tokens")
@click.argument("username")
@with_appcontext
def users_revoke_tokens(username):
    """Revoke every API token of USERNAME (audited); its scripts get 401 until they use a new token."""
    from workflow.administration.accounts import revoke_all_tokens
    from workflow.context import CLI

    session = db()
    user = _user_or_exit(session, username)
    count = revoke_all_tokens(session, user, context=CLI)
    session.commit()
    click.echo(f"Đã thu hồi {count} mã truy cập của {username}.")


@main.group()
def audit():
    """The audit trail."""


@audit.command("verify")
@click.option("--full/--incremental", default=True, show_default=True,
              help="--full: kiểm tra toàn bộ mỗi chuỗi từ sự kiện đầu tiên; --incremental: chỉ kiểm tra các sự kiện "
                   "ghi sau lần kiểm tra toàn vẹn gần nhất của chuỗi.")
@click.option("--checkpoints", "files", multiple=True, type=click.Path(exists=True),
              help="Tệp (hoặc thư mục) điểm kiểm tra đã ký lưu ở nơi khác, đối chiếu thêm với AUDIT_CHECKPOINT_DIR; "
                   "dùng được nhiều lần.")
@click.option("--public-key", "public_key_file", type=click.Path(exists=True, dir_okay=False),
              help="Khóa công khai để kiểm chữ ký (PEM, hoặc base64 của 32 byte) thay cho khóa của AUDIT_SIGNING_KEY: "
                   "cho Thanh tra, Bộ kiểm tra bằng bản khóa đã lưu.")
@click.option("--jobs", type=click.IntRange(1, 16), default=1, show_default=True,
              help="Số tiến trình kiểm tra song song khi kiểm tra toàn bộ một nhật ký lớn trên PostgreSQL.")
@with_appcontext
def audit_verify(full, files, public_key_file, jobs):
    """Check every audit chain against itself and every signed checkpoint, and record the result (shown on the
    audit page). Exit 1 naming the chain and the position of the first problem."""
    from notifications.audit_checkpoints import KeyMissing
    from notifications.audit_verify import check
    from web.audit_trail import check_options

    try:
        options = check_options(files, public_key_file=public_key_file)
    except KeyMissing as err:
        click.echo(f"Lỗi: {err}", err=True)
        sys.exit(2)
    session = db()
    try:
        record = check(session, checked_by="cli", full=full, jobs=jobs, **options)
        session.commit()
    except Exception:
        session.rollback()
        raise
    if record.ok:
        click.echo(record.message)
        return
    click.echo(record.message, err=True)
    sys.exit(1)


@audit.command("checkpoint")
@with_appcontext
def audit_checkpoint():
    """Sign the head of every audit chain (AUDIT_SIGNING_KEY) and append it to AUDIT_CHECKPOINT_DIR and to the
    database. Run it from the same timer as `reminders send`."""
    from notifications.audit_checkpoints import KeyMissing, file_for, write_checkpoints
    from web.audit_trail import checkpoint_dir, signing_key

    try:
        key = signing_key()
    except KeyMissing as err:
        click.echo(f"Lỗi: {err}", err=True)
        sys.exit(2)
    session = db()
    try:
        written = write_checkpoints(session, key, checkpoint_dir())
        session.commit()
    except Exception:
        session.rollback()
        raise
    for cp in written:
        click.echo(f"{cp.chain}\t#{cp.seq}\t{cp.hash}\t{file_for(checkpoint_dir(), cp.chain)}")
    click.echo(f"Đã ký {len(written)} điểm kiểm tra.")


@main.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def backup_command(file):
    """Write a complete backup to FILE (a tar archive, mode 0600): the database (PostgreSQL: pg_dump --format=custom;
    SQLite: the online backup API) with its attachments, the signed audit checkpoints of AUDIT_CHECKPOINT_DIR and a
    manifest (schema revision, time, row counts, SHA-256 of each part). Never the keys: back them up separately."""
    from web.audit_trail import checkpoint_dir
    from web.ops.backup import BackupError, backup, describe

    engine = current_app.extensions["dienhinh.engine"]
    try:
        manifest = backup(engine, checkpoint_dir(), file)
    except BackupError as err:
        click.echo(f"Lỗi: {err}", err=True)
        sys.exit(1)
    checkpoints = sum(1 for name in manifest["members"] if name.startswith("audit-checkpoints/"))
    click.echo(f"Đã sao lưu {describe(engine)} (lược đồ {manifest['schema_revision'] or '(chưa có phiên bản)'}, "
               f"{sum(manifest['tables'].values())} dòng trong {len(manifest['tables'])} bảng, "
               f"{checkpoints} tệp điểm kiểm tra) vào {file}.")


@main.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def restore_command(file):
    """Restore a backup of `dienhinh backup` into the EMPTY database of DATABASE_URL (refused otherwise) and its
    audit checkpoints into AUDIT_CHECKPOINT_DIR (an existing file must be identical). Then run `dienhinh audit
    verify`."""
    from web.audit_trail import checkpoint_dir
    from web.migrate import head_revision
    from web.ops.backup import BackupError, describe, restore

    engine = current_app.extensions["dienhinh.engine"]
    try:
        manifest = restore(engine, checkpoint_dir(), file)
    except BackupError as err:
        click.echo(f"Lỗi: {err}", err=True)
        sys.exit(1)
    click.echo(f"Đã khôi phục bản sao lưu ngày {manifest['created_at']} vào {describe(engine)} "
               f"({sum(manifest['tables'].values())} dòng) và điểm kiểm tra vào {checkpoint_dir()}.")
    if manifest["schema_revision"] != head_revision():
        click.echo("Lược đồ của bản sao lưu cũ hơn phiên bản này: hãy chạy `dienhinh init-db`.")
    if engine.dialect.name == "postgresql":
        click.echo("Hãy cấp lại quyền cho vai trò của ứng dụng (README, “Least-privilege database role”).")


@main.group("notifications")
def notifications_group():
    """E-mail notifications."""


@notifications_group.command("deliver")
@click.option("--once", is_flag=True, help="Gửi một lượt rồi thoát.")
@click.option("--interval", default=30.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Số giây nghỉ giữa hai lượt gửi.")
@with_appcontext
def notifications_deliver(once, interval):
    """Deliver queued e-mail notifications (the worker)."""
    import time

    from notifications.delivery import deliver_once

    config = current_app.config
    if not config.get("SMTP_HOST"):
        click.echo("Chưa cấu hình SMTP_HOST: thư điện tử bị tắt, thông báo chỉ hiển thị trong ứng dụng.")
        return
    session_factory = current_app.extensions["dienhinh.sessions"]
    try:
        while True:
            sent, failed = deliver_once(session_factory, config)
            if once or sent or failed:
                click.echo(f"Đã gửi {sent}, lỗi {failed}")
            if once:
                return
            time.sleep(interval)
    except KeyboardInterrupt:
        click.echo("Đã dừng.")


@main.group()
def reminders():
    """Deadline reminders."""


@reminders.command("send")
@click.option("--today", "today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Ngày tính nhắc việc (YYYY-MM-DD); mặc định hôm nay theo giờ Việt Nam.")
@with_appcontext
def reminders_send(today):
    """Queue the deadline reminders due on that day (once per recipient, however often it runs)."""
    from notifications.reminders import send
    from workflow import clock

    day = today.date() if today is not None else clock.today()
    session = db()
    try:
        count = send(session, day)
        session.commit()
    except Exception:
        session.rollback()
        raise
    click.echo(f"Đã tạo {count} nhắc việc")


@main.group()
def ballots():
    """The secret ballot's housekeeping."""


@ballots.command("purge")
@click.option("--wait-ms", default=5000, show_default=True, help="Thời gian chờ khóa tối đa (mili giây).")
@with_appcontext
def ballots_purge(wait_ms):
    """Remove old versions of sealed ballot slots from the database files (run after a close; also from the timer)."""
    from workflow.council import operations as council

    if not council.purge_ballot_remnants(current_app.extensions["dienhinh.engine"], wait_ms=wait_ms):
        click.echo("Chưa dọn được phiếu niêm phong cũ: bảng phiếu hoặc nhật ký ghi đang bận; hãy chạy lại sau.",
                   err=True)
        sys.exit(1)
    click.echo("Đã dọn các phiên bản cũ của phiếu niêm phong khỏi tệp dữ liệu.")


@main.group("import")
def import_group():
    """Import units or people from an .xlsx file (all rows or none)."""


def _import(kind: str, path: str) -> None:
    from pathlib import Path

    from workflow.administration.imports import KIND_LABELS, ImportFailed, import_xlsx

    data = Path(path).read_bytes()
    session = db()
    try:
        result = import_xlsx(session, None, kind, data, filename=Path(path).name)
        session.commit()
    except ImportFailed as err:
        session.rollback()
        click.echo(f"Lỗi: {err.detail}", err=True)
        for e in err.errors:
            click.echo(f"  Dòng {e.row}, cột “{e.column}”: {e.message}", err=True)
        sys.exit(1)
    except DomainError as err:
        session.rollback()
        _fail(err)
    click.echo(f"Đã nhập {result.created} {KIND_LABELS[kind]} ({result.rows} dòng dữ liệu).")


@import_group.command("units")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def import_units(path):
    """Import units: Mã đơn vị, Tên đơn vị, Loại đơn vị, Mã đơn vị cấp trên, Địa danh."""
    _import("units", path)


@import_group.command("people")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def import_people(path):
    """Import people: Họ và tên, Mã đơn vị, Chức vụ, Loại hình, Thủ trưởng đơn vị, Email."""
    _import("people", path)


@main.command("demo-reorganise")
@with_appcontext
def demo_reorganise():
    """After seed-demo: an example of 2024 of Phòng Tư pháp thành phố Long Xuyên, then that district office closed
    on 01/07/2025 with its people moved to the department (issue 16); its 2024 certificate keeps the old name."""
    from workflow.administration import demo_reorganisation

    session = db()
    try:
        unit = demo_reorganisation.run(session)
        session.commit()
    except DomainError as err:
        session.rollback()
        _fail(err)
    click.echo(f"Đã giải thể “{unit.name}” từ ngày 01/07/2025; cá nhân và hồ sơ chuyển về Sở.")
