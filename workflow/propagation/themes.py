"""The yearly calendar of propaganda themes by month (000 §II.3: "Tháng 2 — Chào mừng … Đảng Cộng sản Việt Nam …"),
one per department and year: a theme (chủ đề) and its content (nội dung) for each month.

Everybody of the department reads it (so do the global readers and the Ministry, naming the department); the
secretariat of the department (and the admin) edits it. Saving replaces the year's calendar: a month left empty is
cleared. Each save that changes something emits `ThemesUpdated` (workflow.events) with the months before and after.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import PropagandaTheme, Unit
from workflow import clock, events, inputs, policy, signals
from workflow.context import CLI, Context
from workflow.errors import Conflict, Forbidden, ValidationFailed
from workflow.policy import Actor

MAX_THEME, MAX_NOTE = 1000, 5000
MIN_YEAR, MAX_YEAR = 2000, 2100


@dataclass
class Month:
    month: int
    theme: str = ""
    note: str = ""
    updated_at: dt.datetime | None = None


@dataclass
class Calendar:
    department: Unit
    year: int
    months: list[Month]

    @property
    def filled(self) -> int:
        return sum(1 for m in self.months if m.theme)


def parse_year(value, default: int) -> int:
    year = inputs.one("year", inputs.integer, value, detail="Năm không hợp lệ.", minimum=MIN_YEAR, maximum=MAX_YEAR)
    return default if year is None else year


def department_for(session: Session, actor: Actor, department=None) -> Unit:
    """The department whose calendar `actor` reads: their own, or the one named (global readers, the Ministry)."""
    global_reader = policy.widest_scope(actor, "view", "theme") == policy.ALL
    if department not in (None, ""):
        try:
            dep_id = int(department)
        except (TypeError, ValueError):
            raise ValidationFailed("Bộ lọc không hợp lệ.", ["department phải là số."], {"department": "Phải là số"}) \
                from None
        if not global_reader and dep_id != actor.department_id:
            raise Forbidden("Không có quyền xem lịch tuyên truyền của Sở khác.",
                            ["Chỉ xem được lịch tuyên truyền của Sở mình."])
    elif actor.department_id is not None and (not global_reader or _is_department(session, actor.department_id)):
        dep_id = actor.department_id
    elif global_reader:  # the Ministry's reviewer belongs to the Ministry, not a department: the first one
        first = session.scalar(select(Unit.id).where(Unit.kind == "department", Unit.active.is_(True))
                               .order_by(Unit.id))
        if first is None:
            raise ValidationFailed("Chưa có Sở nào trong hệ thống.", ["Thiếu đơn vị cấp Sở."])
        dep_id = first
    else:
        raise Forbidden("Tài khoản không thuộc Sở nào.", ["Tài khoản không thuộc Sở nào."])
    unit = session.get(Unit, dep_id) if 0 < dep_id < 2**31 else None
    if unit is None or unit.kind != "department":
        raise ValidationFailed("Sở không hợp lệ.", [f"Không có Sở mã số {dep_id}."], {"department": "Không hợp lệ"})
    return unit


def _is_department(session: Session, unit_id: int) -> bool:
    unit = session.get(Unit, unit_id)
    return unit is not None and unit.kind == "department"


def can_edit(actor: Actor, department: Unit) -> bool:
    return bool(policy.can(actor, "edit", "theme", department_id=department.id))


def calendar(session: Session, actor: Actor, *, year, department=None, default_year: int | None = None) -> Calendar:
    year = parse_year(year, default_year or clock.today().year)
    dep = department_for(session, actor, department)
    rows = {t.month: t for t in session.scalars(select(PropagandaTheme).where(
        PropagandaTheme.department_id == dep.id, PropagandaTheme.year == year))}
    months = [Month(m, rows[m].theme, rows[m].note, rows[m].updated_at) if m in rows else Month(m)
              for m in range(1, 13)]
    return Calendar(dep, year, months)


def _entries(months) -> dict[int, tuple[str, str]]:
    """Validates the posted months: a list of {"month": 1..12, "theme", "note"}, each month at most once."""
    if not isinstance(months, list) or len(months) > 12:
        raise ValidationFailed("Lịch tuyên truyền không hợp lệ.", ["months phải là danh sách tối đa 12 tháng."],
                               {"months": "Không hợp lệ"})
    result, reasons, errors = {}, [], {}
    for entry in months:
        if not isinstance(entry, dict):
            raise ValidationFailed("Lịch tuyên truyền không hợp lệ.", ["Mỗi tháng là một đối tượng."],
                                   {"months": "Không hợp lệ"})
        m = entry.get("month")
        if isinstance(m, bool) or not isinstance(m, int) or not 1 <= m <= 12:
            reasons.append(f"Tháng không hợp lệ: {str(m)[:20]} (1–12).")
            errors["months"] = "Tháng không hợp lệ"
            continue
        if m in result:
            reasons.append(f"Tháng {m} xuất hiện hai lần.")
            errors[f"theme_{m}"] = "Trùng tháng"
            continue
        theme, note = entry.get("theme") or "", entry.get("note") or ""
        if not isinstance(theme, str) or not isinstance(note, str):
            reasons.append(f"Tháng {m}: chủ đề và nội dung phải là chuỗi ký tự.")
            errors[f"theme_{m}"] = "Không hợp lệ"
            continue
        theme, note = theme.strip(), note.strip()
        if len(theme) > MAX_THEME:
            reasons.append(f"Tháng {m}: chủ đề tối đa {MAX_THEME} ký tự.")
            errors[f"theme_{m}"] = "Quá dài"
        if len(note) > MAX_NOTE:
            reasons.append(f"Tháng {m}: nội dung tối đa {MAX_NOTE} ký tự.")
            errors[f"note_{m}"] = "Quá dài"
        if note and not theme:
            reasons.append(f"Tháng {m}: có nội dung nhưng chưa có chủ đề.")
            errors[f"theme_{m}"] = "Bắt buộc khi có nội dung"
        result[m] = (theme, note)
    if reasons:
        raise ValidationFailed("Lịch tuyên truyền không hợp lệ.", reasons, errors)
    return result


def save(session: Session, actor: Actor, *, year, months, department=None, context: Context = CLI) -> Calendar:
    """Replaces the year's calendar of the department with `months` (absent or empty months are cleared)."""
    if year in (None, ""):
        raise ValidationFailed("Năm không hợp lệ.", ["Thiếu năm."], {"year": "Bắt buộc"})
    year = parse_year(year, 0)
    if department in (None, "") and actor.department_id is None \
            and policy.widest_scope(actor, "edit", "theme") == policy.ALL:
        raise ValidationFailed("Chưa chọn Sở.", ["Quản trị hệ thống cần chọn Sở (department)."],
                               {"department": "Bắt buộc"})
    dep = department_for(session, actor, department)
    if not can_edit(actor, dep):
        raise Forbidden("Không có quyền sửa lịch tuyên truyền.",
                        ["Chỉ Văn phòng Sở (hoặc quản trị hệ thống) được sửa lịch tuyên truyền của Sở."])
    wanted = _entries(months)
    rows = {t.month: t for t in session.scalars(select(PropagandaTheme).where(
        PropagandaTheme.department_id == dep.id, PropagandaTheme.year == year).with_for_update())}
    changes = {}
    for m in range(1, 13):
        theme, note = wanted.get(m, ("", ""))
        row = rows.get(m)
        before = {"theme": row.theme, "note": row.note} if row else None
        if not theme:
            if row is not None:
                session.delete(row)
                changes[str(m)] = {"before": before, "after": None}
            continue
        if row is None:
            session.add(PropagandaTheme(department_id=dep.id, year=year, month=m, theme=theme, note=note,
                                        updated_by_id=actor.id))
        elif (row.theme, row.note) != (theme, note):
            row.theme, row.note, row.updated_by_id, row.updated_at = theme, note, actor.id, clock.now()
        else:
            continue
        changes[str(m)] = {"before": before, "after": {"theme": theme, "note": note}}
    try:
        session.flush()
    except IntegrityError:  # another save of the same calendar inserted the same month first
        raise Conflict("Lịch tuyên truyền vừa được người khác cập nhật. Vui lòng tải lại rồi lưu lại.") from None
    if changes:
        signals.emit(session, events.ThemesUpdated(department_id=dep.id, year=year, changes=changes, actor=actor,
                                                   context=context))
    return calendar(session, actor, year=year, department=dep.id)
