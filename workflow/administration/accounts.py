"""Authentication: passwords (werkzeug's salted hashes) and API tokens (only their SHA-256 is stored)."""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
import threading
from collections import OrderedDict
from typing import NamedTuple

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from models import ROLES, ApiToken, DataStamp, Notification, Unit, User, UserRole, UserSession
from models.plain import PlainSelect
from models.stamps import ACCOUNTS, CHOICES
from workflow import clock, events, inputs, policy, signals
from workflow.administration import passwords
from workflow.context import CLI, Context
from workflow.errors import AuthenticationFailed, NotFound, ValidationFailed
from workflow.nominations.queries import page_params, paginate

# werkzeug's default (scrypt). Tests lower the cost through this setting, never production.
HASH_SETTINGS = {"method": "scrypt"}
_DUMMY_HASH = generate_password_hash("not-a-password")


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=HASH_SETTINGS["method"])


def authenticate(session: Session, username: str, password: str, *, context: Context = CLI) -> User:
    """Returns the user or raises AuthenticationFailed; both outcomes are signalled for the audit trail. A username
    the text rule refuses (a NUL, a control character) matches nobody: it fails, audited as written (`\\uXXXX`)."""
    if inputs.problem((username or "").strip(), long=False):
        signals.emit(session, events.LoginFailed(username=inputs.visible(username)[:80], context=context))
        raise AuthenticationFailed("Tên đăng nhập hoặc mật khẩu không đúng.")
    user = session.scalar(select(User).where(User.username == (username or "").strip()))
    # Compare against a dummy hash for unknown users so timing does not reveal which usernames exist.
    ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, password or "")
    if not (ok and user is not None and user.active):
        signals.emit(session, events.LoginFailed(username=(username or "")[:80], context=context))
        raise AuthenticationFailed("Tên đăng nhập hoặc mật khẩu không đúng.")
    signals.emit(session, events.LoginSucceeded(user=user, actor=user, context=context))
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> dt.datetime:
    return clock.now()


# ------------------------------------------------------------------------------------------------ sessions (pages)
# A signed-in browser is a `UserSession` row; its cookie holds a random secret, the row only the secret's SHA-256.
# Logging out deletes the row (only that browser's session ends: what "Đăng xuất" means to a user); a password change
# or reset and a deactivation delete every row of the user.

def start_session(session: Session, user: User) -> str:
    """A new server-side session for `user`; returns the secret the session cookie carries. The caller commits."""
    secret = secrets.token_urlsafe(32)
    session.add(UserSession(user_id=user.id, secret_hash=_digest(secret)))
    session.flush()
    return secret


class SessionCaller(NamedTuple):
    """Who a signed-in browser is, and the header's unread count read in the same statement (every page shows it),
    with the stamp of the units and campaigns (`models.stamps`) as of that statement: the list page's filter choices
    are kept per stamp (`choices.list_filters`)."""

    actor: policy.Actor
    unread_notifications: int
    choices_stamp: str | None = None


def caller_for_session(session: Session, user_id: int, secret: str | None) -> SessionCaller | None:
    """The user of a live session, their Actor and their unread notifications in one statement
    (`policy.caller_columns`): what every page request of a signed-in browser pays to know who is asking and what its
    header shows. Only a live session signs in: the cookie's user id and secret must name a row that still exists (not
    logged out, not ended by a password change or a deactivation), and the account must be active. The count is
    the one at the start of the request: a page that changes it in the same request asks again. Plain rows, as the
    API's caller (`caller_for_token`): the ORM User is loaded only if a path asks for `actor.user`."""
    if not isinstance(secret, str) or not secret or len(secret) > 200:
        return None
    rows = _session_caller().all(session, {"secret_hash": _digest(secret), "user_id": user_id,
                                           "today": clock.today()})
    if not rows:
        return None
    first = rows[0]
    return SessionCaller(policy.actor_from_columns(session, rows), first[policy.CALLER_COLUMNS] or 0,
                         first[policy.CALLER_COLUMNS + 1])


def actor_for_session(session: Session, user_id: int, secret: str | None) -> policy.Actor | None:
    """The Actor of a live session (`caller_for_session` without the count)."""
    caller = caller_for_session(session, user_id, secret)
    return caller.actor if caller is not None else None


