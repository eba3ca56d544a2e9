"""Settings from the environment. Defaults serve the embedded SQLite database under instance/."""
from __future__ import annotations

import os


def from_env(instance_path: str) -> dict:
    secret = os.environ.get("SECRET_KEY") or _dev_secret(instance_path)
    return {
        "SECRET_KEY": secret,
        # Seals ballot choices; keep it stable between a council's votes and its close (defaults to SECRET_KEY).
        "BALLOT_KEY": os.environ.get("BALLOT_KEY") or secret,
        "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{os.path.join(instance_path, 'dienhinh.db')}",
        # Ed25519 key (PEM file) that signs the audit checkpoints; generated (mode 0600) under instance/ only when
        # unset, i.e. in development. Checkpoints are appended to one file per chain in AUDIT_CHECKPOINT_DIR.
        "AUDIT_SIGNING_KEY": (os.environ.get("AUDIT_SIGNING_KEY")
                              or os.path.join(instance_path, "audit_signing_key.pem")),
        "AUDIT_SIGNING_KEY_GENERATE": not os.environ.get("AUDIT_SIGNING_KEY"),
        "AUDIT_CHECKPOINT_DIR": os.environ.get("AUDIT_CHECKPOINT_DIR") or os.path.join(instance_path,
                                                                                        "audit-checkpoints"),
        "UPLOAD_ROOT": os.environ.get("UPLOAD_ROOT") or os.path.join(instance_path, "uploads"),
        "MAX_CONTENT_LENGTH": 12 * 1024 * 1024,
        "SMTP_HOST": os.environ.get("SMTP_HOST"),
        "SMTP_PORT": int(os.environ.get("SMTP_PORT") or 25),
        "SMTP_USER": os.environ.get("SMTP_USER"),
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD"),
        "SMTP_STARTTLS": os.environ.get("SMTP_STARTTLS", "").lower() in ("1", "true", "yes"),
        "MAIL_FROM": os.environ.get("MAIL_FROM") or "dienhinh@localhost",
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        # Per address and username (guessing one password), and per address in total (an office behind one NAT).
        "RATELIMIT_LOGIN": os.environ.get("RATELIMIT_LOGIN", "10 per minute"),
        "RATELIMIT_LOGIN_IP": os.environ.get("RATELIMIT_LOGIN_IP", "200 per minute"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "RATELIMIT_STRATEGY": "moving-window",  # no burst at a window's edge (fixed windows allow twice the rate)
        "BABEL_DEFAULT_LOCALE": "vi",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,
    }


def _dev_secret(instance_path: str) -> str:
    """A random key kept in instance/ so sessions survive restarts of `make run`; production sets SECRET_KEY."""
    path = os.path.join(instance_path, "secret_key")
    if os.path.exists(path):
        with open(path) as fh:
            return fh.read().strip()
    os.makedirs(instance_path, exist_ok=True)
    key = os.urandom(32).hex()
    with open(path, "w") as fh:
        fh.write(key)
    return key
