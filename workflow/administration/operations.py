"""Administration of reference data: units, people (with discipline and award records), users and campaign edits.

Like the workflow service, every function takes a session and an actor, checks that the actor is an admin, raises
ValidationFailed with `field_errors` (keyed by form field) when the input is wrong, emits its own event
(workflow.events) so the audit trail records who changed what, and never commits. Campaign creation lives in
`workflow.administration.campaigns` (shared with the API); only the edit of an existing campaign is here.
"""
from __future__ import annotations

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
from workflow import clock, events, inputs, policy, signals
from workflow.administration import accounts, campaigns, org_queries, passwords
from workflow.context import CLI, Context
from workflow.errors import NotFound, ValidationFailed
from workflow.labels import AWARD_TITLES
from workflow.nominations.queries import Page, page_params, paginate
from workflow.policy import Actor

PER_PAGE = 20
ADMIN_ONLY = "Chỉ quản trị hệ thống được thực hiện chức năng này."


def require(actor: Actor | None, verb: str, object_type: str) -> None:
    """Each administration operation asks the policy for its own (object type, verb), so granting one of them (the
    calendar, say) to another role is a row of workflow/policy.py, not an edit here."""
    policy.require(actor, verb, object_type, detail=ADMIN_ONLY)


def require_admin(actor: Actor | None) -> None:
    """The administration pages as a whole (the blueprint's gate); each operation still checks its own row."""
    policy.require(actor, "view", "administration", detail=ADMIN_ONLY)


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


def _get(session: Session, model, obj_id, what: str):
    obj = session.get(model, obj_id) if isinstance(obj_id, int) else None
    if obj is None:
        raise NotFound(f"Không tìm thấy {what}.")
    return obj


# ------------------------------------------------------------------------------------------------------ units
def list_units(session: Session, actor: Actor, *, page=1, q: str | None = None) -> Page:
    require(actor, "manage", "unit")
    stmt = select(Unit).order_by(Unit.department_id.nulls_first(), Unit.kind, Unit.code)
    if q:
        stmt = stmt.where(Unit.search_text.contains(fold(q), autoescape=True))
    return _page(session, stmt, page, (joinedload(Unit.parent),))


def all_units(session: Session, actor: Actor) -> list[Unit]:
    """Every unit, for parent and unit selects in admin forms."""
    require(actor, "manage", "unit")
    return list(session.scalars(select(Unit).order_by(Unit.code)))


def get_unit(session: Session, actor: Actor, unit_id: int) -> Unit:
    require(actor, "manage", "unit")
    return _get(session, Unit, unit_id, "đơn vị")


def _unit_values(session: Session, data: dict, form: inputs.Form, unit: Unit | None) -> dict:
    values = {
        "name": form.text("name", data.get("name"), limit=255, required=True),
        "kind": form.choice("kind", data.get("kind"), UNIT_KINDS),
        "place": form.text("place", data.get("place"), limit=100),
    }
    parent_id = form.integer("parent_id", data.get("parent_id"))
    parent = session.get(Unit, parent_id) if parent_id is not None else None
    if parent_id is not None and parent is None:
        form.add("parent_id", "Đơn vị cấp trên không tồn tại.")
    kind = values["kind"]
    if kind and kind != "ministry" and parent is None and "parent_id" not in form:
        form.add("parent_id", "Bắt buộc chọn đơn vị cấp trên.")
    if kind in ("division", "district_office") and parent is not None and parent.kind != "department":
        form.add("parent_id", "Phòng, đơn vị phải thuộc một Sở.")
    if unit is not None and parent is not None and org_queries.within(parent, unit):
        form.add("parent_id", "Không được chọn chính đơn vị hoặc đơn vị cấp dưới làm cấp trên.")
    values["parent_id"] = parent.id if parent is not None else None
    if kind == "department":
        values["department_id"] = unit.id if unit is not None else None  # set after flush for a new unit
    elif kind == "ministry" or parent is None:
        values["department_id"] = None
    else:
        values["department_id"] = parent.id if parent.kind == "department" else parent.department_id
    return values


