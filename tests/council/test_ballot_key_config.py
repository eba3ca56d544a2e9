"""BALLOT_KEY is its own secret (issue 10 §1): never SECRET_KEY, a 0600 file in development, read from the environment
or BALLOT_KEY_FILE in production, and no silent fallback when it is missing."""
from __future__ import annotations

import os
import stat

import pytest

from models import make_engine
from web import config
from workflow.council import ballots

SQLITE = "sqlite:////tmp/whatever.db"
POSTGRES = "postgresql://dienhinh@db.internal:5432/dienhinh"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for name in ("BALLOT_KEY", "BALLOT_KEY_FILE", "SECRET_KEY", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    saved = dict(ballots._STATE)
    yield
    ballots._STATE.clear()
    ballots._STATE.update(saved)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_development_generates_its_own_key_file_with_mode_0600(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "the-session-secret")
    old = os.umask(0o022)  # a permissive umask must not leak into the key file's mode
    try:
        key = config.ballot_key(str(tmp_path), SQLITE)
    finally:
        os.umask(old)
    path = tmp_path / "ballot.key"
    assert _mode(path) == 0o600
    assert path.read_text() == key and len(key) == 64
    assert key != "the-session-secret"
    assert config.ballot_key(str(tmp_path), SQLITE) == key  # kept across restarts
    assert not (tmp_path / "secret_key").exists() or (tmp_path / "secret_key").read_text() != key


def test_an_empty_key_file_is_replaced_and_made_private(tmp_path):
    path = tmp_path / "ballot.key"
    path.write_text("")
    path.chmod(0o644)
    key = config.ballot_key(str(tmp_path), SQLITE)
    assert key and path.read_text() == key and _mode(path) == 0o600


def test_from_env_never_defaults_to_the_secret_key(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "the-session-secret")
    settings = config.from_env(str(tmp_path))
    assert settings["BALLOT_KEY"] not in (None, "", settings["SECRET_KEY"])
    monkeypatch.setenv("DATABASE_URL", POSTGRES)
    assert config.from_env(str(tmp_path))["BALLOT_KEY"] is None  # production without a key: none, not SECRET_KEY


def test_production_reads_the_environment_or_a_file(tmp_path, monkeypatch):
    assert config.ballot_key(str(tmp_path), POSTGRES) is None
    assert not (tmp_path / "ballot.key").exists()  # no key generated behind production's back
    secret_file = tmp_path / "ballot-secret"
    secret_file.write_text("from-a-file-0123456789\n")
    monkeypatch.setenv("BALLOT_KEY_FILE", str(secret_file))
    assert config.ballot_key(str(tmp_path), POSTGRES) == "from-a-file-0123456789"
    monkeypatch.setenv("BALLOT_KEY", "from-the-environment")
    assert config.ballot_key(str(tmp_path), POSTGRES) == "from-the-environment"


@pytest.mark.parametrize("content", [None, "", "  \n"])
def test_a_missing_or_empty_key_file_is_an_error_not_a_fallback(tmp_path, monkeypatch, content):
    path = tmp_path / "ballot-secret"
    if content is not None:
        path.write_text(content)
    monkeypatch.setenv("BALLOT_KEY_FILE", str(path))
    with pytest.raises(RuntimeError, match="BALLOT_KEY_FILE"):
        config.ballot_key(str(tmp_path), SQLITE)
    assert not (tmp_path / "ballot.key").exists()


def test_the_app_without_a_ballot_key_leaves_the_ballot_unconfigured(tmp_path, monkeypatch):
    """Production (PostgreSQL) with SECRET_KEY but no BALLOT_KEY: the app starts, the ballot is not configured (so
    council.open_session refuses), and nothing was derived from SECRET_KEY."""
    from web import create_app

    monkeypatch.setenv("DATABASE_URL", POSTGRES)
    monkeypatch.setenv("SECRET_KEY", "the-session-secret")
    engine = make_engine(f"sqlite:///{tmp_path / 'app.db'}")
    try:
        ballots.configure("something-else")
        app = create_app({"ENGINE": engine, "TESTING": True})
        assert app.config["BALLOT_KEY"] is None
        assert not ballots.is_configured()
        monkeypatch.setenv("BALLOT_KEY", "a-real-ballot-key")
        create_app({"ENGINE": engine, "TESTING": True})
        assert ballots._key() == ballots.derive("a-real-ballot-key") != ballots.derive("the-session-secret")
    finally:
        engine.dispose()
