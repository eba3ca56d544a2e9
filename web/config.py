"""Settings from the environment. Defaults serve the embedded SQLite database under instance/.

`load` is the one validation path: `create_app`, the `dienhinh` command line and gunicorn (the master's `on_starting`
hook in `web.ops.gunicorn_conf`, and `web.wsgi`) all go through it, and every malformed or missing setting is a
`ConfigError` whose message is one line naming the variable. In production (`DIENHINH_ENV=production`) nothing
secret is ever generated: SECRET_KEY, BALLOT_KEY (or BALLOT_KEY_FILE), AUDIT_SIGNING_KEY (an existing file),
DATABASE_URL and BASE_URL must be given."""
from __future__ import annotations

import os
import stat
from urllib.parse import urlsplit

from models.base import database_url
from notifications.outbox import address_domain

DEFAULT_BASE_URL = "http://127.0.0.1:5000"  # `make run`'s address; production sets BASE_URL
ENVIRONMENTS = ("development", "production")
TRUE = ("1", "true", "yes", "on")
FALSE = ("", "0", "false", "no", "off")
EXIT_CONFIG = 2  # the command line's exit status for a ConfigError
EXIT_APP_LOAD = 4  # gunicorn's APP_LOAD_ERROR: a worker exiting with it halts the master instead of being respawned


class ConfigError(RuntimeError, ValueError):
    """A setting is missing or malformed; the message is one line naming the variable. (Also a ValueError and a
    RuntimeError: what the settings that are now ConfigErrors used to raise.)"""


def error_line(err: ConfigError) -> str:
    """How a ConfigError is reported, everywhere: one line, no traceback."""
    return f"Lỗi cấu hình: {' '.join(str(err).split())}"


def is_production() -> bool:
    return environment() == "production"


def environment() -> str:
    value = os.environ.get("DIENHINH_ENV", "").strip().lower() or "development"
    if value not in ENVIRONMENTS:  # a typo ("prod") must not silently run without production's checks
        raise ConfigError(f"DIENHINH_ENV must be 'production' or 'development' (unset: development), not "
                          f"{os.environ.get('DIENHINH_ENV')!r}")
    return value


def load(instance_path: str, overrides: dict | None = None) -> dict:
    """Every setting, read from the environment, validated and normalised (then `overrides`, a test's config).
    Raises ConfigError (one line naming the variable) for anything missing or malformed."""
    production = is_production()
    if production:
        require_production_secrets()
    settings = from_env(instance_path)
    if overrides:
        settings.update(overrides)
    settings["DATABASE_URL"] = check_database_url(settings["DATABASE_URL"])
    check_mail_settings(settings)
    return settings


def require_production_secrets() -> None:
    """Production never generates a key of its own: each host would write a different one (sessions signed on one
    host refused by the next, ballots sealed with a key the other host lacks, checkpoints signed by nobody known)."""
    for name, example in (("SECRET_KEY", "python3 -c 'import secrets; print(secrets.token_hex(32))'"),
                          ("DATABASE_URL", "postgresql://dienhinh:…@db.internal:5432/dienhinh")):
        if not os.environ.get(name, "").strip():
            raise ConfigError(f"{name} is required in production (DIENHINH_ENV=production), the same on every host "
                              f"(e.g. {example})")
    if not os.environ.get("BALLOT_KEY", "").strip() and not os.environ.get("BALLOT_KEY_FILE", "").strip():
        raise ConfigError("BALLOT_KEY (or BALLOT_KEY_FILE, a file holding it) is required in production "
                          "(DIENHINH_ENV=production), its own secret, never SECRET_KEY")
    path = os.environ.get("AUDIT_SIGNING_KEY", "").strip()
    if not path:
        raise ConfigError("AUDIT_SIGNING_KEY is required in production (DIENHINH_ENV=production): the path of the "
                          "Ed25519 key that signs the audit checkpoints (openssl genpkey -algorithm ed25519 -out FILE)")
    if not os.path.isfile(path):
        raise ConfigError(f"AUDIT_SIGNING_KEY={path}: no such file (production never generates the key)")
    if not os.access(path, os.R_OK):
        raise ConfigError(f"AUDIT_SIGNING_KEY={path}: not readable by this user")


