"""The audit trail's key (AUDIT_SIGNING_KEY): every process that appends derives the events' MAC key from it, so the
application does not start without it, and only development (SQLite) generates one."""
from __future__ import annotations

import pytest

from models import make_engine
from notifications import audit
from notifications import audit_checkpoints as cps
from web.config import ConfigError

POSTGRES = "postgresql://dienhinh@db.internal:5432/dienhinh"


@pytest.fixture(autouse=True)
def _keep_audit_key(monkeypatch):
    for name in ("AUDIT_SIGNING_KEY", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SECRET_KEY", "t")
    saved = dict(audit._STATE)
    yield
    audit._STATE.clear()
    audit._STATE.update(saved)


def test_production_without_the_key_does_not_start_nor_make_one(tmp_path, monkeypatch):
    from web import create_app

    monkeypatch.setenv("DATABASE_URL", POSTGRES)
    engine = make_engine(f"sqlite:///{tmp_path / 'app.db'}")
    try:
        with pytest.raises(ConfigError, match="AUDIT_SIGNING_KEY"):
            create_app({"ENGINE": engine, "TESTING": True}, instance_path=str(tmp_path / "instance"))
        assert not (tmp_path / "instance" / "audit_signing_key.pem").exists()
        monkeypatch.setenv("AUDIT_SIGNING_KEY", str(tmp_path / "absent.pem"))
        with pytest.raises(ConfigError, match="AUDIT_SIGNING_KEY"):
            create_app({"ENGINE": engine, "TESTING": True}, instance_path=str(tmp_path / "instance"))
    finally:
        engine.dispose()


def test_the_app_configures_the_mac_key_derived_from_its_signing_key(tmp_path, monkeypatch):
    from web import create_app

    engine = make_engine(f"sqlite:///{tmp_path / 'app.db'}")
    try:
        audit.configure(None)
        app = create_app({"ENGINE": engine, "TESTING": True}, instance_path=str(tmp_path / "instance"))
        key = cps.load_signing_key(app.config["AUDIT_SIGNING_KEY"])  # development: generated under instance/
        assert audit.mac_key() == audit.mac_key_from(key)
        assert audit.mac_key() not in (key.private_bytes_raw(), cps.public_raw(key))  # a key of its own
    finally:
        engine.dispose()


def test_appending_without_the_key_is_refused(db):
    audit.configure(None)
    with pytest.raises(audit.MacKeyMissing):
        audit.append(db, action="test.nokey")
    db.rollback()


def test_the_fast_hmac_is_hmac_sha256():
    import hashlib
    import hmac

    for key in (b"k" * 32, b"", b"x" * 100):
        inner, outer = audit.hmac_states(key)
        i = inner.copy()
        i.update(b"abc")
        o = outer.copy()
        o.update(i.digest())
        assert o.hexdigest() == hmac.new(key, b"abc", hashlib.sha256).hexdigest()


def test_the_receivers_mac_is_mac_of_under_every_key_in_turn():
    """`_mac` keeps the states of the last key it was given (one key is configured at a time): the same MAC as
    `mac_of`, and a new key (configured again, another test's) is never signed with the states of the one before."""
    import os

    keys = [b"k" * 32, os.urandom(32), b"", b"x" * 100, b"k" * 32]
    for key in keys + keys[::-1]:
        for hash_ in ("0" * 64, "abc", "đ"):
            assert audit._mac(key, hash_) == audit.mac_of(key, hash_)