@functools.cache
def _session_caller() -> PlainSelect:
    """Built once (run on every page request; only its parameters change): building a statement costs more CPU than
    SQLite takes to run it. The unread count is a correlated subquery on the inbox's `(user_id, read_at, id)` index
    (an index-only count), evaluated per role row: a handful at most. The choices' stamp is one row read by its
    key (an InitPlan, evaluated once): the list page then needs no statement for its filters
    while nothing changed them."""
    unread = (select(func.count(Notification.id)).where(Notification.user_id == User.id,
                                                         Notification.read_at.is_(None))
              .correlate(User).scalar_subquery().label("unread"))
    stamp = select(DataStamp.stamp).where(DataStamp.name == CHOICES).scalar_subquery().label("choices_stamp")
    return PlainSelect(policy.caller_columns(unread, stamp, today=bindparam("today"))
                       .join(UserSession, UserSession.user_id == User.id)
                       .where(UserSession.secret_hash == bindparam("secret_hash"), User.id == bindparam("user_id"),
                              User.active.is_(True)))


def end_session(session: Session, secret: str | None) -> bool:
    """Logout: deletes this browser's session row (a copy of its cookie is refused from now on)."""
    if not isinstance(secret, str) or not secret:
        return False
    return bool(session.execute(delete(UserSession).where(UserSession.secret_hash == _digest(secret))).rowcount)


def end_all_sessions(session: Session, user_id: int) -> int:
    return session.execute(delete(UserSession).where(UserSession.user_id == user_id)).rowcount or 0


def sign_out_everywhere(session: Session, user: User) -> dict:
    """Ends every session and revokes every API token of `user` (password change or reset, deactivation). Returns the
    counts, for the audit event of the action that caused it."""
    return {"sessions_ended": end_all_sessions(session, user.id), "tokens_revoked": _revoke_tokens(session, user.id)}


# ------------------------------------------------------------------------------------------------ API tokens
DEFAULT_TOKEN_DAYS = 90
MAX_TOKEN_DAYS = 3650
TOKEN_NAME_MAX = 100
LAST_USED_PRECISION = dt.timedelta(minutes=1)  # `last_used_at` is written at most once a minute per token


def _token_name(name) -> str:
    name = " ".join(name.split()) if isinstance(name, str) else ""
    if len(name) > TOKEN_NAME_MAX:
        raise ValidationFailed("Tên mã truy cập quá dài.", [f"Tối đa {TOKEN_NAME_MAX} ký tự."],
                               {"name": f"Tối đa {TOKEN_NAME_MAX} ký tự."})
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise ValidationFailed("Tên mã truy cập không hợp lệ.", ["Tên không được chứa ký tự điều khiển."],
                               {"name": "Tên không được chứa ký tự điều khiển."})
    return name


def create_token(session: Session, user: User, *, expires_days: int = DEFAULT_TOKEN_DAYS, name: str = "",
                 actor=None, context: Context = CLI) -> tuple[str, ApiToken]:
    """A new API token for `user`, valid `expires_days` days (1 to 3650; default 90). Returns the secret (shown
    once, never stored: only its SHA-256 is) and the row. Audited as `account.token_issue` (`actor`: who issued it;
    None from the command line). The caller commits."""
    if isinstance(expires_days, bool) or not isinstance(expires_days, int) or not 1 <= expires_days <= MAX_TOKEN_DAYS:
        raise ValidationFailed("Thời hạn mã truy cập không hợp lệ.",
                               [f"Số ngày hiệu lực từ 1 đến {MAX_TOKEN_DAYS}."],
                               {"expires_days": f"Từ 1 đến {MAX_TOKEN_DAYS} ngày."})
    if not user.active:
        raise ValidationFailed("Tài khoản đã bị khóa.", ["Không cấp mã truy cập cho tài khoản bị khóa."])
    name = _token_name(name)
    secret = secrets.token_urlsafe(32)
    now = _now()
    row = ApiToken(user_id=user.id, token_hash=_digest(secret), name=name, created_at=now,
                   expires_at=now + dt.timedelta(days=expires_days))
    session.add(row)
    session.flush()
    signals.emit(session, events.TokenIssued(user_id=user.id, username=user.username, token_id=row.id, name=name,
                                             expires_at=row.expires_at.isoformat(), actor=actor, context=context))
    return secret, row


def issue_token(session: Session, user: User, *, expires_days: int = DEFAULT_TOKEN_DAYS, name: str = "",
                actor=None, context: Context = CLI) -> str:
    """`create_token`, returning only the secret."""
    return create_token(session, user, expires_days=expires_days, name=name, actor=actor, context=context)[0]