def from_env(instance_path: str) -> dict:
    production = is_production()
    secret = os.environ.get("SECRET_KEY") or _dev_secret(instance_path)
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{os.path.join(instance_path, 'dienhinh.db')}"
    storage_uri = check_storage_uri(os.environ.get("RATELIMIT_STORAGE_URI") or "memory://")
    audit_key = os.environ.get("AUDIT_SIGNING_KEY", "").strip()
    if not audit_key and not production:
        _tighten(os.path.join(instance_path, "audit_signing_key.pem"))  # generated 0600; an older one may be 0644
    return {
        "SECRET_KEY": secret,
        # Seals ballot slots: its own secret, never SECRET_KEY (see ballot_key). None: sessions cannot be opened.
        "BALLOT_KEY": ballot_key(instance_path, database_url),
        "DATABASE_URL": database_url,
        # Ed25519 key (PEM file) that signs the audit checkpoints and from which every audit event's MAC key is
        # derived; generated (mode 0600) under instance/ only in development (unset, not production, and a SQLite
        # database): hosts of one PostgreSQL database must share one key, never make their own. Checkpoints are
        # appended to one file per chain in AUDIT_CHECKPOINT_DIR.
        "AUDIT_SIGNING_KEY": audit_key or os.path.join(instance_path, "audit_signing_key.pem"),
        "AUDIT_SIGNING_KEY_GENERATE": not audit_key and not production and database_url.startswith("sqlite"),
        "AUDIT_CHECKPOINT_DIR": os.environ.get("AUDIT_CHECKPOINT_DIR") or os.path.join(instance_path,
                                                                                        "audit-checkpoints"),
        "MAX_CONTENT_LENGTH": 12 * 1024 * 1024,
        # The shortest publicity period (working days) a council may set and publish with: the decree's 10 by
        # default (workflow/council/scheduling.py); the test suite sets 0 to reach the council step at once.
        "PUBLICITY_MIN_WORKING_DAYS": publicity_minimum(os.environ.get("PUBLICITY_MIN_WORKING_DAYS")),
        "SMTP_HOST": os.environ.get("SMTP_HOST"),
        "SMTP_PORT": _port("SMTP_PORT", 25),
        "SMTP_USER": os.environ.get("SMTP_USER"),
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD"),
        "SMTP_STARTTLS": _flag("SMTP_STARTTLS"),
        "MAIL_FROM": os.environ.get("MAIL_FROM") or "dienhinh@localhost",
        # The address users reach the application at: absolute links in e-mails (see check_mail_settings).
        "BASE_URL": os.environ.get("BASE_URL") or None,
        "RATELIMIT_STORAGE_URI": storage_uri,
        # Redis unreachable: the limits are kept per process (a warning is logged) until it answers again, never a 500.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_STORAGE_OPTIONS": _storage_options(storage_uri),
        # Per address and username (guessing one password), and per address in total (an office behind one NAT).
        "RATELIMIT_LOGIN": _limit("RATELIMIT_LOGIN", "10 per minute"),
        "RATELIMIT_LOGIN_IP": _limit("RATELIMIT_LOGIN_IP", "200 per minute"),
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
        "LOG_FORMAT": _choice("LOG_FORMAT", ("json", "text"), "json" if production else "text"),
        "LOG_LEVEL": _choice("LOG_LEVEL", ("DEBUG", "INFO", "WARNING", "ERROR"), "INFO", upper=True),
        "READINESS_TIMEOUT": _seconds("READINESS_TIMEOUT", 0.8),
        "SENTRY_DSN": os.environ.get("SENTRY_DSN") or None,  # optional error reporting (web/ops/errors.py)
    }