def create_unit(session: Session, actor: Actor, data: dict, *, context: Context = CLI) -> Unit:
    require(actor, "manage", "unit")
    form = inputs.Form()
    code = form.text("code", data.get("code"), limit=32, required=True)
    if code and session.scalar(select(Unit.id).where(Unit.code == code)) is not None:
        form.add("code", "Mã đơn vị đã tồn tại.")
    values = _unit_values(session, data, form, None)
    form.check()
    unit = Unit(code=code, **{k: v for k, v in values.items() if k != "department_id"})
    unit.search_text = fold(f"{code} {unit.name}")
    session.add(unit)
    session.flush()
    unit.department_id = unit.id if unit.kind == "department" else values["department_id"]
    session.flush()
    signals.emit(session, events.UnitCreated(unit_id=unit.id, code=code, name=unit.name, kind=unit.kind,
                                             parent_id=unit.parent_id, actor=actor, context=context))
    return unit


def update_unit(session: Session, actor: Actor, unit_id: int, data: dict, *, context: Context = CLI) -> Unit:
    unit = get_unit(session, actor, unit_id)
    form = inputs.Form()
    values = _unit_values(session, data, form, unit)
    values["active"] = inputs.flag(data.get("active"))
    values["closed_on"] = form.date("closed_on", data.get("closed_on"))
    if values["active"] and values["closed_on"] is not None:
        form.add("closed_on", "Đơn vị đang hoạt động thì không có ngày giải thể, sáp nhập.")
    if not values["active"] and values["closed_on"] is None and "closed_on" not in form:
        form.add("closed_on", "Nhập ngày đơn vị thôi hoạt động (giải thể, sáp nhập).")
    form.check()
    changes = _changes(unit, values)
    if changes:
        unit.search_text = fold(f"{unit.code} {unit.name}")
        session.flush()
        signals.emit(session, events.UnitUpdated(unit_id=unit.id, changes=changes, actor=actor, context=context))
    return unit


# ------------------------------------------------------------------------------------------------------ people
def list_people(session: Session, actor: Actor, *, page=1, q: str | None = None, unit_id=None) -> Page:
    require(actor, "manage", "person")
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
    require(actor, "manage", "person")
    return _get(session, Person, person_id, "cá nhân")


def person_records(session: Session, actor: Actor, person: Person) -> tuple[list, list]:
    """(discipline records, award records) of a person, newest first."""
    require(actor, "manage", "person")
    disciplines = session.scalars(select(DisciplineRecord).where(DisciplineRecord.person_id == person.id)
                                  .order_by(DisciplineRecord.decided_on.desc())).all()
    awards = session.scalars(select(AwardRecord).where(AwardRecord.person_id == person.id)
                             .order_by(AwardRecord.year.desc(), AwardRecord.id.desc())).all()
    return list(disciplines), list(awards)


def _person_values(session: Session, data: dict, form: inputs.Form) -> dict:
    values = {
        "unit_id": form.integer("unit_id", data.get("unit_id"), required=True),
        "position": form.text("position", data.get("position"), limit=200),
        "employment_type": form.choice("employment_type", data.get("employment_type"), EMPLOYMENT_TYPES),
        "is_unit_head": inputs.flag(data.get("is_unit_head")),
        "email": form.text("email", data.get("email"), limit=200),
    }
    if values["unit_id"] is not None and session.get(Unit, values["unit_id"]) is None:
        form.add("unit_id", "Đơn vị không tồn tại.")
    return values


def create_person(session: Session, actor: Actor, data: dict, *, context: Context = CLI) -> Person:
    require(actor, "manage", "person")
    form = inputs.Form()
    name = form.text("full_name", data.get("full_name"), limit=200, required=True)
    values = _person_values(session, data, form)
    form.check()
    person = Person(**values)
    person.set_name(name)
    session.add(person)
    session.flush()
    signals.emit(session, events.PersonCreated(person_id=person.id, full_name=person.full_name, unit_id=person.unit_id,
                                               actor=actor, context=context))
    return person


