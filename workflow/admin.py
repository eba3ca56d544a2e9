"""Administration of reference data: units, people (with discipline and award records), users and campaign edits.

Like the workflow service, every function takes a session and an actor, checks that the actor is an admin, raises
ValidationFailed with `field_errors` (keyed by form field) when the input is wrong, emits
`signals.admin_changed` so the audit trail records who changed what, and never commits. Campaign creation lives in
`workflow.campaigns` (shared with the API); only the edit of an existing campaign is here.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from models import (
    AWARD_LEVELS,
    DISCIPLINE_FORMS,
    EMPLOYMENT_TYPES,
    ROLES,
    SUBJECT_TYPES,
    UNIT_KINDS,
    AwardRecord,
    Campaign,
    DisciplineRecord,
    Person,
    Unit,
    User,
    UserRole,
    fold,
)
from workflow import accounts, clock, passwords, policy, signals
from workflow.context import CLI, Context
from workflow.errors import Forbidden, NotFound, ValidationFailed
from workflow.labels import AWARD_TITLES
from workflow.policy import Actor
from workflow.queries import Page, page_params, paginate

PER_PAGE = 20


def require_admin(actor: Actor | None) -> None:
    if not policy.can(actor, "manage", "user"):
        raise Forbidden("Chỉ quản trị hệ thống được thực hiện chức năng này.",
                        ["Tài khoản không có vai trò Quản trị hệ thống."])


INVALID = "Thông tin chưa hợp lệ, vui lòng kiểm tra các trường được đánh dấu."


def _invalid(errors: dict[str, str], detail: str = INVALID) -> ValidationFailed:
    return ValidationFailed(detail, list(dict.fromkeys(errors.values())), errors)


def _text(data: dict, key: str, errors: dict, *, limit: int, required: bool = False) -> str | None:
    value = data.get(key)
    value = value.strip() if isinstance(value, str) else ("" if value is None else str(value))
    if required and not value:
        errors[key] = "Bắt buộc nhập."
    elif len(value) > limit:
        errors[key] = f"Tối đa {limit} ký tự."
    return value or None


def _int(data: dict, key: str, errors: dict, *, required: bool = False) -> int | None:
    value = data.get(key)
    if value in (None, ""):
        if required:
            errors[key] = "Bắt buộc chọn."
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        errors[key] = "Phải là số."
        return None


def _date(data: dict, key: str, errors: dict, *, required: bool = False) -> dt.date | None:
    value = data.get(key)
    if value in (None, ""):
        if required:
            errors[key] = "Bắt buộc nhập."
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        errors[key] = "Ngày không hợp lệ."
        return None


def _choice(data: dict, key: str, allowed, errors: dict, *, required: bool = True) -> str | None:
    value = data.get(key) or None
    if value is None:
        if required:
            errors[key] = "Bắt buộc chọn."
        return None
    if value not in allowed:
        errors[key] = "Lựa chọn không hợp lệ."
        return None
    return value


def _bool(data: dict, key: str) -> bool:
    return data.get(key) in (True, "1", "on", "true", "yes", "y")


def _page(session: Session, stmt, page, options=()) -> Page:
    page, per_page = page_params(page, PER_PAGE)
    return paginate(session, stmt, page, per_page, options=options)


def _changes(obj, values: dict) -> dict:
    """Applies `values` to `obj`; returns {field: {before, after}} of what actually changed (for the audit)."""
    changes = {}
    for key, value in values.items():
        before = getattr(obj, key)
        if before != value:
            changes[key] = {"before": before, "after": value}
            setattr(obj, key, value)
    return changes


def _audit(session: Session, actor: Actor, action: str, object_type: str, object_id: int, data: dict,
           context: Context) -> None:
    signals.admin_changed.send(session, actor=actor, action=action, object_type=object_type, object_id=object_id,
                               data=data, context=context)


def _get(session: Session, model, obj_id, what: str):
    obj = session.get(model, obj_id) if isinstance(obj_id, int) else None
    if obj is None:
        raise NotFound(f"Không tìm thấy {what}.")
    return obj


# ------------------------------------------------------------------------------------------------------ units
def list_units(session: Session, actor: Actor, *, page=1, q: str | None = None) -> Page:
    require_admin(actor)
    stmt = select(Unit).order_by(Unit.department_id.nulls_first(), Unit.kind, Unit.code)
    if q:
        stmt = stmt.where(Unit.search_text.contains(fold(q), autoescape=True))
    return _page(session, stmt, page, (joinedload(Unit.parent),))


def all_units(session: Session, actor: Actor) -> list[Unit]:
    """Every unit, for parent and unit selects in admin forms."""
    require_admin(actor)
    return list(session.scalars(select(Unit).order_by(Unit.code)))


def get_unit(session: Session, actor: Actor, unit_id: int) -> Unit:
    require_admin(actor)
    return _get(session, Unit, unit_id, "đơn vị")


def _unit_values(session: Session, data: dict, errors: dict, unit: Unit | None) -> dict:
    values = {
        "name": _text(data, "name", errors, limit=255, required=True),
        "kind": _choice(data, "kind", UNIT_KINDS, errors),
        "place": _text(data, "place", errors, limit=100),
    }
    parent_id = _int(data, "parent_id", errors)
    parent = session.get(Unit, parent_id) if parent_id is not None else None
    if parent_id is not None and parent is None:
        errors["parent_id"] = "Đơn vị cấp trên không tồn tại."
    kind = values["kind"]
    if kind and kind != "ministry" and parent is None and "parent_id" not in errors:
        errors["parent_id"] = "Bắt buộc chọn đơn vị cấp trên."
    if kind in ("division", "district_office") and parent is not None and parent.kind != "department":
        errors["parent_id"] = "Phòng, đơn vị phải thuộc một Sở."
    if unit is not None and parent is not None and _is_descendant(session, parent, unit):
        errors["parent_id"] = "Không được chọn chính đơn vị hoặc đơn vị cấp dưới làm cấp trên."
    values["parent_id"] = parent.id if parent is not None else None
    if kind == "department":
        values["department_id"] = unit.id if unit is not None else None  # set after flush for a new unit
    elif kind == "ministry" or parent is None:
        values["department_id"] = None
    else:
        values["department_id"] = parent.id if parent.kind == "department" else parent.department_id
    return values


def _is_descendant(session: Session, candidate: Unit, unit: Unit) -> bool:
    node, seen = candidate, set()
    while node is not None and node.id not in seen:
        if node.id == unit.id:
            return True
        seen.add(node.id)
        node = node.parent
    return False


def create_unit(session: Session, actor: Actor, data: dict, *, context: Context = CLI) -> Unit:
    require_admin(actor)
    errors: dict[str, str] = {}
    code = _text(data, "code", errors, limit=32, required=True)
    if code and session.scalar(select(Unit.id).where(Unit.code == code)) is not None:
        errors["code"] = "Mã đơn vị đã tồn tại."
    values = _unit_values(session, data, errors, None)
    if errors:
        raise _invalid(errors)
    unit = Unit(code=code, **{k: v for k, v in values.items() if k != "department_id"})
    unit.search_text = fold(f"{code} {unit.name}")
    session.add(unit)
    session.flush()
    unit.department_id = unit.id if unit.kind == "department" else values["department_id"]
    session.flush()
    _audit(session, actor, "admin.unit_create", "unit", unit.id,
           {"code": code, "name": unit.name, "kind": unit.kind, "parent_id": unit.parent_id}, context)
    return unit


def update_unit(session: Session, actor: Actor, unit_id: int, data: dict, *, context: Context = CLI) -> Unit:
    unit = get_unit(session, actor, unit_id)
    errors: dict[str, str] = {}
    values = _unit_values(session, data, errors, unit)
    values["active"] = _bool(data, "active")
    values["closed_on"] = _date(data, "closed_on", errors)
    if values["active"] and values["closed_on"] is not None:
        errors["closed_on"] = "Đơn vị đang hoạt động thì không có ngày giải thể, sáp nhập."
    if not values["active"] and values["closed_on"] is None and "closed_on" not in errors:
        errors["closed_on"] = "Nhập ngày đơn vị thôi hoạt động (giải thể, sáp nhập)."
    if errors:
        raise _invalid(errors)
    changes = _changes(unit, values)
    if changes:
        unit.search_text = fold(f"{unit.code} {unit.name}")
        session.flush()
        _audit(session, actor, "admin.unit_update", "unit", unit.id, {"changes": changes}, context)
    return unit


# ------------------------------------------------------------------------------------------------------ people
def list_people(session: Session, actor: Actor, *, page=1, q: str | None = None, unit_id=None) -> Page:
    require_admin(actor)
    stmt = select(Person).order_by(Person.sort_key, Person.id)
    if q:
        for word in fold(q).split()[:5]:
            stmt = stmt.where(Person.search_text.contains(word, autoescape=True))
    if unit_id not in (None, ""):
        try:
            stmt = stmt.where(Person.unit_id == int(unit_id))
        except (TypeError, ValueError):
            raise ValidationFailed("Bộ lọc không hợp lệ.", ["Đơn vị phải là số."]) from None
    return _page(session, stmt, page, (joinedload(Person.unit),))


def get_person(session: Session, actor: Actor, person_id: int) -> Person:
    require_admin(actor)
    return _get(session, Person, person_id, "cá nhân")


def person_records(session: Session, actor: Actor, person: Person) -> tuple[list, list]:
    """(discipline records, award records) of a person, newest first."""
    require_admin(actor)
    disciplines = session.scalars(select(DisciplineRecord).where(DisciplineRecord.person_id == person.id)
                                  .order_by(DisciplineRecord.decided_on.desc())).all()
    awards = session.scalars(select(AwardRecord).where(AwardRecord.person_id == person.id)
                             .order_by(AwardRecord.year.desc(), AwardRecord.id.desc())).all()
    return list(disciplines), list(awards)


def _person_values(session: Session, data: dict, errors: dict) -> dict:
    values = {
        "unit_id": _int(data, "unit_id", errors, required=True),
        "position": _text(data, "position", errors, limit=200),
        "employment_type": _choice(data, "employment_type", EMPLOYMENT_TYPES, errors),
        "is_unit_head": _bool(data, "is_unit_head"),
        "email": _text(data, "email", errors, limit=200),
    }
    if values["unit_id"] is not None and session.get(Unit, values["unit_id"]) is None:
        errors["unit_id"] = "Đơn vị không tồn tại."
    return values


def create_person(session: Session, actor: Actor, data: dict, *, context: Context = CLI) -> Person:
    require_admin(actor)
    errors: dict[str, str] = {}
    name = _text(data, "full_name", errors, limit=200, required=True)
    values = _person_values(session, data, errors)
    if errors:
        raise _invalid(errors)
    person = Person(**values)
    person.set_name(name)
    session.add(person)
    session.flush()
    _audit(session, actor, "admin.person_create", "person", person.id,
           {"full_name": person.full_name, "unit_id": person.unit_id}, context)
    return person


def update_person(session: Session, actor: Actor, person_id: int, data: dict, *, context: Context = CLI) -> Person:
    person = get_person(session, actor, person_id)
    errors: dict[str, str] = {}
    name = _text(data, "full_name", errors, limit=200, required=True)
    values = _person_values(session, data, errors)
    values["active"] = _bool(data, "active")
    if errors:
        raise _invalid(errors)
    changes = _changes(person, values)
    if name != person.full_name:
        changes["full_name"] = {"before": person.full_name, "after": name}
        person.set_name(name)
    if changes:
        session.flush()
        _audit(session, actor, "admin.person_update", "person", person.id, {"changes": changes}, context)
    return person


def add_discipline(session: Session, actor: Actor, person_id: int, data: dict, *,
                   context: Context = CLI) -> DisciplineRecord:
    person = get_person(session, actor, person_id)
    errors: dict[str, str] = {}
    record = DisciplineRecord(
        person_id=person.id, form=_choice(data, "form", DISCIPLINE_FORMS, errors),
        decided_on=_date(data, "decided_on", errors, required=True),
        decision_number=_text(data, "decision_number", errors, limit=50), note=_text(data, "note", errors, limit=2000),
    )
    if record.decided_on and record.decided_on > clock.today():
        errors["decided_on"] = "Ngày quyết định không được ở tương lai."
    if errors:
        raise _invalid(errors)
    session.add(record)
    session.flush()
    _audit(session, actor, "admin.discipline_add", "person", person.id,
           {"record_id": record.id, "form": record.form, "decided_on": record.decided_on.isoformat(),
            "decision_number": record.decision_number}, context)
    return record


def add_award(session: Session, actor: Actor, data: dict, *, person_id: int | None = None,
              unit_id: int | None = None, context: Context = CLI) -> AwardRecord:
    """An award or title held by a person or a unit (exactly one of them)."""
    require_admin(actor)
    if (person_id is None) == (unit_id is None):
        raise ValidationFailed("Khen thưởng phải gắn với một cá nhân hoặc một đơn vị.")
    subject = get_person(session, actor, person_id) if person_id is not None else get_unit(session, actor, unit_id)
    errors: dict[str, str] = {}
    year = _int(data, "year", errors, required=True)
    if year is not None and not 1945 <= year <= clock.today().year + 1:
        errors["year"] = "Năm không hợp lệ."
    record = AwardRecord(
        person_id=person_id, unit_id=unit_id, title=_choice(data, "title", AWARD_TITLES, errors),
        level=_choice(data, "level", AWARD_LEVELS, errors), year=year,
        decision_number=_text(data, "decision_number", errors, limit=50),
    )
    if errors:
        raise _invalid(errors)
    session.add(record)
    session.flush()
    _audit(session, actor, "admin.award_add", "person" if person_id is not None else "unit", subject.id,
           {"record_id": record.id, "title": record.title, "level": record.level, "year": record.year,
            "decision_number": record.decision_number}, context)
    return record


# ------------------------------------------------------------------------------------------------------ users
def list_users(session: Session, actor: Actor, *, page=1, q: str | None = None) -> Page:
    require_admin(actor)
    stmt = select(User).order_by(User.username)
    if q:
        like = f"%{q.strip()}%"
        stmt = stmt.where(User.username.ilike(like) | User.full_name.ilike(like))
    return _page(session, stmt, page, (joinedload(User.unit),))


def get_user(session: Session, actor: Actor, user_id: int) -> User:
    require_admin(actor)
    return _get(session, User, user_id, "tài khoản")


def _user_values(session: Session, data: dict, errors: dict) -> tuple[dict, list[str]]:
    roles = data.get("roles") or []
    if isinstance(roles, str):
        roles = [roles]
    roles = list(dict.fromkeys(r for r in roles if r))
    if not roles:
        errors["roles"] = "Chọn ít nhất một vai trò."
    elif not set(roles) <= set(ROLES):
        errors["roles"] = "Vai trò không hợp lệ."
    unit_id = _int(data, "unit_id", errors)
    unit = session.get(Unit, unit_id) if unit_id is not None else None
    if unit_id is not None and unit is None:
        errors["unit_id"] = "Đơn vị không tồn tại."
    if "unit_id" not in errors:
        errors.update(policy.assignment_errors(roles, unit))
    person_id = _int(data, "person_id", errors)
    if person_id is not None and session.get(Person, person_id) is None:
        errors["person_id"] = "Cá nhân không tồn tại."
    email = _text(data, "email", errors, limit=200)
    if email and "@" not in email:
        errors["email"] = "Địa chỉ thư điện tử không hợp lệ."
    department_id = None
    if unit is not None:
        department_id = unit.id if unit.kind in ("department", "ministry") else unit.department_id
    values = {
        "full_name": _text(data, "full_name", errors, limit=200, required=True),
        "email": email, "unit_id": unit.id if unit is not None else None, "department_id": department_id,
        "person_id": person_id,
    }
    return values, roles


def _password(data: dict, errors: dict, key: str = "password", *, username: str | None = None) -> str | None:
    """The password rule of `workflow.passwords`; every broken rule is named under `key`."""
    password = data.get(key) if isinstance(data.get(key), str) else ""
    found = passwords.problems(password, username=username)
    if found:
        errors[key] = " ".join(found)
        return None
    return password


def create_user(session: Session, actor: Actor, data: dict, *, context: Context = CLI) -> User:
    require_admin(actor)
    errors: dict[str, str] = {}
    username = _text(data, "username", errors, limit=80, required=True)
    if username and session.scalar(select(User.id).where(User.username == username)) is not None:
        errors["username"] = "Tên đăng nhập đã được dùng."
    values, roles = _user_values(session, data, errors)
    password = _password(data, errors, username=username)
    if errors:
        raise _invalid(errors)
    unit = session.get(Unit, values["unit_id"]) if values["unit_id"] is not None else None
    user = accounts.create_user(session, username, roles=roles, password=password,
                                unit_code=unit.code if unit is not None else None, full_name=values["full_name"],
                                email=values["email"] or "", person_id=values["person_id"])
    user.email = values["email"]
    user.active = _bool(data, "active") if "active" in data else True
    session.flush()
    _audit(session, actor, "admin.user_create", "user", user.id,
           {"username": user.username, "roles": sorted(roles), "unit_id": user.unit_id, "active": user.active},
           context)
    return user


def update_user(session: Session, actor: Actor, user_id: int, data: dict, *, context: Context = CLI) -> User:
    user = get_user(session, actor, user_id)
    errors: dict[str, str] = {}
    values, roles = _user_values(session, data, errors)
    values["active"] = _bool(data, "active")
    if user.id == actor.id and (not values["active"] or not set(roles) & set(policy.roles_for("user", "manage"))):
        errors["roles" if values["active"] else "active"] = "Không thể tự bỏ quyền quản trị hoặc khóa chính mình."
    if errors:
        raise _invalid(errors)
    changes = _changes(user, values)
    before_roles = sorted(user.role_codes)
    if sorted(roles) != before_roles:
        changes["roles"] = {"before": before_roles, "after": sorted(roles)}
        keep = [r for r in user.roles if r.role in roles]
        user.roles = keep + [UserRole(role=r) for r in roles if r not in {k.role for k in keep}]
    if changes:
        session.flush()
        data = {"changes": changes}
        if changes.get("active", {}).get("after") is False:
            # A locked account's sessions and tokens end now: unlocking it later does not bring them back.
            data.update(accounts.sign_out_everywhere(session, user))
        _audit(session, actor, "admin.user_update", "user", user.id, data, context)
    return user


def reset_password(session: Session, actor: Actor, user_id: int, data: dict, *, context: Context = CLI) -> User:
    user = get_user(session, actor, user_id)
    errors: dict[str, str] = {}
    password = _password(data, errors, "new_password", username=user.username)
    if errors:
        raise _invalid(errors)
    user.password_hash = accounts.hash_password(password)
    session.flush()
    ended = accounts.sign_out_everywhere(session, user)  # whoever knew the old password is signed out everywhere
    _audit(session, actor, "admin.user_password_reset", "user", user.id, {"username": user.username, **ended},
           context)
    return user


# ------------------------------------------------------------------------------------------------------ campaigns
def campaign_form_data(data: dict) -> dict:
    """Turns the flat campaign form into the keyword arguments of workflow.campaigns.create_campaign."""
    types = data.get("subject_types") or []
    if isinstance(types, str):
        types = [types]
    quotas: dict = {}
    for t in SUBJECT_TYPES:
        raw = (data.get(f"quota_{t}") or "").strip() if isinstance(data.get(f"quota_{t}"), str) else None
        if raw:
            quotas[t] = int(raw) if raw.isdigit() else raw  # a non-number is refused by the validation
    department = data.get("department_id")
    return {
        "name": data.get("name"), "kind": data.get("kind") or None, "legal_basis": data.get("legal_basis"),
        "award_forms": data.get("award_forms"), "start_date": data.get("start_date"), "end_date": data.get("end_date"),
        "registration_deadline": data.get("registration_deadline"),
        "evaluation_deadline": data.get("evaluation_deadline") or None,
        "midterm_review_date": data.get("midterm_review_date") or None,
        "final_review_date": data.get("final_review_date") or None, "subject_types": list(types),
        "quotas": quotas, "department_id": int(department) if str(department or "").isdigit() else None,
    }


def get_campaign(session: Session, actor: Actor, campaign_id: int) -> Campaign:
    require_admin(actor)
    return _get(session, Campaign, campaign_id, "phong trào thi đua")


def update_campaign(session: Session, actor: Actor, campaign_id: int, data: dict, *,
                    context: Context = CLI) -> Campaign:
    """Edits a campaign with the same checks as its creation. Its department is fixed once nominations exist."""
    from workflow.campaigns import campaign_data, review_date_errors

    campaign = get_campaign(session, actor, campaign_id)
    errors: dict[str, str] = {}
    kw = campaign_form_data(data)
    values = {
        "name": _text(kw, "name", errors, limit=300, required=True),
        "kind": _choice(kw, "kind", ("annual", "period", "thematic", "peak"), errors),
        "legal_basis": _text(kw, "legal_basis", errors, limit=5000),
        "award_forms": _text(kw, "award_forms", errors, limit=5000),
        "start_date": _date(kw, "start_date", errors, required=True),
        "end_date": _date(kw, "end_date", errors, required=True),
        "registration_deadline": _date(kw, "registration_deadline", errors, required=True),
        "evaluation_deadline": _date(kw, "evaluation_deadline", errors),
        "midterm_review_date": _date(kw, "midterm_review_date", errors),
        "final_review_date": _date(kw, "final_review_date", errors),
    }
    start, end = values["start_date"], values["end_date"]
    reg, ev = values["registration_deadline"], values["evaluation_deadline"]
    if start and end and start > end:
        errors["end_date"] = "Không được trước ngày bắt đầu."
    if reg and start and reg < start:
        errors["registration_deadline"] = "Không được trước ngày bắt đầu."
    elif reg and end and reg > end:
        errors["registration_deadline"] = "Không được sau ngày kết thúc."
    if ev and reg and ev < reg:
        errors["evaluation_deadline"] = "Không được trước hạn đăng ký."
    errors.update(review_date_errors(start, end, values["midterm_review_date"], values["final_review_date"]))
    types = kw["subject_types"]
    if not types or not set(types) <= set(SUBJECT_TYPES):
        errors["subject_types"] = "Chọn ít nhất một loại đối tượng."
    values["allows_collective"] = "collective" in types
    values["allows_individual"] = "individual" in types
    for t in SUBJECT_TYPES:
        quota = kw["quotas"].get(t)
        if quota is not None and (not isinstance(quota, int) or quota > 10_000):
            errors[f"quota_{t}"] = "Chỉ tiêu phải là số nguyên không âm."
            quota = None
        elif quota is not None and t not in types:
            errors[f"quota_{t}"] = "Phong trào không áp dụng cho loại đối tượng này."
        values[f"quota_{t}"] = quota
    if errors:
        raise _invalid(errors, "Thông tin phong trào thi đua không hợp lệ.")
    changes = _changes(campaign, values)
    if changes:
        session.flush()
        _audit(session, actor, "campaign.update", "campaign", campaign.id,
               {"changes": changes, "campaign": campaign_data(campaign)}, context)
    return campaign


def departments(session: Session, actor: Actor) -> list[Unit]:
    require_admin(actor)
    return list(session.scalars(select(Unit).where(Unit.kind == "department", Unit.active.is_(True))
                                .order_by(Unit.name)))