def check_database_url(raw: str) -> str:
    """DATABASE_URL parsed and normalised (models.base.database_url: `postgres://` and `postgresql://` mean psycopg 3);
    SQLite or PostgreSQL only, with its driver installed, and for SQLite a directory that exists."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    shown = _without_password(raw)
    try:
        url = make_url(database_url(raw.strip()))
        dialect = url.get_dialect()
    except (ArgumentError, ValueError) as exc:
        raise ConfigError(f"DATABASE_URL is not a database URL ({shown}): expected sqlite:///PATH or "
                          f"postgresql://USER:PASSWORD@HOST:5432/NAME") from exc
    except NoSuchModuleError as exc:
        raise ConfigError(f"DATABASE_URL names an unknown database or driver '{make_url(raw.strip()).drivername}': "
                          f"use sqlite:///PATH or postgresql://… (psycopg 3)") from exc
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigError(f"DATABASE_URL: {url.get_backend_name()} is not supported, only SQLite and PostgreSQL "
                          f"({shown})")
    try:
        dialect.import_dbapi()
    except ImportError as exc:
        raise ConfigError(f"DATABASE_URL: the driver '{url.get_driver_name()}' is not installed ({exc.name}); "
                          f"postgresql:// uses psycopg 3, installed with the project") from exc
    if url.get_backend_name() == "sqlite":
        path = url.database or ""
        if path and path != ":memory:" and not path.startswith("file:"):
            folder = os.path.dirname(os.path.abspath(path))
            if not os.path.isdir(folder):
                raise ConfigError(f"DATABASE_URL: the folder {folder} of the SQLite database does not exist")
    elif not url.database:
        raise ConfigError(f"DATABASE_URL names no database ({shown}): postgresql://USER:PASSWORD@HOST:5432/NAME")
    return url.render_as_string(hide_password=False)


def _without_password(raw: str) -> str:
    parts = urlsplit(raw.strip())
    if parts.password:
        return raw.strip().replace(f":{parts.password}@", ":***@", 1)
    return raw.strip()


STORAGE_SCHEMES = ("memory", "redis", "rediss", "redis+sentinel", "redis+cluster")


def check_storage_uri(uri: str) -> str:
    scheme = uri.split("://", 1)[0] if "://" in uri else ""
    if scheme not in STORAGE_SCHEMES:
        raise ConfigError(f"RATELIMIT_STORAGE_URI must be memory:// or redis://HOST:6379 (rediss:// for TLS), "
                          f"not {uri!r}")
    return uri


def _limit(name: str, default: str) -> str:
    from limits import parse_many

    value = (os.environ.get(name) or default).strip()
    try:
        parse_many(value)
    except ValueError:
        raise ConfigError(f"{name} must be a rate such as '10 per minute' or '200/hour', not {value!r}") from None
    return value


def _port(name: str, default: int) -> int:
    raw = (os.environ.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise ConfigError(f"{name} must be a port number from 1 to 65535, not {raw!r}")
    return int(raw)


MAX_TRUSTED_PROXIES = 5
DEFAULT_PUBLICITY_MIN_WORKING_DAYS = 10  # Nghị định 98/2023/NĐ-CP (workflow.council.scheduling)


def publicity_minimum(raw: str | None) -> int:
    """PUBLICITY_MIN_WORKING_DAYS: 0 to 60 working days; unset, the decree's 10. A bad value is a ConfigError."""
    value = (raw or "").strip()
    if not value:
        return DEFAULT_PUBLICITY_MIN_WORKING_DAYS
    if not value.isdigit() or int(value) > 60:
        raise ConfigError(f"PUBLICITY_MIN_WORKING_DAYS must be a number of working days from 0 to 60 (unset: "
                          f"{DEFAULT_PUBLICITY_MIN_WORKING_DAYS}), not {raw!r}")
    return int(value)


def trusted_proxies(raw: str | None) -> int:
    """TRUSTED_PROXIES: how many proxies in front append to X-Forwarded-For (nginx alone: 1). 0 (the default) trusts
    no forwarding header. A bad value is a ConfigError naming the variable."""
    value = (raw or "0").strip()
    if not value.isdigit() or int(value) > MAX_TRUSTED_PROXIES:
        raise ConfigError(f"TRUSTED_PROXIES must be the number of proxies in front of the application, "
                          f"0 to {MAX_TRUSTED_PROXIES} (nginx alone: 1), not {raw!r}")
    return int(value)


def _flag(name: str) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if value not in TRUE + FALSE:
        raise ConfigError(f"{name} must be 1/true/yes or 0/false/no, not {os.environ.get(name)!r}")
    return value in TRUE


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
        raise ConfigError(f"{name} must be one of {', '.join(allowed)}, not {os.environ.get(name)!r}")
    return value


def _seconds(name: str, default: float) -> float:
    raw = os.environ.get(name)
    try:
        value = float(raw) if raw else default
    except ValueError:
        value = -1.0
    if not 0 < value <= 60:
        raise ConfigError(f"{name} must be a number of seconds between 0 and 60 (e.g. 0.8), not {raw!r}")
    return value


def _dev_secret(instance_path: str) -> str:
    """A random key kept in instance/ so sessions survive restarts of `make run`; production sets SECRET_KEY."""
    return _dev_key_file(os.path.join(instance_path, "secret_key"))


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
            raise ConfigError(f"BALLOT_KEY_FILE={path} cannot be read: {exc.strerror}") from exc
        if not value:
            raise ConfigError(f"BALLOT_KEY_FILE={path} is empty")
        return value
    if database_url.startswith("sqlite") and not is_production():
        return _dev_key_file(os.path.join(instance_path, BALLOT_KEY_FILE_NAME))
    return None


def _dev_key_file(path: str) -> str:
    """A random key in its own file, created with mode 0600 (never readable by another account, whatever the umask);
    an existing file is read, its mode tightened to 0600 first (`instance/secret_key` used to be written 0644)."""
    try:
        _tighten(path)
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


def _tighten(path: str) -> None:
    """A development key file readable by group or others is made 0600 (ours only)."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return
    if mode & 0o077:
        try:
            os.chmod(path, 0o600)
        except PermissionError as exc:
            raise ConfigError(f"{path} is readable by other accounts (mode {mode:o}) and cannot be made 0600: "
                              f"{exc.strerror}") from exc


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
    config["BASE_URL"] = check_base_url(config.get("BASE_URL"), production=is_production())
    if address_domain(config.get("MAIL_FROM")) is None:
        raise ConfigError(f"MAIL_FROM must be an e-mail address with a domain, such as dienhinh@stp.example.gov.vn, "
                          f"not {config.get('MAIL_FROM')!r}")