def update_person(session: Session, actor: Actor, person_id: int, data: dict, *, context: Context = CLI) -> Person:
    person = get_person(session, actor, person_id)
    form = inputs.Form()
    name = form.text("full_name", data.get("full_name"), limit=200, required=True)
    values = _person_values(session, data, form)
    values["active"] = inputs.flag(data.get("active"))
    form.check()
    changes = _changes(person, values)
    if name != person.full_name:
        changes["full_name"] = {"before": person.full_name, "after": name}
        person.set_name(name)
    if changes:
        session.flush()
        signals.emit(session, events.PersonUpdated(person_id=person.id, changes=changes, actor=actor, context=context))
    return person


def add_discipline(session: Session, actor: Actor, person_id: int, data: dict, *,
                   context: Context = CLI) -> DisciplineRecord:
    person = get_person(session, actor, person_id)
    form = inputs.Form()
    record = DisciplineRecord(
        person_id=person.id, form=form.choice("form", data.get("form"), DISCIPLINE_FORMS),
        decided_on=form.date("decided_on", data.get("decided_on"), required=True),
        decision_number=form.text("decision_number", data.get("decision_number"), limit=50),
        note=form.text("note", data.get("note"), limit=2000),
    )
    if record.decided_on and record.decided_on > clock.today():
        form.add("decided_on", "Ngày quyết định không được ở tương lai.")
    form.check()
    session.add(record)
    session.flush()
    signals.emit(session, events.DisciplineRecorded(person_id=person.id, record_id=record.id, form=record.form,
                                                    decided_on=record.decided_on.isoformat(),
                                                    decision_number=record.decision_number, actor=actor,
                                                    context=context))
    return record


def add_award(session: Session, actor: Actor, data: dict, *, person_id: int | None = None,
              unit_id: int | None = None, context: Context = CLI) -> AwardRecord:
    """An award or title held by a person or a unit (exactly one of them)."""
    require(actor, "manage", "person")
    if (person_id is None) == (unit_id is None):
        raise ValidationFailed("Khen thưởng phải gắn với một cá nhân hoặc một đơn vị.")
    subject = get_person(session, actor, person_id) if person_id is not None else get_unit(session, actor, unit_id)
    form = inputs.Form()
    year = form.integer("year", data.get("year"), required=True)
    if year is not None and not 1945 <= year <= clock.today().year + 1:
        form.add("year", "Năm không hợp lệ.")
    record = AwardRecord(
        person_id=person_id, unit_id=unit_id, title=form.choice("title", data.get("title"), AWARD_TITLES),
        level=form.choice("level", data.get("level"), AWARD_LEVELS), year=year,
        decision_number=form.text("decision_number", data.get("decision_number"), limit=50),
    )
    form.check()
    session.add(record)
    session.flush()
    signals.emit(session, events.AwardRecorded(subject_type="person" if person_id is not None else "unit",
                                               subject_id=subject.id, record_id=record.id, title=record.title,
                                               level=record.level, year=record.year,
                                               decision_number=record.decision_number, actor=actor, context=context))
    return record


# ------------------------------------------------------------------------------------------------------ users
def list_users(session: Session, actor: Actor, *, page=1, q: str | None = None) -> Page:
    require(actor, "view", "user")
    stmt = select(User).order_by(User.username)
    if q:
        like = f"%{q.strip()}%"
        stmt = stmt.where(User.username.ilike(like) | User.full_name.ilike(like))
    return _page(session, stmt, page, (joinedload(User.unit),))


def get_user(session: Session, actor: Actor, user_id: int) -> User:
    require(actor, "view", "user")
    return _get(session, User, user_id, "tài khoản")