def _live_tokens(now: dt.datetime):
    return (ApiToken.revoked.is_(False)) & (ApiToken.expires_at > now)


def token_for(session: Session, token: str) -> ApiToken | None:
    """The live token row of a bearer secret: not revoked, not expired, its user active; else None."""
    if not token or not isinstance(token, str):
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token), _live_tokens(_now())))
    if row is None or not row.user.active:
        return None
    return row


def user_for_token(session: Session, token: str) -> User | None:
    row = token_for(session, token)
    return row.user if row is not None else None


class TokenCaller(NamedTuple):
    """Who a bearer token speaks for, and what the token-use note needs (`kept`: the process's entry for the token,
    whose `last_used_at` the note updates: `token_use_noted`)."""

    actor: policy.Actor
    token_id: int
    last_used_at: dt.datetime | None
    kept: _KeptCaller | None = None


class _KeptCaller:
    """A token's caller rows as one statement read them, with the accounts stamp (`models.stamps.ACCOUNTS`) read in
    the same statement (one snapshot), the day its delegation was read for, and what a later request checks in Python
    (the token's expiry) or updates (its last use). Plain values only: never an Actor (it holds a request's session),
    never the secret (kept under its SHA-256)."""

    __slots__ = ("rows", "stamp", "day", "expires_at", "token_id", "last_used_at")

    def __init__(self, rows: list[tuple], day: dt.date):
        first = rows[0]
        self.rows = rows
        self.day = day
        self.token_id, self.last_used_at, self.expires_at, self.stamp = first[policy.CALLER_COLUMNS:]


TOKEN_CALLERS_KEPT = 1024  # tokens whose callers a process keeps (the least recently used forgotten first)
_kept_callers: OrderedDict[str, _KeptCaller] = OrderedDict()
_kept_lock = threading.Lock()


def caller_for_token(session: Session, token: str, *, reads: Connection | None = None) -> TokenCaller | None:
    """`token_for` and the user's Actor (`policy.caller_columns`), found by the token's SHA-256 (a unique index): what
    every API request pays to know who is asking. The same refusals: revoked, expired, user locked. The rows are plain
    (`PlainSelect`): the Actor is built from the user's columns and loads the ORM User only if a path asks for it, as
    few do (issue 13: hydrating the User, its roles and unit was ~40% of the caller's CPU). `reads`: a connection to
    read on instead of the session's (a read without the ORM); the Actor keeps `session` for what it loads later.

    Kept across requests (issue 13: the caller's statement joined five tables, ~11% of a transition's CPU): the rows
    of a token are kept in the process with the accounts stamp read in the same statement. A later request reads only
    the stamp (one row by its key, on the same connection, so in the same transaction as the request's work); the kept
    rows answer when the stamp is the same (nothing the statement reads has changed since: every change of `users`,
    `units`, `user_roles`, `delegations` or `api_tokens` but a `last_used_at` note writes a new random stamp in its
    own transaction, whoever makes it), the token has not expired by now (checked here: time passes without a change)
    and it is the same day (the delegation in force is read for a day). Anything else reads the statement again."""
    if not token or not isinstance(token, str):
        return None
    digest = _digest(token)
    source = reads if reads is not None else session
    now, today = _now(), clock.today()
    kept = _kept_callers.get(digest)
    if kept is None or kept.day != today or kept.expires_at <= now or _stamp().scalar(source, {}) != kept.stamp:
        rows = _token_caller().all(source, {"token_hash": digest, "now": now, "today": today})
        kept = _keep(digest, rows, today)
        if kept is None:
            return None
    else:
        with _kept_lock:
            if digest in _kept_callers:
                _kept_callers.move_to_end(digest)
    return TokenCaller(policy.actor_from_columns(session, kept.rows), kept.token_id, kept.last_used_at, kept)


def _keep(digest: str, rows: list[tuple], today: dt.date) -> _KeptCaller | None:
    """The rows just read, kept for the next request (none: the token is refused, and forgotten). Without a stamp (the
    row missing) they are used once and not kept."""
    if not rows:
        with _kept_lock:
            _kept_callers.pop(digest, None)
        return None
    kept = _KeptCaller(rows, today)
    if kept.stamp is not None:
        with _kept_lock:
            _kept_callers[digest] = kept
            _kept_callers.move_to_end(digest)
            while len(_kept_callers) > TOKEN_CALLERS_KEPT:
                _kept_callers.popitem(last=False)
    return kept


