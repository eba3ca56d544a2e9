"""Changes of the organisation with an effective date (issue 16, the 2025 reorganisation): rename, merge, split, move
and close a unit.

Each operation is one audited change, admin only (the policy row `("unit", "reorganise")`): it checks everything
first (every wrong field at once, in Vietnamese), then writes the unit, the former name (`UnitName`, for documents
dated before the change), the successor links (`UnitSuccessor`), moves the people and the nominations in flight, and
emits one `UnitReorganised` event (the audit trail's "admin.unit_<kind>"). It never commits.

The rules of the trade, in DOMAIN terms:
- a unit that closed (by a merge, a split or a close) takes no further change ("đã thôi hoạt động");
- a change may not take effect before the unit's last change (its history stays one line of dates);
- nominations in flight (registered, nurtured, submitted: not final, not yet recognised) follow their unit; they
  keep their campaign, so a change that would carry them to another department's unit is refused (its campaign,
  quota and council belong to the old department); two live nominations of one campaign cannot become the same
  collective; recognised examples stay with the unit they were recognised for (a record of it as it was then);
- the successor of a merge inherits the predecessors' unit award records for the eligibility rules; in a split the
  sheet names the one part that inherits them (`inherits_records`), people keep their own records wherever they go.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Nomination, Person, Unit, UnitChange, UnitName, UnitSuccessor, User, fold
from models.nominations import DEAD_STATES
from workflow import events, inputs, policy, signals
from workflow.administration import org_queries
from workflow.context import CLI, Context
from workflow.errors import NotFound, ValidationFailed
from workflow.nominations.machine import RECOGNISED_STATES
from workflow.policy import Actor

ADMIN_ONLY = "Chỉ quản trị hệ thống được thay đổi tổ chức đơn vị."
# Nominations that stay with their unit: final, or recognised (an example is a record of the unit as it was then;
# the successor inherits it with the unit's other records). The others — registered, nurtured, submitted — follow.
SETTLED_STATES = (*DEAD_STATES, *RECOGNISED_STATES)
PART_KINDS = ("division", "district_office")


def _require(actor: Actor | None) -> None:
    policy.require(actor, "reorganise", "unit", detail=ADMIN_ONLY)


def _lock(session: Session, unit_ids) -> dict[int, Unit]:
    """The units, locked in id order (two changes of the same units serialise, never deadlock)."""
    ids = sorted({i for i in unit_ids if isinstance(i, int) and not isinstance(i, bool)})
    if not ids:
        return {}
    rows = session.scalars(select(Unit).where(Unit.id.in_(ids)).order_by(Unit.id).with_for_update()
                           .execution_options(populate_existing=True)).all()
    return {u.id: u for u in rows}


def _unit(session: Session, unit_id) -> Unit:
    units = _lock(session, [unit_id])
    if unit_id not in units:
        raise NotFound("Không tìm thấy đơn vị.")
    return units[unit_id]


def last_change_date(session: Session, unit_id: int) -> dt.date | None:
    return session.scalar(select(func.max(UnitChange.effective_date)).where(UnitChange.unit_id == unit_id))


def _closed_text(unit: Unit) -> str:
    when = f" từ ngày {unit.closed_on:%d/%m/%Y}" if unit.closed_on else ""
    return f"Đơn vị “{unit.name}” đã thôi hoạt động{when}."


def _effective(session: Session, form: inputs.Form, data: dict, *units: Unit,
               fields: dict[int, str] | None = None) -> dt.date | None:
    """The effective date (dd/mm/yyyy or ISO), not before any of the units' last change; the units still active
    (a closed one named under its own field: `fields` maps a unit's id to it, "unit_id" by default)."""
    date = form.date("effective_date", data.get("effective_date"), required=True)
    for unit in units:
        if not unit.active or unit.closed_on is not None:
            form.add((fields or {}).get(unit.id, "unit_id"), _closed_text(unit))
            continue
        last = last_change_date(session, unit.id)
        if date is not None and last is not None and date < last:
            form.add("effective_date", f"Ngày hiệu lực không được trước lần thay đổi gần nhất của “{unit.name}” "
                                       f"({last:%d/%m/%Y}).")
    return date


def _in_flight(session: Session, unit_ids) -> list[Nomination]:
    return list(session.scalars(select(Nomination).where(Nomination.unit_id.in_(list(unit_ids)),
                                                         Nomination.state.not_in(SETTLED_STATES))
                                .order_by(Nomination.id).with_for_update()))


def _active_people(session: Session, unit_ids) -> list[Person]:
    return list(session.scalars(select(Person).where(Person.unit_id.in_(list(unit_ids)), Person.active.is_(True))
                                .order_by(Person.id)))


def _department_of(unit: Unit) -> int | None:
    return unit.id if unit.kind == "department" else unit.department_id


def _check_nominations_fit(form: inputs.Form, field: str, moves: list[tuple[Nomination, Unit]]) -> None:
    """Nominations carried to `target`: same department (their campaign's), and no two live ones of one campaign for
    the same collective."""
    keys: dict[tuple[int, str], int] = {}
    for n, target in moves:
        if _department_of(target) != n.department_id:
            form.add(field, f"Hồ sơ #{n.id} “{n.title}” đang xử lý trong phong trào của Sở cũ: không thể chuyển sang "
                            f"đơn vị của Sở khác; hoàn tất hoặc rút hồ sơ trước.")
        if n.subject_type == "collective":
            key = (n.campaign_id, f"u:{target.id}")
            if key in keys and keys[key] != n.id:
                form.add(field, f"Hồ sơ #{keys[key]} và #{n.id} cùng đề nghị tập thể trong một phong trào: sau thay "
                                f"đổi sẽ trùng đối tượng; rút một hồ sơ trước.")
            keys[key] = n.id


def _existing_live(session: Session, form: inputs.Form, field: str, moves: list[tuple[Nomination, Unit]]) -> None:
    """A live collective nomination of the target itself already in the campaign."""
    moving = {n.id for n, _ in moves}
    for n, target in moves:
        if n.subject_type != "collective":
            continue
        other = session.scalar(select(Nomination.id).where(
            Nomination.campaign_id == n.campaign_id, Nomination.subject_key == f"u:{target.id}",
            Nomination.state.not_in(DEAD_STATES), Nomination.id.not_in(moving)))
        if other is not None:
            form.add(field, f"“{target.name}” đã có hồ sơ #{other} trong cùng phong trào với hồ sơ #{n.id}: sau thay "
                            f"đổi sẽ trùng đối tượng; rút một hồ sơ trước.")


def _move_nomination(n: Nomination, target: Unit) -> dict:
    before = n.unit_id
    n.unit_id = target.id
    if n.subject_type == "collective":
        n.subject_key = f"u:{target.id}"
    n.version += 1  # an open form on the old unit is stale now
    return {"id": n.id, "from": before, "to": target.id}


def _move_person(session: Session, p: Person, target: Unit) -> dict:
    before, head = p.unit_id, p.is_unit_head
    p.unit_id = target.id
    p.unit = target
    p.is_unit_head = False  # the target keeps its own head; the administrator names a new one if needed
    return {"id": p.id, "from": before, "to": target.id, "was_head": head}


def _change(session: Session, actor: Actor, kind: str, unit: Unit, date: dt.date, details: dict) -> UnitChange:
    change = UnitChange(kind=kind, unit_id=unit.id, effective_date=date, actor_id=getattr(actor, "id", None),
                        details=details)
    session.add(change)
    session.flush()
    return change


def _former(session: Session, unit: Unit, change: UnitChange) -> None:
    """Keeps the name, code and parent the unit held until `change` (before the caller alters them)."""
    since = session.scalar(select(func.max(UnitName.valid_to)).where(UnitName.unit_id == unit.id))
    session.add(UnitName(unit_id=unit.id, name=unit.name, code=unit.code, parent_id=unit.parent_id, valid_from=since,
                         valid_to=change.effective_date, change_id=change.id))


def _close(unit: Unit, date: dt.date, successor: Unit | None) -> None:
    unit.active = False
    unit.closed_on = date
    unit.replaced_by_id = successor.id if successor is not None else None


def _emit(session: Session, actor: Actor, change: UnitChange, context: Context) -> None:
    session.flush()
    signals.emit(session, events.UnitReorganised(change=change, unit_id=change.unit_id, kind=change.kind,
                                                 effective_date=change.effective_date.isoformat(),
                                                 details=dict(change.details), actor=actor, context=context))


def _new_unit(session: Session, form: inputs.Form, prefix: str, data: dict, parent: Unit | None,
              codes: set[str]) -> dict | None:
    """The code and name of a unit a merge or a split creates, checked (unique code) but not yet written."""
    code = form.text(f"{prefix}code", data.get("code"), limit=32, required=True)
    name = form.text(f"{prefix}name", data.get("name"), limit=255, required=True)
    if code and (code in codes or session.scalar(select(Unit.id).where(Unit.code == code)) is not None):
        form.add(f"{prefix}code", f"Mã đơn vị “{code}” đã tồn tại.")
    if code:
        codes.add(code)
    if code is None or name is None:
        return None
    return {"code": code, "name": name}


def _create(session: Session, values: dict, like: Unit) -> Unit:
    unit = Unit(code=values["code"], name=values["name"], kind=like.kind, parent_id=like.parent_id,
                department_id=like.department_id, place=like.place)
    unit.search_text = fold(f"{unit.code} {unit.name}")
    session.add(unit)
    session.flush()
    if unit.kind == "department":
        unit.department_id = unit.id
    return unit


# ------------------------------------------------------------------------------------------------------ rename
def rename_unit(session: Session, actor: Actor, unit_id: int, data: dict, *, context: Context = CLI) -> Unit:
    """A new name (and, if given, a new code) from the effective date; the old ones stay on earlier documents."""
    _require(actor)
    unit = _unit(session, unit_id)
    form = inputs.Form()
    date = _effective(session, form, data, unit)
    name = form.text("name", data.get("name"), limit=255, required=True)
    code = form.text("code", data.get("code"), limit=32) or unit.code
    if code != unit.code and session.scalar(select(Unit.id).where(Unit.code == code)) is not None:
        form.add("code", f"Mã đơn vị “{code}” đã tồn tại.")
    if name is not None and name == unit.name and code == unit.code:
        form.add("name", "Tên mới trùng tên hiện tại.")
    form.check()
    change = _change(session, actor, "rename", unit, date, {
        "before": {"name": unit.name, "code": unit.code}, "after": {"name": name, "code": code}})
    _former(session, unit, change)
    unit.name, unit.code = name, code
    unit.search_text = fold(f"{code} {name}")
    _emit(session, actor, change, context)
    return unit


# ------------------------------------------------------------------------------------------------------ merge
def merge_units(session: Session, actor: Actor, unit_id: int, data: dict, *, context: Context = CLI) -> Unit:
    """Merges `unit_id` (and `also_ids`) into an existing unit (`into_id`) or a new one (`new_code`, `new_name`,
    placed like the first unit). People and nominations in flight move to the successor; the predecessors close on
    the effective date, replaced by it."""
    _require(actor)
    form = inputs.Form()
    also = form.ids("also_ids", data.get("also_ids"), required=False) if not inputs.blank(data.get("also_ids")) \
        else []
    into_id = form.integer("into_id", data.get("into_id")) if not inputs.blank(data.get("into_id")) else None
    units = _lock(session, [unit_id, *also, *([into_id] if into_id else [])])
    if unit_id not in units:
        raise NotFound("Không tìm thấy đơn vị.")
    sources = [units[unit_id]] + [units[i] for i in dict.fromkeys(also) if i in units and i != unit_id]
    for missing in [i for i in also if i not in units]:
        form.add("also_ids", f"Đơn vị #{missing} không tồn tại.")
    target = units.get(into_id) if into_id is not None else None
    new = None
    if into_id is not None and target is None and "into_id" not in form:
        form.add("into_id", "Đơn vị nhận sáp nhập không tồn tại.")
    if into_id is None and "into_id" not in form:
        if inputs.blank(data.get("new_code")) and inputs.blank(data.get("new_name")):
            form.add("into_id", "Chọn đơn vị nhận sáp nhập, hoặc nhập mã và tên đơn vị mới.")
        else:
            new = _new_unit(session, form, "new_", {"code": data.get("new_code"), "name": data.get("new_name")},
                            None, set())
    if target is not None and target.id in {s.id for s in sources}:
        form.add("into_id", "Không thể sáp nhập một đơn vị vào chính nó.")
    date = _effective(session, form, data, *sources, *([target] if target is not None else []),
                      fields={**{s.id: "also_ids" for s in sources[1:]}, **({target.id: "into_id"} if target else {})})
    like = target or sources[0]
    for s in sources:
        if s.kind != like.kind:
            form.add("into_id", f"“{s.name}” và “{like.name}” không cùng cấp: chỉ sáp nhập các đơn vị cùng cấp.")
        children = session.scalar(select(func.count(Unit.id)).where(Unit.parent_id == s.id, Unit.active.is_(True)))
        if children:
            form.add("unit_id", f"“{s.name}” còn {children} đơn vị trực thuộc: chuyển (điều chuyển) các đơn vị đó "
                                f"trước khi sáp nhập.")
    source_ids = [s.id for s in sources]
    nominations = _in_flight(session, source_ids)
    if target is not None:
        moves = [(n, target) for n in nominations]
        _check_nominations_fit(form, "into_id", moves)
        _existing_live(session, form, "into_id", moves)
    else:
        dept = _department_of(like)
        for n in nominations:
            if n.department_id != dept:
                form.add("into_id", f"Hồ sơ #{n.id} thuộc phong trào của Sở khác.")
        keys: dict = {}
        for n in nominations:
            if n.subject_type == "collective":
                if n.campaign_id in keys:
                    form.add("into_id", f"Hồ sơ #{keys[n.campaign_id]} và #{n.id} cùng đề nghị tập thể trong một "
                                        f"phong trào: sau thay đổi sẽ trùng đối tượng; rút một hồ sơ trước.")
                keys[n.campaign_id] = n.id
    form.check()
    if target is None:
        target = _create(session, new, like)
    change = _change(session, actor, "merge", target, date, {
        "sources": [{"id": s.id, "code": s.code, "name": s.name} for s in sources],
        "into": {"id": target.id, "code": target.code, "name": target.name, "created": new is not None}})
    people = [_move_person(session, p, target) for p in _active_people(session, source_ids)]
    moved = [_move_nomination(n, target) for n in nominations]
    users = _move_users(session, source_ids, target)
    for s in sources:
        _close(s, date, target)
        session.add(UnitSuccessor(predecessor_id=s.id, successor_id=target.id, effective_date=date,
                                  inherits_records=True, change_id=change.id))
    target.has_predecessors = True
    change.details = {**change.details, "people": people, "nominations": moved, "users": users}
    _emit(session, actor, change, context)
    return target


def _move_users(session: Session, unit_ids, target: Unit) -> list[int]:
    """Accounts of the closed units: the unit head's account keeps its unit (its scope ends on the effective date,
    `policy` reads the unit's `closed_on`); the others (staff, department roles) follow to the successor."""
    users = list(session.scalars(select(User).where(User.unit_id.in_(list(unit_ids))).order_by(User.id)))
    moved = []
    for user in users:
        if policy.UNIT_HEAD in user.role_codes:
            continue
        user.unit_id = target.id
        user.department_id = _department_of(target)
        moved.append(user.id)
    return moved


# ------------------------------------------------------------------------------------------------------ split
def split_unit(session: Session, actor: Actor, unit_id: int, data: dict, *, context: Context = CLI) -> list[Unit]:
    """Splits a unit into parts: each part is a new unit (`code`, `name`) or an existing one (`unit_id`) of the same
    department; `people` and `nominations` map every active person and every nomination in flight of the unit to a
    part's index (all of them, exactly as the sheet says, or nothing changes); one part is marked `inherits_records`
    (the successor of the unit's awards in the eligibility rules). The unit closes on the effective date."""
    _require(actor)
    unit = _unit(session, unit_id)
    form = inputs.Form()
    date = _effective(session, form, data, unit)
    raw_parts = data.get("parts")
    if not isinstance(raw_parts, list) or len(raw_parts) < 2:
        form.add("parts", "Chia tách cần ít nhất hai đơn vị mới hoặc đơn vị nhận.")
        raw_parts = raw_parts if isinstance(raw_parts, list) else []
    parts: list[Unit | dict | None] = []
    codes: set[str] = set()
    heirs = []
    for i, part in enumerate(raw_parts):
        prefix = f"parts.{i}."
        if not isinstance(part, dict):
            form.add(f"parts.{i}", f"Đơn vị thứ {i + 1}: không hợp lệ.")
            parts.append(None)
            continue
        if inputs.flag(part.get("inherits_records")):
            heirs.append(i)
        if not inputs.blank(part.get("unit_id")):
            existing_id = form.integer(f"{prefix}unit_id", part.get("unit_id"))
            existing = _lock(session, [existing_id]).get(existing_id) if existing_id is not None else None
            if existing_id is not None and existing is None:
                form.add(f"{prefix}unit_id", f"Đơn vị thứ {i + 1}: không tồn tại.")
            elif existing is not None and existing.id == unit.id:
                form.add(f"{prefix}unit_id", f"Đơn vị thứ {i + 1}: không thể là chính đơn vị bị chia tách.")
            elif existing is not None and (not existing.active or existing.closed_on is not None):
                form.add(f"{prefix}unit_id", _closed_text(existing))
            elif existing is not None and _department_of(existing) != _department_of(unit):
                form.add(f"{prefix}unit_id", f"Đơn vị thứ {i + 1}: phải thuộc cùng Sở với đơn vị bị chia tách.")
            parts.append(existing)
        else:
            parts.append(_new_unit(session, form, prefix, part, unit.parent, codes))
    if raw_parts and len(heirs) != 1:
        form.add("parts", "Đánh dấu đúng một đơn vị kế thừa thành tích, khen thưởng của đơn vị bị chia tách.")
    people = _active_people(session, [unit.id])
    nominations = _in_flight(session, [unit.id])
    person_to = _assignments(form, "people", data.get("people"), {p.id for p in people}, len(parts),
                             "Cá nhân", lambda i: next(p.full_name for p in people if p.id == i))
    nomination_to = _assignments(form, "nominations", data.get("nominations"), {n.id for n in nominations},
                                 len(parts), "Hồ sơ", lambda i: f"#{i}")
    _check_split_nominations(session, form, nominations, nomination_to, parts)
    form.check()
    created = [p if isinstance(p, Unit) else _create(session, p, unit) for p in parts]
    moves = [(n, created[nomination_to[n.id]]) for n in nominations]
    change = _change(session, actor, "split", unit, date, {
        "parts": [{"id": u.id, "code": u.code, "name": u.name, "created": not isinstance(p, Unit),
                   "inherits_records": i == heirs[0]} for i, (u, p) in enumerate(zip(created, parts, strict=True))]})
    moved_people = [_move_person(session, p, created[person_to[p.id]]) for p in people]
    moved = [_move_nomination(n, t) for n, t in moves]
    users = _move_users(session, [unit.id], created[heirs[0]])
    _close(unit, date, created[heirs[0]])
    for i, u in enumerate(created):
        session.add(UnitSuccessor(predecessor_id=unit.id, successor_id=u.id, effective_date=date,
                                  inherits_records=i == heirs[0], change_id=change.id))
    created[heirs[0]].has_predecessors = True
    change.details = {**change.details, "people": moved_people, "nominations": moved, "users": users}
    _emit(session, actor, change, context)
    return created


def _check_split_nominations(session: Session, form: inputs.Form, nominations: list[Nomination],
                             nomination_to: dict[int, int], parts: list) -> None:
    """Before anything is written: nominations going to an existing part must not meet a live one of the same
    collective there, and no two collective ones of a campaign may go to the same part (new parts share the
    department of the unit split, so their campaigns stay theirs)."""
    seen: dict[tuple[int, int], int] = {}
    existing_moves = []
    for n in nominations:
        part = nomination_to.get(n.id)
        if part is None or parts[part] is None:
            continue
        if isinstance(parts[part], Unit):
            existing_moves.append((n, parts[part]))
        if n.subject_type == "collective":
            key = (n.campaign_id, part)
            if key in seen:
                message = (f"Hồ sơ #{seen[key]} và #{n.id} cùng đề nghị tập thể trong một phong trào: không thể cùng "
                           f"về đơn vị thứ {part + 1}.")
                form.add(f"nominations.{n.id}", message)
            seen[key] = n.id
    _check_nominations_fit(form, "nominations", existing_moves)
    _existing_live(session, form, "nominations", existing_moves)


def _assignments(form: inputs.Form, field: str, raw, expected: set[int], parts: int, what: str, name) -> dict:
    """{id: part index} from the sheet: every expected id exactly once, each to an existing part."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        form.add(field, "Phân công không hợp lệ.")
        return {}
    result: dict[int, int] = {}
    for key, value in raw.items():
        try:
            obj_id, part = int(key), int(value)
        except (TypeError, ValueError):
            form.add(f"{field}.{key}", f"{what} {key}: phân công không hợp lệ.")
            continue
        if obj_id not in expected:
            message = f"{what} {key} không thuộc đơn vị bị chia tách (hoặc không còn hoạt động, đang xử lý)."
            form.add(f"{field}.{key}", message)
        elif not 0 <= part < parts:
            message = f"{what} {name(obj_id)}: đơn vị thứ {part + 1} không có trong danh sách."
            form.add(f"{field}.{key}", message)
        else:
            result[obj_id] = part
    for missing in sorted(expected - set(result) - {int(k) for k in raw if str(k).lstrip("-").isdigit()}):
        message = f"{what} {name(missing)} chưa được phân về đơn vị nào."
        form.add(f"{field}.{missing}", message)
    return result


# ------------------------------------------------------------------------------------------------------ move
def move_unit(session: Session, actor: Actor, unit_id: int, data: dict, *, context: Context = CLI) -> Unit:
    """Places the unit under another parent from the effective date (e.g. a department under the merged province's
    department, a division to another department). Its accounts follow it to its new department."""
    _require(actor)
    unit = _unit(session, unit_id)
    form = inputs.Form()
    date = _effective(session, form, data, unit)
    parent_id = form.integer("parent_id", data.get("parent_id"), required=True)
    parent = _lock(session, [parent_id]).get(parent_id) if parent_id is not None else None
    if parent_id is not None and parent is None:
        form.add("parent_id", "Đơn vị cấp trên không tồn tại.")
    if parent is not None:
        if parent.id == unit.parent_id:
            form.add("parent_id", "Đơn vị đã thuộc đơn vị cấp trên này.")
        elif org_queries.within(parent, unit):
            form.add("parent_id", "Không được chọn chính đơn vị hoặc đơn vị cấp dưới làm cấp trên (vòng lặp).")
        elif not parent.active or parent.closed_on is not None:
            form.add("parent_id", _closed_text(parent))
        elif unit.kind == "ministry":
            form.add("unit_id", "Bộ không thuộc đơn vị cấp trên nào.")
        elif unit.kind in PART_KINDS and parent.kind != "department":
            form.add("parent_id", "Phòng, đơn vị phải thuộc một Sở.")
        elif unit.kind == "department" and parent.kind not in ("ministry", "department"):
            form.add("parent_id", "Sở phải thuộc Bộ hoặc một Sở khác.")
    new_department = unit.id if unit.kind == "department" else (
        _department_of(parent) if parent is not None else None)
    nominations = []
    if parent is not None and new_department != unit.department_id and "parent_id" not in form:
        nominations = _in_flight(session, [unit.id])
        _check_nominations_fit(form, "parent_id", [(n, parent) for n in nominations])
    form.check()
    change = _change(session, actor, "move", unit, date, {
        "before": {"parent_id": unit.parent_id}, "after": {"parent_id": parent.id, "parent_name": parent.name}})
    _former(session, unit, change)
    unit.parent_id = parent.id
    unit.parent = parent
    if new_department != unit.department_id:
        unit.department_id = new_department
        for user in session.scalars(select(User).where(User.unit_id == unit.id)):
            user.department_id = new_department
    _emit(session, actor, change, context)
    return unit


# ------------------------------------------------------------------------------------------------------ close
def close_unit(session: Session, actor: Actor, unit_id: int, data: dict, *, context: Context = CLI) -> Unit:
    """Closes a unit (giải thể) on the effective date. With `successor_id` (a district Phòng Tư pháp whose work
    passes to the department, say) its people and nominations in flight move there and the successor inherits its
    records; without one, the unit must have no active people, sub-units or nominations in flight left."""
    _require(actor)
    form = inputs.Form()
    successor_id = form.integer("successor_id", data.get("successor_id")) \
        if not inputs.blank(data.get("successor_id")) else None
    units = _lock(session, [unit_id, *([successor_id] if successor_id else [])])
    if unit_id not in units:
        raise NotFound("Không tìm thấy đơn vị.")
    unit = units[unit_id]
    successor = units.get(successor_id) if successor_id is not None else None
    if successor_id is not None and successor is None:
        form.add("successor_id", "Đơn vị kế thừa không tồn tại.")
    if successor is not None and successor.id == unit.id:
        form.add("successor_id", "Đơn vị kế thừa không thể là chính đơn vị giải thể.")
        successor = None
    date = _effective(session, form, data, unit)
    if successor is not None and (not successor.active or successor.closed_on is not None):
        form.add("successor_id", _closed_text(successor))
    children = session.scalar(select(func.count(Unit.id)).where(Unit.parent_id == unit.id, Unit.active.is_(True)))
    if children:
        form.add("unit_id", f"Đơn vị còn {children} đơn vị trực thuộc: chuyển hoặc giải thể các đơn vị đó trước.")
    people = _active_people(session, [unit.id])
    nominations = _in_flight(session, [unit.id])
    if successor is None and "successor_id" not in form:
        if people:
            form.add("successor_id", f"Đơn vị còn {len(people)} cá nhân đang công tác: chọn đơn vị kế thừa để chuyển "
                                     f"họ sang, hoặc chuyển họ trước.")
        if nominations:
            form.add("successor_id", f"Đơn vị còn {len(nominations)} hồ sơ đang xử lý: chọn đơn vị kế thừa, hoặc "
                                     f"hoàn tất, rút hồ sơ trước.")
    elif successor is not None:
        moves = [(n, successor) for n in nominations]
        _check_nominations_fit(form, "successor_id", moves)
        _existing_live(session, form, "successor_id", moves)
    form.check()
    change = _change(session, actor, "close", unit, date, {
        "successor": {"id": successor.id, "code": successor.code, "name": successor.name} if successor else None})
    details = dict(change.details)
    if successor is not None:
        details["people"] = [_move_person(session, p, successor) for p in people]
        details["nominations"] = [_move_nomination(n, successor) for n in nominations]
        details["users"] = _move_users(session, [unit.id], successor)
        session.add(UnitSuccessor(predecessor_id=unit.id, successor_id=successor.id, effective_date=date,
                                  inherits_records=True, change_id=change.id))
        successor.has_predecessors = True
    change.details = details
    _close(unit, date, successor)
    _emit(session, actor, change, context)
    return unit


def _part_number(value):
    """A part typed on the page as 1, 2, ... → the operation's index from 0 (anything else as typed, to be refused)."""
    text = str(value).strip()
    return int(text) - 1 if text.isdigit() else text


def form_data(kind: str, form) -> dict:
    """The page's flat form (`get`, `getlist`, `items` of a MultiDict) as the operation takes it. A split's parts are
    one per line, "MÃ | Tên đơn vị" for a new unit or "#id" for an existing one; `heir` is the number of the part
    that inherits the records; `person_<id>` and `nomination_<id>` the number of each one's part."""
    data = {"effective_date": form.get("effective_date")}
    if kind == "rename":
        data |= {"name": form.get("name"), "code": form.get("code")}
    elif kind == "merge":
        data |= {"into_id": form.get("into_id"), "new_code": form.get("new_code"), "new_name": form.get("new_name"),
                 "also_ids": inputs.ids_as_typed(form.getlist("also_ids"))}
    elif kind == "move":
        data["parent_id"] = form.get("parent_id")
    elif kind == "close":
        data["successor_id"] = form.get("successor_id")
    elif kind == "split":
        parts = []
        for line in (form.get("parts") or "").splitlines():
            line = line.strip()
            if not line:
                continue
            if line.startswith("#"):
                parts.append({"unit_id": line[1:].strip()})
            else:
                code, _, name = line.partition("|")
                parts.append({"code": code.strip(), "name": name.strip()})
        heir = _part_number(form.get("heir") or "")
        for i, part in enumerate(parts):
            part["inherits_records"] = i == heir
        data |= {"parts": parts,
                 "people": {k[len("person_"):]: _part_number(v) for k, v in form.items()
                            if k.startswith("person_") and not inputs.blank(v)},
                 "nominations": {k[len("nomination_"):]: _part_number(v) for k, v in form.items()
                                 if k.startswith("nomination_") and not inputs.blank(v)}}
    return data


def summary(session: Session, unit: Unit) -> dict:
    """What a change of `unit` would carry along (the confirmation step shows it): its active people, its
    nominations in flight, its active sub-units."""
    return {"people": _active_people(session, [unit.id]),
            "nominations": list(session.scalars(select(Nomination).where(
                Nomination.unit_id == unit.id, Nomination.state.not_in(SETTLED_STATES)).order_by(Nomination.id))),
            "children": list(session.scalars(select(Unit).where(Unit.parent_id == unit.id, Unit.active.is_(True))
                                             .order_by(Unit.code)))}


OPERATIONS = {"rename": rename_unit, "merge": merge_units, "split": split_unit, "move": move_unit,
              "close": close_unit}


def apply(session: Session, actor: Actor, kind: str, unit_id: int, data: dict, *, context: Context = CLI):
    """One change by its kind (the API's and the page's one entry)."""
    if kind not in OPERATIONS:
        raise ValidationFailed("Loại thay đổi không hợp lệ.", [f"Không có thay đổi “{kind}”."])
    return OPERATIONS[kind](session, actor, unit_id, data, context=context)