def _user_values(session: Session, data: dict, form: inputs.Form) -> tuple[dict, list[str]]:
    roles = data.get("roles") or []
    if isinstance(roles, str):
        roles = [roles]
    roles = list(dict.fromkeys(r for r in roles if r))
    if not roles:
        form.add("roles", "Chọn ít nhất một vai trò.")
    elif not set(roles) <= set(ROLES):
        form.add("roles", "Vai trò không hợp lệ.")
    unit_id = form.integer("unit_id", data.get("unit_id"))
    unit = session.get(Unit, unit_id) if unit_id is not None else None
    if unit_id is not None and unit is None:
        form.add("unit_id", "Đơn vị không tồn tại.")
    if "unit_id" not in form:
        for name, message in policy.assignment_errors(roles, unit).items():
            form.add(name, message)
    person_id = form.integer("person_id", data.get("person_id"))
    if person_id is not None and session.get(Person, person_id) is None:
        form.add("person_id", "Cá nhân không tồn tại.")
    email = form.text("email", data.get("email"), limit=200)
    if email and "@" not in email:
        form.add("email", "Địa chỉ thư điện tử không hợp lệ.")
    department_id = None
    if unit is not None:
        department_id = unit.id if unit.kind in ("department", "ministry") else unit.department_id
    # A deputy director: the director role held as a deputy (models.accounts.UserRole.deputy), signing when delegated.
    deputy = inputs.flag(data.get("deputy"))
    if deputy and policy.DIRECTOR not in roles:
        form.add("deputy", "Phó Giám đốc Sở phải có vai trò Giám đốc Sở.")
    values = {
        "full_name": form.text("full_name", data.get("full_name"), limit=200, required=True),
        "email": email, "unit_id": unit.id if unit is not None else None, "department_id": department_id,
        "person_id": person_id, "deputy": deputy,
    }
    return values, roles


def _password(data: dict, form: inputs.Form, key: str = "password", *, username: str | None = None) -> str | None:
    """The password rule of `workflow.administration.passwords`; every broken rule is named under `key`."""
    password = data.get(key) if isinstance(data.get(key), str) else ""
    found = passwords.problems(password, username=username)
    if found:
        form.add(key, " ".join(found))
        return None
    return password


def create_user(session: Session, actor: Actor, data: dict, *, context: Context = CLI) -> User:
    require(actor, "manage", "user")
    form = inputs.Form()
    username = form.text("username", data.get("username"), limit=80, required=True)
    if username and session.scalar(select(User.id).where(User.username == username)) is not None:
        form.add("username", "Tên đăng nhập đã được dùng.")
    values, roles = _user_values(session, data, form)
    password = _password(data, form, username=username)
    form.check()
    unit = session.get(Unit, values["unit_id"]) if values["unit_id"] is not None else None
    user = accounts.create_user(session, username, roles=roles, password=password,
                                unit_code=unit.code if unit is not None else None, full_name=values["full_name"],
                                email=values["email"] or "", person_id=values["person_id"],
                                deputy=values.pop("deputy"))
    user.email = values["email"]
    user.active = inputs.flag(data.get("active")) if "active" in data else True
    session.flush()
    signals.emit(session, events.UserCreated(user_id=user.id, username=user.username, roles=tuple(sorted(roles)),
                                             unit_id=user.unit_id, active=user.active, actor=actor, context=context))
    return user