def forget_callers() -> None:
    """Empties the process's kept callers (tests that count a cold request's statements)."""
    with _kept_lock:
        _kept_callers.clear()


@functools.cache
def _token_caller() -> PlainSelect:
    """Built once, like `_session_caller` (run on every API request that keeps no caller). The accounts stamp is one
    row read by its key (an InitPlan, evaluated once), in the statement's snapshot."""
    stamp = select(DataStamp.stamp).where(DataStamp.name == ACCOUNTS).scalar_subquery().label("accounts_stamp")
    return PlainSelect(policy.caller_columns(ApiToken.id.label("token_id"), ApiToken.last_used_at,
                                             ApiToken.expires_at, stamp, today=bindparam("today"))
                       .join(ApiToken, ApiToken.user_id == User.id)
                       .where(ApiToken.token_hash == bindparam("token_hash"), _live_tokens(bindparam("now")),
                              User.active.is_(True)))


@functools.cache
def _stamp() -> PlainSelect:
    """The accounts stamp alone: what a request with a kept caller reads instead of the caller's statement."""
    return PlainSelect(select(DataStamp.stamp).where(DataStamp.name == ACCOUNTS))


def token_use_noted(caller: TokenCaller, now: dt.datetime) -> None:
    """The token-use note was written (or found written by another process within the minute): the kept caller says
    so, as the statement would read it, so the next request does not note it again. (The note writes no stamp.)"""
    if caller.kept is not None:
        caller.kept.last_used_at = now


def token_use_due(row: ApiToken | TokenCaller, now: dt.datetime | None = None) -> bool:
    now = now or _now()
    return row.last_used_at is None or now - row.last_used_at >= LAST_USED_PRECISION


def record_token_use(session: Session, token_id: int, now: dt.datetime | None = None) -> None:
    """Sets `last_used_at` (to the minute: skipped when written less than a minute ago). The caller commits, in a
    short transaction of its own (web.api.base): a read through the API must not hold a write lock."""
    now = now or _now()
    session.execute(update(ApiToken).where(ApiToken.id == token_id,
                                           (ApiToken.last_used_at.is_(None))
                                           | (ApiToken.last_used_at <= now - LAST_USED_PRECISION))
                    .values(last_used_at=now))


def list_tokens(session: Session, actor, *, page=1, per_page=None):
    """The caller's own live tokens (neither revoked nor expired), newest first."""
    page, per_page = page_params(page, per_page)
    stmt = (select(ApiToken).where(ApiToken.user_id == actor.id, _live_tokens(_now()))
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc()))
    return paginate(session, stmt, page, per_page)


def get_own_token(session: Session, actor, token_id) -> ApiToken:
    """One live token of the caller; another user's token, a revoked or expired one is 404 (reveals nothing)."""
    row = session.get(ApiToken, token_id) if isinstance(token_id, int) and not isinstance(token_id, bool) else None
    if row is None or row.user_id != actor.id or row.revoked or row.expires_at <= _now():
        raise NotFound("Không tìm thấy mã truy cập.")
    return row


def revoke_token(session: Session, actor, token_id, *, context: Context = CLI) -> ApiToken:
    """The owner revokes one of their tokens; it answers 401 from now on. Audited as `account.token_revoke`."""
    row = get_own_token(session, actor, token_id)
    row.revoked, row.revoked_at = True, _now()
    session.flush()
    signals.emit(session, events.TokenRevoked(user_id=row.user_id, username=actor.username, token_id=row.id,
                                              name=row.name, actor=actor, context=context))
    return row


def _revoke_tokens(session: Session, user_id: int) -> int:
    return session.execute(update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked.is_(False))
                           .values(revoked=True, revoked_at=_now())).rowcount or 0


def revoke_all_tokens(session: Session, user: User, *, actor=None, context: Context = CLI) -> int:
    """Revokes every token of `user` (`dienhinh users revoke-tokens`). Audited as `account.tokens_revoke_all`."""
    count = _revoke_tokens(session, user.id)
    signals.emit(session, events.TokensRevokedAll(user_id=user.id, username=user.username, tokens_revoked=count,
                                                  actor=actor, context=context))
    return count


