"""Settings from the environment. Defaults serve the embedded SQLite database under instance/."""
from __future__ import annotations

import os
from urllib.parse import urlsplit

DEFAULT_BASE_URL = "http://127.0.0.1:5000"  # `make run`'s address; production sets BASE_URL


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message is one line naming the variable."""


def from_env(instance_path: str) -> dict:
    secret = os.environ.get("SECRET_KEY") or _dev_secret(instance_path)
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{os.path.join(instance_path, 'dienhinh.db')}"
    storage_uri = os.environ.get("RATELIMIT_STORAGE_URI") or "memory://"
    return {
        "SECRET_KEY": secret,
        # Seals ballot slots: its own secret, never SECRET_KEY (see ballot_key). None: sessions cannot be opened.
        "BALLOT_KEY": ballot_key(instance_path, database_url),
        "DATABASE_URL": database_url,
        # Ed25519 key (PEM file) that signs the audit checkpoints and from which every audit event's MAC key is
        # derived; generated (mode 0600) under instance/ only in development (unset, and a SQLite database): hosts
        # of one PostgreSQL database must share one key, never make their own. Checkpoints are appended to one file
        # per chain in AUDIT_CHECKPOINT_DIR.
        "AUDIT_SIGNING_KEY": (os.environ.get("AUDIT_SIGNING_KEY")
                              or os.path.join(instance_path, "audit_signing_key.pem")),
        "AUDIT_SIGNING_KEY_GENERATE": not os.environ.get("AUDIT_SIGNING_KEY") and database_url.startswith("sqlite"),
        "AUDIT_CHECKPOINT_DIR": os.environ.get("AUDIT_CHECKPOINT_DIR") or os.path.join(instance_path,
                                                                                        "audit-checkpoints"),
        "MAX_CONTENT_LENGTH": 12 * 1024 * 1024,
        "SMTP_HOST": os.environ.get("SMTP_HOST"),
        "SMTP_PORT": int(os.environ.get("SMTP_PORT") or 25),
        "SMTP_USER": os.environ.get("SMTP_USER"),
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD"),
        "SMTP_STARTTLS": os.environ.get("SMTP_STARTTLS", "").lower() in ("1", "true", "yes"),
        "MAIL_FROM": os.environ.get("MAIL_FROM") or "dienhinh@localhost",
        # The address users reach the application at: absolute links in e-mails (see check_mail_settings).
        "BASE_URL": os.environ.get("BASE_URL") or None,
        "RATELIMIT_STORAGE_URI": storage_uri,
        # Redis unreachable: the limits are kept per process (a warning is logged) until it answers again, never a 500.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_STORAGE_OPTIONS": _storage_options(storage_uri),
        # Per address and username (guessing one password), and per address in total (an office behind one NAT).
        "RATELIMIT_LOGIN": os.environ.get("RATELIMIT_LOGIN", "10 per minute"),
        "RATELIMIT_LOGIN_IP": os.environ.get("RATELIMIT_LOGIN_IP", "200 per minute"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "RATELIMIT_STRATEGY": "moving-window",  # no burst at a window's edge (fixed windows allow twice the rate)
        "BABEL_DEFAULT_LOCALE": "vi",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Secure anyway when the request came over HTTPS (web/security.py); 1 forces it on every response.
        "SESSION_COOKIE_SECURE": _flag("SESSION_COOKIE_SECURE"),
        "REMEMBER_COOKIE_SECURE": _flag("SESSION_COOKIE_SECURE"),  # flask-login's; "remember me" is not offered
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # Proxy hops in front of the application whose X-Forwarded-For/-Proto are believed (web/security.py).
        "TRUSTED_PROXIES": trusted_proxies(os.environ.get("TRUSTED_PROXIES")),
        "WTF_CSRF_TIME_LIMIT": None,
        # Operations (web/ops): log lines as JSON (production's default) or text; /readyz's deadline in seconds.
        "LOG_FORMAT": _choice("LOG_FORMAT", ("json", "text"),
                              "json" if os.environ.get("DIENHINH_ENV") == "production" else "text"),
        "LOG_LEVEL": _choice("LOG_LEVEL", ("DEBUG", "INFO", "WARNING", "ERROR"), "INFO", upper=True),
        "READINESS_TIMEOUT": _seconds("READINESS_TIMEOUT", 0.8),
        "SENTRY_DSN": os.environ.get("SENTRY_DSN") or None,  # optional error reporting (web/ops/errors.py)
    }


MAX_TRUSTED_PROXIES = 5


def trusted_proxies(raw: str | None) -> int:
    """TRUSTED_PROXIES: how many proxies in front append to X-Forwarded-For (nginx alone: 1). 0 (the default) trusts
    no forwarding header. A bad value is a ConfigError naming the variable."""
    value = (raw or "0").strip()
    if not value.isdigit() or int(value) > MAX_TRUSTED_PROXIES:
        raise ConfigError(f"TRUSTED_PROXIES must be the number of proxies in front of the application, "
                          f"0 to {MAX_TRUSTED_PROXIES} (nginx alone: 1), not {raw!r}")
    return int(value)


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes")


REDIS_TIMEOUT = 0.5  # seconds: a Redis that does not answer costs a login a few of these, then it is skipped


def _storage_options(uri: str) -> dict:
    """redis-py options for the rate limits' storage: short timeouts and a single immediate retry (redis-py's default
    retries with back-off would hold a login for seconds while Redis is down)."""
    if not uri.startswith(("redis://", "rediss://", "redis+")):
        return {}
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return {"socket_connect_timeout": REDIS_TIMEOUT, "socket_timeout": REDIS_TIMEOUT, "retry": Retry(NoBackoff(), 1)}


def _choice(name: str, allowed: tuple[str, ...], default: str, *, upper: bool = False) -> str:
    value = (os.environ.get(name) or default).strip()
    value = value.upper() if upper else value.lower()
    if value not in allowed:
        raise ValueError(f"{name}={value!r}: must be one of {', '.join(allowed)}")
    return value


def _seconds(name: str, default: float) -> float:
    raw = os.environ.get(name)
    try:
        value = float(raw) if raw else default
    except ValueError:
        value = -1.0
    if not 0 < value <= 60:
        raise ValueError(f"{name}={raw!r}: must be a number of seconds between 0 and 60")
    return value


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


BALLOT_KEY_FILE_NAME = "ballot.key"


def ballot_key(instance_path: str, database_url: str) -> str | None:
    """BALLOT_KEY, its own secret (never derived from nor defaulting to SECRET_KEY):
    1. the environment's BALLOT_KEY;
    2. else the file named by BALLOT_KEY_FILE (a missing or empty file is an error, never a fallback);
    3. else, in development (a SQLite database, e.g. `make run`), `instance/ballot.key`, generated once with mode 0600;
    4. else (PostgreSQL: production) None — the application runs, but no council session can be opened."""
    value = os.environ.get("BALLOT_KEY", "").strip()
    if value:
        return value
    path = os.environ.get("BALLOT_KEY_FILE", "").strip()
    if path:
        try:
            with open(path) as fh:
                value = fh.read().strip()
        except OSError as exc:
            raise RuntimeError(f"BALLOT_KEY_FILE={path} cannot be read: {exc.strerror}") from exc
        if not value:
            raise RuntimeError(f"BALLOT_KEY_FILE={path} is empty")
        return value
    if database_url.startswith("sqlite"):
        return _dev_key_file(os.path.join(instance_path, BALLOT_KEY_FILE_NAME))
    return None


def _dev_key_file(path: str) -> str:
    """A random key in its own file, created with mode 0600 (never readable by another account, whatever the umask);
    an existing file is read as it is."""
    try:
        with open(path) as fh:
            value = fh.read().strip()
        if value:
            return value
    except FileNotFoundError:
        pass
    os.makedirs(os.path.dirname(path), exist_ok=True)
    key = os.urandom(32).hex()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # O_CREAT's mode does not apply to a file that already existed (empty)
        os.write(fd, key.encode())
    finally:
        os.close(fd)
    return key


def check_base_url(value: str | None, *, production: bool = False) -> str:
    """BASE_URL as an absolute http(s) URL without a trailing slash (a path prefix is kept: https://host/dienhinh).
    Unset: the development address, except in production where e-mails would carry wrong links."""
    if not value:
        if production:
            raise ConfigError("BASE_URL is required in production (e.g. https://dienhinh.stp.example.gov.vn): "
                              "e-mails link to it")
        return DEFAULT_BASE_URL
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment \
            or parts.username or parts.password or any(c.isspace() for c in value.strip()):
        raise ConfigError(f"BASE_URL must be an absolute http(s) URL such as https://dienhinh.example.gov.vn, "
                          f"not {value!r}")
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise ConfigError(f"BASE_URL has an invalid port: {value!r}") from None
    return value.strip().rstrip("/")


def check_mail_settings(config: dict) -> None:
    """Validates and normalises BASE_URL and MAIL_FROM (its domain names the Message-IDs) in place."""
    from notifications.outbox import address_domain

    config["BASE_URL"] = check_base_url(config.get("BASE_URL"),
                                        production=os.environ.get("DIENHINH_ENV") == "production")
    if address_domain(config.get("MAIL_FROM")) is None:
        raise ConfigError(f"MAIL_FROM must be an e-mail address with a domain, such as dienhinh@stp.example.gov.vn, "
                          f"not {config.get('MAIL_FROM')!r}")
