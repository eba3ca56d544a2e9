"""Authentication: passwords (werkzeug's salted hashes) and API tokens (only their SHA-256 is stored)."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from models import ROLES, ApiToken, Unit, User, UserRole
from workflow import inputs, passwords, signals
from workflow.context import CLI, Context
from workflow.errors import AuthenticationFailed, NotFound, ValidationFailed

# werkzeug's default (scrypt). Tests lower the cost through this setting, never production.
HASH_SETTINGS = {"method": "scrypt"}
_DUMMY_HASH = generate_password_hash("not-a-password")


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=HASH_SETTINGS["method"])


def authenticate(session: Session, username: str, password: str, *, context: Context = CLI) -> User:
    """Returns the user or raises AuthenticationFailed; both outcomes are signalled for the audit trail. A username
    the text rule refuses (a NUL, a control character) matches nobody: it fails, audited as written (`\\uXXXX`)."""
    if inputs.problem((username or "").strip(), long=False):
        signals.login_failed.send(session, username=inputs.visible(username)[:80], context=context)
        raise AuthenticationFailed("Tên đăng nhập hoặc mật khẩu không đúng.")
    user = session.scalar(select(User).where(User.username == (username or "").strip()))
    # Compare against a dummy hash for unknown users so timing does not reveal which usernames exist.
    ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, password or "")
    if not (ok and user is not None and user.active):
        signals.login_failed.send(session, username=(username or "")[:80], context=context)
        raise AuthenticationFailed("Tên đăng nhập hoặc mật khẩu không đúng.")
    signals.login_succeeded.send(session, user=user, context=context)
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, user: User) -> str:
    token = secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=_digest(token)))
    session.flush()
    return token


def user_for_token(session: Session, token: str) -> User | None:
    if not token:
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token), ApiToken.revoked.is_(False)))
    if row is None or not row.user.active:
        return None
    if row.expires_at is not None and row.expires_at <= dt.datetime.now(dt.UTC):
        return None
    return row.user


def create_user(session: Session, username: str, *, roles: list[str], password: str, unit_code: str | None = None,
                full_name: str = "", email: str | None = None, person_id: int | None = None,
                demo_password: bool = False) -> User:
    """Creates a user; the password must pass `workflow.passwords` (the one rule), except for the demo data
    (`demo_password=True`, used by `workflow.demo` only: its shared password is documented as a demonstration one)."""
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
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ValidationFailed("Tên đăng nhập đã tồn tại.", [f"'{username}' đã được dùng."])
    unit = None
    if unit_code:
        unit = session.scalar(select(Unit).where(Unit.code == unit_code))
        if unit is None:
            raise ValidationFailed("Không tìm thấy đơn vị.", [f"Mã đơn vị '{unit_code}' không tồn tại."])
    if unit is None and set(roles) & {"unit_head", "secretariat", "director", "council_member", "editor", "staff"}:
        raise ValidationFailed("Vai trò này cần đơn vị.", ["Hãy chỉ định --unit cho vai trò gắn với đơn vị."])
    department_id = None
    if unit is not None:
        department_id = unit.id if unit.kind in ("department", "ministry") else unit.department_id
    user = User(username=username, password_hash=hash_password(password), full_name=full_name or username,
                email=email if email is not None else f"{username}@dienhinh.test", person_id=person_id,
                department_id=department_id, unit_id=unit.id if unit is not None else None)
    user.roles = [UserRole(role=r) for r in dict.fromkeys(roles)]
    session.add(user)
    session.flush()
    return user


def change_password(session: Session, user_id: int, data: dict, *, context: Context = CLI) -> User:
    """The signed-in user changes their own password: the current one (`current_password`), the new one
    (`new_password`, checked by `workflow.passwords`) typed twice (`confirm_password`). Audited; the caller commits."""
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
    signals.admin_changed.send(session, actor=user, action="account.password_change", object_type="user",
                               object_id=user.id, data={"username": user.username}, context=context)
    return user
