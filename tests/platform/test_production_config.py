"""Production mode and start-up validation (issue 11 §1): DIENHINH_ENV=production refuses to start without its secrets,
every setting is checked at start-up, and each failure is one line naming the variable — through `create_app`, the
`dienhinh` command line, `web.wsgi` and gunicorn alike. Development key files are private (0600)."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from notifications import audit_checkpoints
from web import config
from web.cli import main as cli_main

VARIABLES = ("DIENHINH_ENV", "SECRET_KEY", "BALLOT_KEY", "BALLOT_KEY_FILE", "AUDIT_SIGNING_KEY", "AUDIT_CHECKPOINT_DIR",
             "DATABASE_URL", "BASE_URL", "MAIL_FROM", "SMTP_HOST", "SMTP_PORT", "SMTP_STARTTLS", "RATELIMIT_LOGIN",
             "RATELIMIT_LOGIN_IP", "RATELIMIT_STORAGE_URI", "LOG_FORMAT", "LOG_LEVEL", "READINESS_TIMEOUT",
             "TRUSTED_PROXIES", "SESSION_COOKIE_SECURE", "PROMETHEUS_MULTIPROC_DIR")
BIN = Path(sys.executable).parent


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def production(tmp_path):
    """A complete production environment: every required setting, the audit key an existing file."""
    key = tmp_path / "audit_signing_key.pem"
    key.write_bytes(Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    key.chmod(0o600)
    return {"DIENHINH_ENV": "production", "SECRET_KEY": "s" * 64, "BALLOT_KEY": "b" * 64,
            "AUDIT_SIGNING_KEY": str(key), "AUDIT_CHECKPOINT_DIR": str(tmp_path / "checkpoints"),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.db'}", "BASE_URL": "https://dienhinh.example.gov.vn",
            "MAIL_FROM": "dienhinh@stp.example.gov.vn"}


def _env(settings: dict) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    env.update(settings)
    return env


def _one_line(result: subprocess.CompletedProcess, variable: str) -> str:
    lines = [line for line in result.stderr.splitlines() if line.startswith("Lỗi cấu hình:")]
    assert len(lines) == 1, result.stderr
    assert variable in lines[0]
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    return lines[0]


MISSING = [("SECRET_KEY", ["SECRET_KEY"]), ("BALLOT_KEY", ["BALLOT_KEY"]), ("AUDIT_SIGNING_KEY", ["AUDIT_SIGNING_KEY"]),
           ("DATABASE_URL", ["DATABASE_URL"]), ("BASE_URL", ["BASE_URL"])]


# ------------------------------------------------------------------------------------------------ in process
def test_a_complete_production_environment_starts_and_generates_nothing(production, monkeypatch, tmp_path):
    for name, value in production.items():
        monkeypatch.setenv(name, value)
    instance = tmp_path / "instance"
    settings = config.load(str(instance))
    assert settings["SECRET_KEY"] == "s" * 64 and settings["BALLOT_KEY"] == "b" * 64
    assert settings["AUDIT_SIGNING_KEY_GENERATE"] is False and settings["LOG_FORMAT"] == "json"
    assert not instance.exists() or not any(instance.iterdir())  # no secret_key, ballot.key nor audit key written


@pytest.mark.parametrize("variable,removed", MISSING, ids=[m[0] for m in MISSING])
def test_production_refuses_each_missing_secret(production, monkeypatch, tmp_path, variable, removed):
    for name, value in production.items():
        if name not in removed:
            monkeypatch.setenv(name, value)
    with pytest.raises(config.ConfigError, match=variable):
        config.load(str(tmp_path / "instance"))
    assert not (tmp_path / "instance").exists()


def test_production_takes_the_ballot_key_from_a_file(production, monkeypatch, tmp_path):
    production.pop("BALLOT_KEY")
    (tmp_path / "ballot").write_text("from-the-file\n")
    production["BALLOT_KEY_FILE"] = str(tmp_path / "ballot")
    for name, value in production.items():
        monkeypatch.setenv(name, value)
    assert config.load(str(tmp_path / "instance"))["BALLOT_KEY"] == "from-the-file"


def test_production_never_generates_the_audit_key(production, monkeypatch, tmp_path):
    production["AUDIT_SIGNING_KEY"] = str(tmp_path / "absent.pem")
    for name, value in production.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(config.ConfigError, match="AUDIT_SIGNING_KEY=.*absent.pem: no such file"):
        config.load(str(tmp_path / "instance"))
    assert not (tmp_path / "absent.pem").exists()


BAD = [
    ("SMTP_PORT", "abc"), ("SMTP_PORT", "0"), ("SMTP_PORT", "65536"), ("SMTP_STARTTLS", "maybe"),
    ("DATABASE_URL", "not a url"), ("DATABASE_URL", "mysql://u@h/x"), ("DATABASE_URL", "postgresql+psycopg2://u@h/x"),
    ("DATABASE_URL", "postgresql://u:pw@h:port/x"), ("DATABASE_URL", "postgresql://u@h"),
    ("DATABASE_URL", "sqlite:////no/such/folder/x.db"), ("RATELIMIT_LOGIN", "lots"), ("RATELIMIT_LOGIN_IP", "10 per"),
    ("RATELIMIT_STORAGE_URI", "mongo://x"), ("LOG_FORMAT", "xml"), ("LOG_LEVEL", "LOUD"),
    ("READINESS_TIMEOUT", "soon"), ("READINESS_TIMEOUT", "0"), ("TRUSTED_PROXIES", "yes"), ("BASE_URL", "ftp://x"),
    ("MAIL_FROM", "nobody"), ("SESSION_COOKIE_SECURE", "perhaps"), ("DIENHINH_ENV", "prod"),
]


@pytest.mark.parametrize("variable,value", BAD, ids=[f"{n}={v}" for n, v in BAD])
def test_every_bad_setting_is_one_config_error_naming_it(monkeypatch, tmp_path, variable, value):
    monkeypatch.setenv("SECRET_KEY", "dev")
    monkeypatch.setenv(variable, value)
    with pytest.raises(config.ConfigError, match=variable) as info:
        config.load(str(tmp_path))
    assert "\n" not in config.error_line(info.value)
    assert "pw" not in str(info.value)  # a password in DATABASE_URL is never echoed


def test_postgres_scheme_is_rewritten_to_psycopg(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "dev")
    monkeypatch.setenv("DATABASE_URL", "postgres://dienhinh:pa%40ss@db.internal:5432/dienhinh")
    url = config.load(str(tmp_path))["DATABASE_URL"]
    assert url == "postgresql+psycopg://dienhinh:pa%40ss@db.internal:5432/dienhinh"


def test_a_database_on_the_same_host_is_reached_through_its_unix_socket(monkeypatch, tmp_path):
    """The README's advice for a single-host installation: no host name, the socket's folder as `host`. The URL is
    accepted (nothing drops the query that carries the folder) and psycopg is handed that folder."""
    from sqlalchemy.engine import make_url

    monkeypatch.setenv("SECRET_KEY", "dev")
    monkeypatch.setenv("DATABASE_URL", "postgresql://dienhinh@/dienhinh?host=/var/run/postgresql")
    parsed = make_url(config.load(str(tmp_path))["DATABASE_URL"])
    assert (parsed.drivername, parsed.host, parsed.database) == ("postgresql+psycopg", None, "dienhinh")
    assert parsed.get_dialect()().create_connect_args(parsed)[1]["host"] == "/var/run/postgresql"


# ------------------------------------------------------------------------------------------------ development keys
def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_development_key_files_are_created_0600(tmp_path):
    old = os.umask(0o022)
    try:
        settings = config.load(str(tmp_path))
        key = audit_checkpoints.load_signing_key(settings["AUDIT_SIGNING_KEY"], generate=True)
    finally:
        os.umask(old)
    assert key is not None
    for name in ("secret_key", "ballot.key", "audit_signing_key.pem"):
        assert _mode(tmp_path / name) == 0o600, name
    assert (tmp_path / "secret_key").read_text() == settings["SECRET_KEY"]


def test_existing_development_key_files_are_tightened(tmp_path):
    for name in ("secret_key", "ballot.key", "audit_signing_key.pem"):
        (tmp_path / name).write_text("an-old-key")
        (tmp_path / name).chmod(0o644)
    settings = config.load(str(tmp_path))
    assert settings["SECRET_KEY"] == "an-old-key" and settings["BALLOT_KEY"] == "an-old-key"
    for name in ("secret_key", "ballot.key", "audit_signing_key.pem"):
        assert _mode(tmp_path / name) == 0o600, name


# ------------------------------------------------------------------------------------------------ subprocesses
# One real process per entry point (the console script, web.wsgi, gunicorn): that the process prints one line and no
# traceback. Which variables are refused is the same code (config.load, through the script's app factory), run
# in-process below for each.
def test_cli_and_wsgi_refuse_a_missing_secret_in_one_line(production, tmp_path):
    env = _env({k: v for k, v in production.items() if k != "SECRET_KEY"})
    cli = subprocess.run([str(BIN / "dienhinh"), "routes"], env=env, capture_output=True, text=True, timeout=60,
                         cwd=tmp_path)
    assert cli.returncode == config.EXIT_CONFIG
    _one_line(cli, "SECRET_KEY")
    wsgi = subprocess.run([sys.executable, "-c", "import web.wsgi"], env=env, capture_output=True, text=True,
                          timeout=60, cwd=tmp_path)
    assert wsgi.returncode == config.EXIT_APP_LOAD
    assert wsgi.stderr.count("\n") == 1
    _one_line(wsgi, "SECRET_KEY")


def _script(env: dict, tmp_path, monkeypatch):
    """`dienhinh routes` in-process: the script's own group and app factory, the settings from `env`."""
    monkeypatch.chdir(tmp_path)
    return CliRunner().invoke(cli_main, ["routes"], env=env)