def update_user(session: Session, actor: Actor, user_id: int, data: dict, *, context: Context = CLI) -> User:
    require(actor, "manage", "user")
    user = get_user(session, actor, user_id)
    form = inputs.Form()
    values, roles = _user_values(session, data, form)
    values["active"] = inputs.flag(data.get("active"))
    if user.id == actor.id and (not values["active"] or not set(roles) & set(policy.roles_for("user", "manage"))):
        form.add("roles" if values["active"] else "active", "Không thể tự bỏ quyền quản trị hoặc khóa chính mình.")
    form.check()
    deputy = values.pop("deputy")
    was_deputy = user.is_deputy
    changes = _changes(user, values)
    before_roles = sorted(user.role_codes)
    if sorted(roles) != before_roles:
        changes["roles"] = {"before": before_roles, "after": sorted(roles)}
        keep = [r for r in user.roles if r.role in roles]
        user.roles = keep + [UserRole(role=r) for r in roles if r not in {k.role for k in keep}]
    for assignment in user.roles:
        assignment.deputy = deputy and assignment.role == policy.DIRECTOR
    if deputy != was_deputy:
        changes["deputy"] = {"before": was_deputy, "after": deputy}
    if changes:
        session.flush()
        signed_out = {}
        if changes.get("active", {}).get("after") is False:
            # A locked account's sessions and tokens end now: unlocking it later does not bring them back.
            signed_out = accounts.sign_out_everywhere(session, user)
        signals.emit(session, events.UserUpdated(user_id=user.id, changes=changes, signed_out=signed_out, actor=actor,
                                                 context=context))
    return user


def reset_password(session: Session, actor: Actor, user_id: int, data: dict, *, context: Context = CLI) -> User:
    require(actor, "manage", "user")
    user = get_user(session, actor, user_id)
    form = inputs.Form()
    password = _password(data, form, "new_password", username=user.username)
    form.check()
    user.password_hash = accounts.hash_password(password)
    session.flush()
    ended = accounts.sign_out_everywhere(session, user)  # whoever knew the old password is signed out everywhere
    signals.emit(session, events.UserPasswordReset(user_id=user.id, username=user.username, signed_out=ended,
                                                   actor=actor, context=context))
    return user


# ------------------------------------------------------------------------------------------------------ campaigns
def campaign_form_data(data: dict) -> dict:
    """Turns the flat campaign form into the keyword arguments of workflow.administration.campaigns.create_campaign
    (the values as typed: `campaigns.campaign_values` reads them)."""
    types = data.get("subject_types") or []
    if isinstance(types, str):
        types = [types]
    quotas = {t: data.get(f"quota_{t}") for t in SUBJECT_TYPES if not inputs.blank(data.get(f"quota_{t}"))}
    return {
        "name": data.get("name"), "kind": data.get("kind") or None, "legal_basis": data.get("legal_basis"),
        "award_forms": data.get("award_forms"), "start_date": data.get("start_date"), "end_date": data.get("end_date"),
        "registration_deadline": data.get("registration_deadline"),
        "evaluation_deadline": data.get("evaluation_deadline"),
        "midterm_review_date": data.get("midterm_review_date"),
        "final_review_date": data.get("final_review_date"), "subject_types": list(types),
        "quotas": quotas, "department_id": inputs.one("department_id", inputs.integer, data.get("department_id"),
                                                      minimum=1),
    }


def get_campaign(session: Session, actor: Actor, campaign_id: int) -> Campaign:
    require(actor, "manage", "campaign")
    return _get(session, Campaign, campaign_id, "phong trào thi đua")


def update_campaign(session: Session, actor: Actor, campaign_id: int, data: dict, *,
                    context: Context = CLI) -> Campaign:
    """Edits a campaign with the same checks as its creation. Its department is fixed once nominations exist."""
    campaign = get_campaign(session, actor, campaign_id)
    kw = campaign_form_data(data)
    kw.pop("department_id")
    values = campaigns.campaign_values(**kw)
    changes = _changes(campaign, values)
    if changes:
        session.flush()
        signals.emit(session, events.CampaignUpdated(campaign_id=campaign.id, changes=changes,
                                                     campaign=campaigns.campaign_data(campaign), actor=actor,
                                                     context=context))
    return campaign


def departments(session: Session, actor: Actor) -> list[Unit]:
    require(actor, "manage", "campaign")
    return list(session.scalars(select(Unit).where(Unit.kind == "department", Unit.active.is_(True))
                                .order_by(Unit.name)))
