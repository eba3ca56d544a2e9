"""The `dienhinh` console script (CONTRACT.md, "Command line"). One real process per promise only where the process
is the promise: the installed script runs from a foreign working directory against DATABASE_URL, creates the schema
twice over and seeds an empty database. Every other command runs in-process through Click's runner on the test's
rolled-back database (the same `main` group the script calls), a process start costing more than the command."""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo
from sqlalchemy import select

from models import ApiToken, Base, User, make_engine
from web import create_app
from web.cli import main

PASSWORD = "Cli-Password-2026"


def _exe() -> str:
    exe = shutil.which("dienhinh", path=os.path.join(sys.prefix, "bin")) or shutil.which("dienhinh")
    if exe is None:
        pytest.fail("the dienhinh console script is not installed (pip install -e '.[test]')")
    return exe


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """`dienhinh init-db` and `seed-demo`, real processes in a foreign working directory against a module-wide
    database file. Returns seed-demo's result, the database URL and the working directory."""
    work = tmp_path_factory.mktemp("cli")
    url = f"sqlite:///{work / 'cli.db'}"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "FLASK_APP")}
    env.update(DATABASE_URL=url, SECRET_KEY="cli-test")

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([_exe(), *args], env=env, cwd=work, capture_output=True, text=True, timeout=120)

    r = run("init-db")
    assert r.returncode == 0, r.stderr
    r = run("seed-demo", "--password", PASSWORD)
    assert r.returncode == 0, r.stderr
    return r, url, work


@pytest.fixture
def cli(app):
    """`cli(*args)`: the script's `main` group run in-process on the test's app (its rolled-back database)."""
    def run(*args: str):
        return CliRunner().invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app))

    return run


def _no_traceback(result) -> bool:
    """In a real process an uncaught exception prints a traceback; under the runner it is kept as the exception of
    the result, with exit code 1. A command that fails on purpose exits through SystemExit."""
    return result.exception is None or isinstance(result.exception, SystemExit)


def test_seed_demo_prints_the_accounts_once(seeded, script):
    first, url, work = seeded
    assert PASSWORD in first.stdout
    for username in ("admin", "vanphong", "giamdoc", "tp_pbgdpl", "botp", "thanhtra", "canbo1"):
        assert username in first.stdout
    env = {"DATABASE_URL": url, "SECRET_KEY": "cli-test"}
    again = script(["init-db"], env, work)  # idempotent
    assert again.returncode == 0, again.stderr
    again = script(["seed-demo", "--password", PASSWORD], env, work)
    assert again.returncode != 0
    assert "đã có dữ liệu" in again.stderr


def _user(session, username):
    user = session.scalar(select(User).where(User.username == username))
    return user and (user.role_codes, user.unit.code if user.unit else None)


def test_users_create_and_a_bad_role(cli, db):
    r = cli("users", "create", "x", "--role", "unit_head", "--unit", "HCTP", "--password", "longpassword")
    assert r.exit_code == 0, r.stderr
    assert _user(db, "x") == ({"unit_head"}, "HCTP")

    bad = cli("users", "create", "y", "--role", "emperor", "--password", "longpassword")
    assert bad.exit_code != 0
    assert "Vai trò không hợp lệ" in bad.stderr and _no_traceback(bad)
    assert _user(db, "y") is None


def test_users_create_a_deputy_director(cli, db):
    r = cli("users", "create", "pgd", "--role", "director", "--unit", "STP", "--deputy", "--password", "longpassword")
    assert r.exit_code == 0, r.stderr
    user = db.scalar(select(User).where(User.username == "pgd"))
    assert user.role_codes == {"director"} and user.is_deputy
    bad = cli("users", "create", "pgd2", "--role", "staff", "--unit", "STP", "--deputy", "--password", "longpassword")
    assert bad.exit_code != 0 and "Phó Giám đốc Sở phải có vai trò Giám đốc Sở" in bad.stderr and _no_traceback(bad)


@pytest.mark.parametrize(("password", "message"), [
    ("password", "danh sách mật khẩu phổ biến"), ("        ", "khoảng trắng"), ("W-weakling-2026", "tên đăng nhập"),
])
def test_users_create_refuses_a_weak_password(cli, db, password, message):
    r = cli("users", "create", "weakling", "--role", "admin", "--password", password)
    assert r.exit_code == 2 and message in r.stderr and _no_traceback(r), r.stderr
    assert _user(db, "weakling") is None


def test_seed_demo_is_exempt_from_the_password_rule(tmp_path):
    """`make run` seeds the demo with DEMO_PASSWORD=demo1234: demonstration data, exempt (with a warning)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    Base.metadata.create_all(engine)
    app = create_app({"TESTING": True, "ENGINE": engine, "SECRET_KEY": "cli-test", "RATELIMIT_ENABLED": False},
                     instance_path=str(tmp_path / "instance"))
    try:
        r = CliRunner().invoke(main, ["seed-demo", "--password", "demo1234"], obj=ScriptInfo(create_app=lambda: app))
    finally:
        engine.dispose()
    assert r.exit_code == 0, r.stderr
    assert "demo1234" in r.stdout and "không đạt quy tắc mật khẩu" in r.stderr


def test_users_token_authenticates(cli, db, client):
    r = cli("users", "token", "admin")
    assert r.exit_code == 0, r.stderr
    token = r.stdout.strip()
    assert len(token) >= 32

    digest = hashlib.sha256(token.encode()).hexdigest()
    owner = db.scalar(select(User.username).join(ApiToken, ApiToken.user_id == User.id)
                      .where(ApiToken.token_hash == digest))
    assert owner == "admin"  # only the hash is stored
    assert token not in set(db.scalars(select(ApiToken.token_hash)))

    resp = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.get_json()["username"] == "admin"
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_unknown_user_token_is_a_clear_error(cli):
    r = cli("users", "token", "nobody")
    assert r.exit_code != 0 and "nobody" in r.stderr and _no_traceback(r)


def test_audit_verify(cli):
    r = cli("audit", "verify")
    assert r.exit_code == 0, r.stderr
    assert "toàn vẹn" in r.stdout


def test_a_malformed_base_url_is_one_line_naming_it(tmp_path, monkeypatch):
    """The script's own app factory (DATABASE_URL and the rest from the environment) reports the bad setting. That a
    real process prints that one line and no traceback is test_production_config.py's."""
    monkeypatch.delenv("FLASK_APP", raising=False)
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "SECRET_KEY": "cli-test",
           "BASE_URL": "dienhinh.stp.gov.vn"}
    r = CliRunner().invoke(main, ["init-db"], env=env)
    assert r.exit_code == 2 and _no_traceback(r), r.stderr
    assert r.stderr.strip().count("\n") == 0 and "BASE_URL" in r.stderr


def test_users_create_follows_the_admin_pages_rule_for_a_unit_head(cli, db):
    """One rule (workflow.policy.assignment_errors) for the CLI and the admin pages: a unit head heads a division or
    a district office, never a whole department (the CLI used to accept it)."""
    r = cli("users", "create", "z", "--role", "unit_head", "--unit", "STP", "--password", "longpassword")
    assert r.exit_code != 0 and _no_traceback(r)
    assert "Thủ trưởng đơn vị phải gắn với một phòng, đơn vị thuộc Sở." in r.stderr
    assert _user(db, "z") is None