@pytest.mark.parametrize("variable,removed", MISSING[:3], ids=[m[0] for m in MISSING[:3]])
def test_the_script_refuses_a_missing_secret_in_one_line(production, tmp_path, monkeypatch, variable, removed):
    result = _script({k: v for k, v in production.items() if k not in removed}, tmp_path, monkeypatch)
    assert result.exit_code == config.EXIT_CONFIG, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    _one_line(result, variable)


@pytest.mark.parametrize("app", ["web.wsgi:app", "web:create_app()"])
def test_gunicorn_refuses_to_start_in_one_line(production, tmp_path, app):
    env = _env({k: v for k, v in production.items() if k != "AUDIT_SIGNING_KEY"})
    result = subprocess.run([str(BIN / "gunicorn"), "-c", "python:web.ops.gunicorn_conf", "-w", "2", "-b",
                             "127.0.0.1:0", app], env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode != 0
    _one_line(result, "AUDIT_SIGNING_KEY")
    assert "Booting worker" not in result.stderr  # stopped by the master, before any worker


def test_gunicorn_without_the_config_file_stops_instead_of_respawning(production, tmp_path):
    env = _env({**production, "SMTP_PORT": "abc"})
    result = subprocess.run([str(BIN / "gunicorn"), "-w", "1", "-b", "127.0.0.1:0", "web.wsgi:app"], env=env,
                            capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == config.EXIT_APP_LOAD
    _one_line(result, "SMTP_PORT")


@pytest.mark.parametrize("variable,value", [("SMTP_PORT", "abc"), ("DATABASE_URL", "postgres://u@h:x/d"),
                                            ("LOG_LEVEL", "LOUD")])
def test_the_script_reports_a_bad_setting_in_one_line(production, tmp_path, monkeypatch, variable, value):
    result = _script({**production, variable: value}, tmp_path, monkeypatch)
    assert result.exit_code == config.EXIT_CONFIG, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    _one_line(result, variable)
