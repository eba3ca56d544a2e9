"""Users, their roles, hashed API tokens and signing delegations."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, ForeignKey, String
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.org import Person, Unit

ROLES = (
    "admin", "secretariat", "council_member", "director", "unit_head",
    "ministry_reviewer", "editor", "auditor", "staff",
)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    full_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(200))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    # Scope: the department for department roles, the unit for unit_head (and the unit of staff).
    department_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    roles: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", back_populates="user"
    )
    person: Mapped[Person | None] = relationship()
    department: Mapped[Unit | None] = relationship(foreign_keys=[department_id])
    unit: Mapped[Unit | None] = relationship(foreign_keys=[unit_id])

    @property
    def role_codes(self) -> set[str]:
        return {r.role for r in self.roles}

    @property
    def is_deputy(self) -> bool:
        """Holds the director role as a deputy (Phó Giám đốc): signs only under a delegation."""
        return any(r.deputy for r in self.roles)

    # flask-login protocol, kept here so every caller sees the same user object.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return str(self.id)


class EmailOptOut(Base):
    """An event category this user does not want by e-mail (in-app notifications always arrive).

    Opt-out rather than opt-in: by default everything that reaches the inbox is also mailed, as the department
    expects; a row here silences one category (`workflow.notification_categories.CATEGORIES`) for one user."""

    __tablename__ = "email_opt_outs"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    category: Mapped[str] = mapped_column(String(30), primary_key=True)


class UserRole(Base):
    """One role a user holds. `deputy` marks the director role of a deputy director (Phó Giám đốc): the director's
    role and scope, but no signing of their own unless a delegation is in force (`workflow.policy`, `Grant.signs`)."""

    __tablename__ = "user_roles"
    __table_args__ = (CheckConstraint(f"role IN {ROLES}", name="role"),
                      CheckConstraint("NOT deputy OR role = 'director'", name="deputy_director"))

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(30), primary_key=True, index=True)
    deputy: Mapped[bool] = mapped_column(default=False, server_default=sa_false())

    user: Mapped[User] = relationship(back_populates="roles")


class ApiToken(Base):
    """Only the SHA-256 of a token is kept: a database reader cannot reuse it. Every token expires (`expires_at`);
    a revoked one keeps its row (`revoked`, `revoked_at`) so its owner and the audit trail can still name it."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    last_used_at: Mapped[dt.datetime | None]
    revoked: Mapped[bool] = mapped_column(default=False)
    revoked_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship()


class UserSession(Base):
    """A signed-in browser (the pages' login). The session cookie carries a random secret; only its SHA-256 is kept
    here. Logging out deletes this row, so a copy of the cookie taken before is refused afterwards; a password change
    or reset and a deactivation delete every row of the user."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Delegation(Base):
    """A director's signing delegated to a deputy for a period ("KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC").

    Ending one early keeps its row (the records it signed name it): `ended_at` says when and `ended_by_id` who, and a
    delegation with `ended_at` set is no longer in force (`workflow.policy._delegated_now`) even on its last day."""

    __tablename__ = "delegations"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    # Indexed: the overlap rule reads a director's delegations on every grant.
    director_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    deputy_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    deputy_title: Mapped[str] = mapped_column(String(100), default="PHÓ GIÁM ĐỐC")
    ended_at: Mapped[dt.datetime | None]
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    director: Mapped[User] = relationship(foreign_keys=[director_id])
    deputy: Mapped[User] = relationship(foreign_keys=[deputy_id])