def create_user(session: Session, username: str, *, roles: list[str], password: str, unit_code: str | None = None,
                full_name: str = "", email: str | None = None, person_id: int | None = None,
                demo_password: bool = False, deputy: bool = False) -> User:
    """Creates a user; the password must pass `workflow.administration.passwords` (the one rule), except for the demo
    data (`demo_password=True`, used by `workflow.administration.demo` only: its shared password is documented as a
    demonstration one). `deputy=True` holds the director role as a deputy director (signs only when delegated)."""
    username = (username or "").strip()
    if not username or len(username) > 80:
        raise ValidationFailed("Tên đăng nhập không hợp lệ.", ["Tên đăng nhập từ 1 đến 80 ký tự."])
    bad = [r for r in roles if r not in ROLES]
    if bad or not roles:
        raise ValidationFailed("Vai trò không hợp lệ.", [f"Vai trò hợp lệ: {', '.join(ROLES)}."])
    if demo_password:
        if not (password or "").strip():
            raise ValidationFailed("Mật khẩu không được để trống.", ["Hãy chọn mật khẩu cho các tài khoản mẫu."])
    else:
        passwords.check(password, username=username)
    if deputy and policy.DIRECTOR not in roles:
        raise ValidationFailed("Vai trò không hợp lệ.", ["Phó Giám đốc Sở phải có vai trò Giám đốc Sở (director)."])
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ValidationFailed("Tên đăng nhập đã tồn tại.", [f"'{username}' đã được dùng."])
    unit = None
    if unit_code:
        unit = session.scalar(select(Unit).where(Unit.code == unit_code))
        if unit is None:
            raise ValidationFailed("Không tìm thấy đơn vị.", [f"Mã đơn vị '{unit_code}' không tồn tại."])
    # The same rule as the admin pages (workflow.administration.operations).
    if errors := policy.assignment_errors(roles, unit):
        raise ValidationFailed("Vai trò không phù hợp với đơn vị.", list(errors.values()), errors)
    department_id = None
    if unit is not None:
        department_id = unit.id if unit.kind in ("department", "ministry") else unit.department_id
    user = User(username=username, password_hash=hash_password(password), full_name=full_name or username,
                email=email if email is not None else f"{username}@dienhinh.test", person_id=person_id,
                department_id=department_id, unit_id=unit.id if unit is not None else None)
    user.roles = [UserRole(role=r, deputy=deputy and r == policy.DIRECTOR) for r in dict.fromkeys(roles)]
    session.add(user)
    session.flush()
    return user


def create_user_from_cli(session: Session, username: str, *, roles: list[str], password: str,
                         unit_code: str | None = None, full_name: str = "", email: str | None = None,
                         deputy: bool = False) -> User:
    """`dienhinh users create`: `create_user`, audited (as "user.create") in the same transaction. `--deputy` makes
    the director role a deputy's (Phó Giám đốc: signs only when delegated)."""
    user = create_user(session, username, roles=roles, password=password, unit_code=unit_code, email=email,
                       full_name=full_name, deputy=deputy)
    signals.emit(session, events.AccountCreatedFromCli(user_id=user.id, username=username, roles=tuple(roles),
                                                       unit=unit_code, context=CLI))
    return user


def change_password(session: Session, user_id: int, data: dict, *, context: Context = CLI) -> User:
    """The signed-in user changes their own password: the current one (`current_password`), the new one
    (`new_password`, checked by `workflow.administration.passwords`) typed twice (`confirm_password`). Every session
    and API token of the user ends (the page then starts a new session for the browser that made the change). Audited;
    the caller commits."""
    user = session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.active:
        raise NotFound("Không tìm thấy tài khoản.")
    current = data.get("current_password") if isinstance(data.get("current_password"), str) else ""
    new = data.get("new_password") if isinstance(data.get("new_password"), str) else ""
    confirm = data.get("confirm_password") if isinstance(data.get("confirm_password"), str) else ""
    errors: dict[str, str] = {}
    if not check_password_hash(user.password_hash, current):
        errors["current_password"] = "Mật khẩu hiện tại không đúng."
    found = passwords.problems(new, username=user.username)
    if found:
        errors["new_password"] = " ".join(found)
    elif new == current and "current_password" not in errors:
        errors["new_password"] = "Mật khẩu mới phải khác mật khẩu hiện tại."
    if new != confirm:
        errors["confirm_password"] = "Nhập lại mật khẩu mới chưa khớp."
    if errors:
        raise ValidationFailed("Chưa đổi được mật khẩu.", list(dict.fromkeys(errors.values())), errors)
    user.password_hash = hash_password(new)
    session.flush()
    ended = sign_out_everywhere(session, user)
    signals.emit(session, events.PasswordChanged(user_id=user.id, username=user.username, signed_out=ended, actor=user,
                                                 context=context))
    return user
