"""The only place that changes a nomination. Every function takes a session and an actor, performs the action
completely or raises a DomainError, and never commits: the caller owns the unit of work, so the audit and outbox
rows the signal receivers write roll back with the change.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import bindparam, exists, insert, inspect, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import instance_state, set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from models import (
    ATTACHMENT_KINDS,
    Attachment,
    AuditChainHead,
    AwardRecord,
    Campaign,
    Checkin,
    CriterionAnswer,
    Nomination,
    Person,
    StateChange,
    Unit,
    fold,
)
from models.audit import TAKEN, department_chain
from models.plain import PlainSelect, attach_written
from workflow import clock, events, inputs, policy, signals, uploads
from workflow.context import CLI, Context
from workflow.errors import Conflict, Forbidden, StaleVersion, ValidationFailed
from workflow.labels import ACTION_LABELS, STATE_LABELS
from workflow.nominations import guards, machine, queries, rules
from workflow.nominations.machine import EDITABLE_STATES, stage_rank
from workflow.nominations.queries import PARENTS
from workflow.policy import Actor
from workflow.proposals import items as proposal_items

TEXT_LIMITS = {"title": 500, "achievements": 20000, "initiatives": 20000, "nurture_plan": 20000}
# The nomination forms' own labels where the glossary's generic one (workflow.labels.FIELD_LABELS) reads differently.
LABELS = {"title": "Tên hồ sơ điển hình", "note": "Nội dung theo dõi, đánh giá", "date": "Ngày theo dõi"}


def _search_text(n: Nomination, subject_name: str) -> str:
    return fold(f"{n.title} {subject_name}")[:1000]


def load(session: Session, actor: Actor, nomination_id: int, *, for_update: bool = False) -> Nomination:
    """Loads a nomination the actor may see (404 otherwise, so its existence is not revealed). A change (`for_update`)
    reads its campaign, unit and subject in the same statement (the lock is on the nomination's row only): the rules,
    the receivers and the detail a change answers with ask for them, each a round trip of its own otherwise."""
    return policy.load(session, actor, "nomination", nomination_id, for_update=for_update,
                       parents=PARENTS if for_update else ())


def edit_refusals(actor: Actor, n: Nomination) -> list[str]:
    """Why `actor` may not change the dossier (its fields, check-ins, attachments) now: role, scope, subject, state."""
    reasons = policy.refusals(actor, "edit", n)
    if not reasons and n.state not in EDITABLE_STATES:
        reasons.append("Hồ sơ chỉ được chỉnh sửa khi ở trạng thái Đã đăng ký hoặc Đang bồi dưỡng.")
    return reasons


def lock_nominations(session: Session, nomination_ids, *, actor: Actor | None = None) -> dict[int, Nomination]:
    """Locks the nominations with these ids in one order — by id — and returns them by id, freshly loaded.

    Every operation that changes several nominations calls this once, before it changes (or writes rows referring
    to) any of them, and keeps the locks to its commit: `transition` locks its own row again, which is then a no-op.
    Two such operations, or one of them and a single transition (which holds one row only), then never wait for each
    other in a cycle: without it, an operation holding the rows (and the audit tail) of its first items waited for a
    row a single transition held while that transition waited for the audit tail — PostgreSQL's DeadlockDetected.
    On PostgreSQL this is one `SELECT ... ORDER BY id FOR UPDATE` (rows are locked as the sorted rows come out); on
    SQLite the transaction's BEGIN IMMEDIATE already holds the database's write lock. Ids that do not exist — or,
    given `actor`, that the actor may not see — are absent from the result (the caller reports them, as `load`'s
    404 would). Lock parents first (a proposal, a council session), then the nominations, then write."""
    ids = sorted({i for i in nomination_ids if isinstance(i, int) and not isinstance(i, bool)})
    if not ids:
        return {}
    rows = session.scalars(select(Nomination).where(Nomination.id.in_(ids)).order_by(Nomination.id)
                           .with_for_update().execution_options(populate_existing=True)).all()
    signals.emit(session, events.NominationsLocked(nominations=tuple(rows)))
    return {n.id: n for n in rows if actor is None or policy.can(actor, "view", n)}


def _check_version(n: Nomination, expected_version) -> None:
    try:
        expected = int(expected_version)
    except (TypeError, ValueError):
        raise ValidationFailed("Thiếu thông tin phiên bản của hồ sơ đang sửa.",
                               ["Trang đã mở quá lâu hoặc không đầy đủ: hãy tải lại trang hồ sơ rồi thực hiện lại."],
                               {"version": "Bắt buộc."}) from None
    if n.version != expected:
        raise StaleVersion(STALE_DETAIL, [STALE_REASON], current_version=n.version)


# A version conflict in the user's words: what happened and what to do, never "version 2, you sent 1".
STALE_DETAIL = ("Hồ sơ vừa được người khác cập nhật sau khi anh/chị mở trang, nên thao tác của anh/chị chưa được "
                "thực hiện.")
STALE_REASON = "Hãy xem lại nội dung và trạng thái hiện tại của hồ sơ, rồi thực hiện lại nếu vẫn cần."


def _flush(session: Session) -> None:
    """Flushes, turning a lost race (stale version, duplicate step, locked SQLite file) into a 409."""
    try:
        session.flush()
    except (StaleDataError, IntegrityError, OperationalError) as exc:
        session.rollback()
        raise Conflict("Thao tác trùng với một thao tác khác vừa được thực hiện. Vui lòng tải lại trang.") from exc


def _clean_text(value, field: str, *, required: bool = False) -> str:
    """A nomination text within its own limit (TEXT_LIMITS). An empty optional text (a step's usual comment) is
    answered at once: the rule has nothing to check in it, and asking cost a Form and a field's parse per step."""
    if value == "" and not required:
        return ""
    return inputs.one(field, inputs.text, value, detail="Dữ liệu không hợp lệ.", limit=TEXT_LIMITS.get(field, 20000),
                      required=required, long=inputs.is_long(field), label=LABELS.get(field)) or ""


# ---------------------------------------------------------------------------------------------------- create
def create_nomination(
    session: Session,
    actor: Actor,
    *,
    campaign_id: int,
    subject_type: str,
    unit_id: int | None = None,
    person_id: int | None = None,
    title: str,
    achievements: str = "",
    initiatives: str = "",
    today: dt.date | None = None,
    context: Context = CLI,
) -> Nomination:
    today = today or clock.today()
    title = _clean_text(title, "title", required=True)
    achievements = _clean_text(achievements, "achievements")
    initiatives = _clean_text(initiatives, "initiatives")
    if subject_type not in ("collective", "individual"):
        raise ValidationFailed("Loại đối tượng không hợp lệ.", ["Loại đối tượng: chọn Tập thể hoặc Cá nhân."],
                               {"subject_type": "Không hợp lệ"})
    campaign = session.get(Campaign, campaign_id) if isinstance(campaign_id, int) else None
    if campaign is None:
        raise ValidationFailed("Không tìm thấy phong trào thi đua.",
                               ["Phong trào thi đua: chưa chọn hoặc không tồn tại."], {"campaign_id": "Không tồn tại"})
    person = None
    if subject_type == "individual":
        person = session.get(Person, person_id) if isinstance(person_id, int) else None
        if person is None:
            raise ValidationFailed("Chưa chọn cá nhân được đề nghị.",
                                   ["Cá nhân được đề nghị: chưa chọn hoặc không tồn tại."],
                                   {"person_id": "Không tồn tại"})
        unit = person.unit
        subject_key = f"p:{person.id}"
    else:
        unit = session.get(Unit, unit_id) if isinstance(unit_id, int) else None
        if unit is None:
            raise ValidationFailed("Chưa chọn tập thể được đề nghị.",
                                   ["Tập thể được đề nghị: chưa chọn hoặc không tồn tại."],
                                   {"unit_id": "Không tồn tại"})
        subject_key = f"u:{unit.id}"
    refusals = policy.refusals(actor, "create", "nomination", department_id=unit.department_id, unit_id=unit.id)
    if refusals:
        raise Forbidden("Không có quyền đăng ký điển hình cho đơn vị này.", refusals)
    if actor.person_id is not None and person is not None and actor.person_id == person.id:
        raise Forbidden("Không được tự đăng ký mình làm điển hình.",
                        ["Không được thực hiện thao tác trên hồ sơ mà mình là đối tượng được đề nghị."])
    reasons = []
    if campaign.department_id != unit.department_id:
        reasons.append("Phong trào thi đua không thuộc Sở của đơn vị.")
    if not (campaign.start_date <= today <= campaign.registration_deadline):
        reasons.append(f"Phong trào chỉ nhận đăng ký từ {campaign.start_date:%d/%m/%Y} "
                       f"đến {campaign.registration_deadline:%d/%m/%Y}.")
    if not campaign.allows(subject_type):
        reasons.append("Phong trào không áp dụng cho loại đối tượng này.")
    if unit.kind not in ("division", "district_office") or not unit.active:
        reasons.append("Tập thể được đề nghị phải là phòng, đơn vị đang hoạt động thuộc Sở.")
    if person is not None and not person.active:
        reasons.append("Cá nhân không còn công tác.")
    live = session.scalar(
        select(Nomination.id).where(
            Nomination.campaign_id == campaign.id, Nomination.subject_key == subject_key,
            Nomination.state.not_in(("not_recognized", "withdrawn", "revoked")),
        )
    )
    if live is not None:
        reasons.append(f"Đối tượng này đã có hồ sơ đang xét trong phong trào (hồ sơ số {live}).")
    if reasons:
        raise ValidationFailed("Chưa đủ điều kiện đăng ký.", reasons)

    n = Nomination(
        campaign=campaign, campaign_id=campaign.id, department_id=unit.department_id, unit=unit, unit_id=unit.id,
        subject_type=subject_type, subject_person=person, subject_key=subject_key, title=title,
        achievements=achievements, initiatives=initiatives, state="registered", created_by_id=actor.id,
    )
    n.search_text = _search_text(n, person.full_name if person else unit.name)
    session.add(n)
    _flush(session)
    session.add(StateChange(nomination_id=n.id, version=n.version, action="create", from_state=None,
                            to_state="registered", actor_id=actor.id, data={}))
    _flush(session)
    signals.emit(session, events.NominationCreated(nomination=n, actor=actor, context=context))
    return n


# ---------------------------------------------------------------------------------------------------- update
EDITABLE_FIELDS = ("title", "achievements", "initiatives", "nurture_plan")


def update_nomination(
    session: Session, actor: Actor, nomination_id: int, expected_version, *, context: Context = CLI, **fields
) -> Nomination:
    n = load(session, actor, nomination_id, for_update=True)
    refusals = edit_refusals(actor, n)
    if refusals:
        raise Forbidden("Không thể chỉnh sửa hồ sơ.", refusals)
    _check_version(n, expected_version)
    unknown = set(fields) - set(EDITABLE_FIELDS) - {"criteria"}
    if unknown:
        raise ValidationFailed("Trường không được phép chỉnh sửa.", [f"Không hỗ trợ: {', '.join(sorted(unknown))}."])
    # Everything is validated before anything is touched: a refused edit leaves no half-applied change behind.
    values = {key: _clean_text(fields[key], key, required=(key == "title"))
              for key in EDITABLE_FIELDS if fields.get(key) is not None}
    answers = _validated_criteria(n, fields["criteria"]) if fields.get("criteria") is not None else {}
    changes: dict = {}
    with session.no_autoflush:  # one UPDATE, one version step (lazy loads below would otherwise flush twice)
        for key, value in values.items():
            if value != (getattr(n, key) or ""):
                changes[key] = {"before": getattr(n, key), "after": value}
                setattr(n, key, value)
        changes.update(_apply_criteria(n, answers))
        if not changes:
            return n
        n.search_text = _search_text(n, n.subject_name)
        n.updated_at = clock.now()  # also bumps `version` through the mapper
    _flush(session)
    signals.emit(session, events.NominationUpdated(nomination=n, changes=changes, actor=actor, context=context))
    return n


def _validated_criteria(n: Nomination, criteria) -> dict[str, tuple[bool | None, str]]:
    if not isinstance(criteria, dict):
        raise ValidationFailed("Tiêu chí không hợp lệ.", ["criteria phải là đối tượng {mã: {met, evidence}}."])
    known = {c.code for c in rules.criteria_for(n.subject_type, n.campaign.kind)}
    answers = {}
    for code, answer in criteria.items():
        if code not in known:
            raise ValidationFailed("Tiêu chí không hợp lệ.", [f"Tiêu chí '{code}' không áp dụng cho hồ sơ này."])
        if not isinstance(answer, dict) or not isinstance(answer.get("met", None), bool | type(None)):
            raise ValidationFailed("Tiêu chí không hợp lệ.", [f"Tiêu chí '{code}': met phải là true/false."])
        answers[code] = (answer.get("met"), _clean_text(answer.get("evidence", ""), "evidence"))
    return answers


def _apply_criteria(n: Nomination, answers: dict[str, tuple[bool | None, str]]) -> dict:
    rows = {a.code: a for a in n.criteria}
    changes = {}
    for code, (met, evidence) in answers.items():
        row = rows.get(code)
        if row is None:
            n.criteria.append(CriterionAnswer(code=code, met=met, evidence=evidence))
            changes[f"criteria.{code}"] = {"before": None, "after": {"met": met, "evidence": evidence}}
        elif row.met != met or row.evidence != evidence:
            changes[f"criteria.{code}"] = {"before": {"met": row.met, "evidence": row.evidence},
                                           "after": {"met": met, "evidence": evidence}}
            row.met, row.evidence = met, evidence
    return changes


# ---------------------------------------------------------------------------------------------------- items
def add_checkin(session: Session, actor: Actor, nomination_id: int, *, date, note: str,
                context: Context = CLI) -> Checkin:
    n = load(session, actor, nomination_id)
    refusals = edit_refusals(actor, n)
    if refusals:
        raise Forbidden("Không thể ghi nhận theo dõi cho hồ sơ này.", refusals)
    note = _clean_text(note, "note", required=True)
    day = inputs.one("date", inputs.date, date, detail="Ngày theo dõi không hợp lệ.", label=LABELS["date"]) \
        or clock.today()
    if day > clock.today() + dt.timedelta(days=1):
        raise ValidationFailed("Ngày theo dõi không hợp lệ.", ["Ngày theo dõi: không được ở tương lai."],
                               {"date": "Không được ở tương lai."})
    item = Checkin(nomination_id=n.id, date=day, note=note, author_id=actor.id)
    session.add(item)
    _flush(session)
    signals.emit(session, events.CheckinAdded(nomination=n, checkin=item, actor=actor, context=context))
    return item


def add_attachment(session: Session, actor: Actor, nomination_id: int, *, kind: str, filename: str, data: bytes,
                   internal: bool = False, context: Context = CLI) -> Attachment:
    """Stores an upload on the dossier; `internal` keeps it out of the public part that the department's staff read
    while the list is public for comments."""
    n = load(session, actor, nomination_id)
    refusals = edit_refusals(actor, n)
    if refusals:
        raise Forbidden("Không thể đính kèm tài liệu cho hồ sơ này.", refusals)
    if kind not in ATTACHMENT_KINDS:
        raise ValidationFailed("Loại tài liệu không hợp lệ.",
                               ["Loại tài liệu: chọn một loại trong danh sách."], {"kind": "Không hợp lệ"})
    stored = uploads.store(session, data)
    safe_name = (filename or "tai-lieu").replace("/", "_").replace("\\", "_")[:255]
    if not isinstance(internal, bool):
        raise ValidationFailed("Thông tin chưa hợp lệ.", ["“Tài liệu nội bộ” phải là có hoặc không."],
                               {"internal": "Không hợp lệ"})
    item = Attachment(nomination_id=n.id, kind=kind, filename=safe_name, content_type=stored.content_type,
                      size=stored.size, sha256=stored.sha256, uploaded_by_id=actor.id, internal=internal)
    session.add(item)
    n.attachments.append(item)
    _flush(session)
    signals.emit(session, events.AttachmentAdded(nomination=n, attachment=item, actor=actor, context=context))
    return item


# ---------------------------------------------------------------------------------------------------- transitions
@dataclass(frozen=True)
class ActionOption:
    code: str
    label: str
    requires: tuple[str, ...]
    irreversible: bool
    allowed: bool
    reasons: tuple[str, ...]
    dest: str


def refusals_for(session: Session, actor: Actor, n: Nomination, action: str, data: dict | None = None,
                 *, check_data: bool = True, skip: tuple[guards.Guard, ...] = ()) -> tuple[list[str], list[str]]:
    """(permission refusals, guard failures) for `action` on `n` by `actor`: the one answer `available_actions`
    offers and `transition` enforces. `skip` leaves out guards an operation satisfies itself (see
    guards.listed_in_decision)."""
    trig = machine.TRIGGERS[action]
    perm = policy.refusals(actor, trig.code, n)
    if perm:
        return perm, []
    data = data or {}
    failures = guards.missing_data(trig.requires, data, n) if check_data else []
    failures += guards.check(session, n, action, data, skip=skip)
    return [], failures


def available_actions(session: Session, actor: Actor, n: Nomination) -> list[ActionOption]:
    """The triggers from the current state that this actor holds the role and scope for, each with whether its
    guards hold now (ignoring data the actor will type in the form)."""
    options = []
    for trig in machine.triggers_from(n.state):
        perm, failures = refusals_for(session, actor, n, trig.code, check_data=False)
        if perm:
            continue
        options.append(ActionOption(trig.code, ACTION_LABELS[trig.code], trig.requires, trig.irreversible,
                                    not failures, tuple(failures), trig.dest))
    if n.state == "submitted" and n.accepted_at is None:
        perm, failures = accept_refusals(actor, n)
        if not perm:  # offered before "return for revision": the desk's two answers to a submitted dossier
            options.insert(0, ActionOption("accept", ACTION_LABELS["accept"], (), False, not failures,
                                           tuple(failures), n.state))
    return options


# ---------------------------------------------------------------------------------------------------- the desk
def accept_refusals(actor: Actor, n: Nomination) -> tuple[list[str], list[str]]:
    """(permission refusals, failures) of "Tiếp nhận hồ sơ" on `n`: the secretariat of its department, a submitted
    dossier not accepted yet, and the completeness checklist of `rules.dossier_checklist` all met. Acceptance is no
    state of DOMAIN.md's lifecycle: the dossier stays "Chờ Hội đồng xét"; the step is a history row, an audit event
    and the unit told, and the nomination keeps when and by whom (`accepted_at`, `accepted_by_id`)."""
    perm = policy.refusals(actor, "accept", n)
    if perm:
        return perm, []
    failures = []
    if n.state != "submitted":
        failures.append("Chỉ tiếp nhận hồ sơ đang Chờ Hội đồng xét (đơn vị đã trình).")
    elif n.accepted_at is not None:
        failures.append(f"Hồ sơ đã được tiếp nhận ngày {n.accepted_at:%d/%m/%Y}.")
    failures += [i.gap for i in rules.dossier_checklist(n) if not i.ok]
    return [], failures


def accept_nomination(session: Session, actor: Actor, nomination_id: int, expected_version, *, comment: str = "",
                      context: Context = CLI) -> Nomination:
    """"Tiếp nhận hồ sơ": the secretariat checked the submitted dossier against the checklist and accepts it for
    the council. The answer otherwise is `transition(..., "return_for_revision", reason=...)`."""
    n = load(session, actor, nomination_id, for_update=True)
    _check_version(n, expected_version)
    comment = _clean_text(comment, "comment")
    perm, failures = accept_refusals(actor, n)
    if perm:
        raise Forbidden("Không có quyền thực hiện thao tác này.", perm)
    if n.state != "submitted" or n.accepted_at is not None:
        raise Conflict("Không thể tiếp nhận hồ sơ ở trạng thái hiện tại.", failures)
    if failures:
        raise ValidationFailed("Chưa đủ điều kiện để tiếp nhận hồ sơ.", failures)
    _accept(session, actor, [n], comment, context, via_agenda=False)
    return n


def accept_on_agenda(session: Session, actor: Actor, ns: list[Nomination], *, context: Context = CLI) -> None:
    """Setting a council session's agenda (workflow.council.operations.set_agenda, and CONTRACT.md's
    `POST /council-sessions/{id}/agenda`, which knows no accept call) accepts the submitted dossiers on it not
    accepted yet: the acceptance is recorded explicitly — its own history row "Tiếp nhận hồ sơ", audit event and
    notice — rather than implied. The caller has locked `ns` and checked they may stand on the agenda; the
    completeness checklist was the submit guard's, and a submitted dossier cannot change. A dossier this actor may
    not accept (its subject is the actor: nobody acts on their own dossier) goes on the agenda as before, still "not
    accepted", for another member of the secretariat to accept."""
    todo = [n for n in ns if n.state == "submitted" and n.accepted_at is None and not accept_refusals(actor, n)[0]]
    if todo:
        _accept(session, actor, todo, "Tiếp nhận khi lập chương trình phiên họp Hội đồng.", context, via_agenda=True)


def _accept(session: Session, actor: Actor, ns: list[Nomination], comment: str, context: Context, *,
            via_agenda: bool) -> None:
    now = clock.now()
    changes = []
    with session.no_autoflush:
        for n in ns:
            n.accepted_at, n.accepted_by_id = now, actor.id  # bumps `version` through the mapper
            change = StateChange(nomination_id=n.id, version=n.version + 1, action="accept", from_state=n.state,
                                 to_state=n.state, actor_id=actor.id,
                                 on_behalf_of_id=actor.on_behalf_of.id if actor.on_behalf_of else None,
                                 comment=comment, data={"checklist": "complete"} | (
                                     {"via": "agenda"} if via_agenda else {}))
            session.add(change)
            changes.append(change)
    _flush(session)
    for n, change in zip(ns, changes, strict=True):
        signals.emit(session, events.NominationAccepted(nomination=n, change=change, via_agenda=via_agenda,
                                                        actor=actor, context=context))


def transition(
    session: Session,
    actor: Actor,
    nomination_id: int,
    action: str,
    expected_version,
    *,
    comment: str = "",
    context: Context = CLI,
    with_parts: bool = False,
    **data,
) -> Nomination:
    """Fires `action` on the nomination (locked, at `expected_version`) for `actor`. `with_parts`: the caller answers
    with the detail, whose parts (history, criteria, check-ins, attachments) are then read with the step where that
    saves a statement (`_record_step`), else by `queries.load_parts` as before."""
    if action == "accept":  # offered in available_actions beside the triggers: a client may fire it the same way
        return accept_nomination(session, actor, nomination_id, expected_version, comment=comment, context=context)
    if action not in machine.TRIGGERS:
        raise ValidationFailed("Thao tác không hợp lệ.", [f"'{action}' không phải là thao tác của quy trình."],
                               {"action": "Không hợp lệ"})
    n = load(session, actor, nomination_id, for_update=True)
    trig = machine.TRIGGERS[action]
    _check_step(n, expected_version, trig)
    comment = _clean_text(comment, "comment")
    data = {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items() if v is not None}
    perm, failures = refusals_for(session, actor, n, action, data)
    _enforce(action, perm, failures)
    change = _step(session, actor, n, action, comment, data, add=False)
    _record_step(session, n, change, with_parts=with_parts)  # "WHERE version = old": a concurrent winner: a 409
    signals.emit(session, events.NominationTransitioned(nomination=n, change=change, actor=actor, context=context))
    _recognised(session, actor, [n], action, data, context)
    return n


class Step(NamedTuple):
    """One nomination of `transition_many`: its id, the version the caller read, the comment of its history row."""

    nomination_id: int
    expected_version: int
    comment: str = ""


def transition_many(session: Session, actor: Actor, steps: list[Step], action: str, *, context: Context = CLI,
                    **data) -> list[Nomination]:
    """`transition` of several nominations by one action with the same data, each with its own comment, all or
    none: per nomination, in the order given, the same checks as `transition` (visible, version, state, permission,
    guards: the first refusal is raised as `transition` would raise it), the same shared machine and one history row
    each. What is done once for all: the load and lock (`lock_nominations`: one statement, by id), the guards
    (`guards.check_many`: one query for the council's outcomes), the flush, and the event — one
    NominationsTransitioned carrying every step as `transition` would have sent it, so the audit trail appends all
    the rows in one multi-row insert. A council's close rejects its failed items through here."""
    if action not in machine.TRIGGERS:
        raise ValidationFailed("Thao tác không hợp lệ.", [f"'{action}' không phải là thao tác của quy trình."],
                               {"action": "Không hợp lệ"})
    steps = list(steps)
    if not steps:
        return []
    trig = machine.TRIGGERS[action]
    found = lock_nominations(session, [step.nomination_id for step in steps], actor=actor)
    data = {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items() if v is not None}
    failures = guards.check_many(session, list(found.values()), action, data)
    ns, comments = [], []
    for step in steps:
        n = found.get(step.nomination_id) if not isinstance(step.nomination_id, bool) else None
        if n is None:
            raise policy.not_found("nomination")
        _check_step(n, step.expected_version, trig)
        comments.append(_clean_text(step.comment, "comment"))
        perm = policy.refusals(actor, trig.code, n)
        _enforce(action, perm, [] if perm else guards.missing_data(trig.requires, data, n) + failures[n.id])
        ns.append(n)
    versions = [n.version for n in ns]
    changes = [_step(session, actor, n, action, comment, dict(data), add=False)
               for n, comment in zip(ns, comments, strict=True)]
    if _write_states(session, ns, versions):
        _write_history(session, changes)
    else:
        session.add_all(changes)
        _flush(session)  # the states (one versioned UPDATE each), the history rows, anything else a step changed
    signals.emit(session, events.NominationsTransitioned(
        steps=tuple(events.NominationTransitioned(nomination=n, change=c, actor=actor, context=context)
                    for n, c in zip(ns, changes, strict=True)), actor=actor, context=context))
    _recognised(session, actor, ns, action, data, context)
    return ns


_NOMINATIONS = Nomination.__table__
_WRITE_STATES = (update(_NOMINATIONS)
                 .where(_NOMINATIONS.c.id == bindparam("n_id"), _NOMINATIONS.c.version == bindparam("n_old"))
                 .values(state=bindparam("n_state"), version=bindparam("n_new"),
                         furthest_stage=bindparam("n_stage")))  # updated_at: its onupdate


def _write_states(session: Session, ns: list[Nomination], versions: list[int]) -> bool:
    """The new states of nominations whose step changed nothing but the state, in one executemany UPDATE — the ORM
    writes a versioned row one statement at a time — each row still guarded by "WHERE version = old" (a row count
    short of the rows is the 409 of a lost race, as in `_flush`); the values are then set on the objects as the
    database holds them (`updated_at`, from the column's own onupdate, read back when asked for), so the flush does
    not write them again and the next version check starts from there."""
    if any(_changed_columns(n) - {"furthest_stage"} != {"state"} for n in ns) or session.new or session.deleted:
        return False  # a step that changed or added more (a nurture plan, an award) is written by the ORM's flush
    rows = [{"n_id": n.id, "n_old": v, "n_new": v + 1, "n_state": n.state, "n_stage": n.furthest_stage}
            for n, v in zip(ns, versions, strict=True)]
    with session.no_autoflush:
        written = session.execute(_WRITE_STATES, rows).rowcount
    if written != len(rows):
        session.rollback()
        raise Conflict("Thao tác trùng với một thao tác khác vừa được thực hiện. Vui lòng tải lại trang.")
    for n, row in zip(ns, rows, strict=True):
        set_committed_value(n, "state", row["n_state"])
        set_committed_value(n, "version", row["n_new"])
        set_committed_value(n, "furthest_stage", row["n_stage"])
        session.expire(n, ["updated_at"])  # set by the column's onupdate, read back if asked for
    return True


_HISTORY_COLUMNS = ("nomination_id", "version", "action", "from_state", "to_state", "actor_id", "on_behalf_of_id",
                    "comment", "data")


def _write_history(session: Session, changes: list[StateChange]) -> None:
    """The history rows in one multi-row INSERT (no ids read back: the ORM reads them one row per statement on
    SQLite). The StateChange objects stay outside the session: the events carry them as the rows written."""
    try:
        with session.no_autoflush:
            session.execute(insert(StateChange.__table__),
                            [{c: getattr(change, c) for c in _HISTORY_COLUMNS} for change in changes])
    except (IntegrityError, OperationalError) as exc:
        session.rollback()
        raise Conflict("Thao tác trùng với một thao tác khác vừa được thực hiện. Vui lòng tải lại trang.") from exc


_COLUMN_KEYS = tuple(a.key for a in inspect(Nomination).column_attrs)


def _changed_columns(n: Nomination) -> set[str]:
    state = inspect(n)
    return {key for key in _COLUMN_KEYS if state.attrs[key].history.has_changes()}


def _check_step(n: Nomination, expected_version, trig) -> None:
    _check_version(n, expected_version)
    if n.state not in trig.sources:
        raise Conflict(
            f"Không thể '{ACTION_LABELS[trig.code]}' khi hồ sơ đang ở trạng thái '{STATE_LABELS[n.state]}'.",
            [f"Trạng thái hiện tại: {STATE_LABELS[n.state]}."],
        )


def _enforce(action: str, perm: list[str], failures: list[str]) -> None:
    if perm:
        raise Forbidden("Không có quyền thực hiện thao tác này.", perm)
    if failures:
        raise ValidationFailed(f"Chưa đủ điều kiện để {ACTION_LABELS[action].lower()}.", failures)


def _step(session: Session, actor: Actor, n: Nomination, action: str, comment: str, data: dict, *,
          add: bool = True) -> StateChange:
    """Fires the shared machine on `n` (checked already), applies the step's effects and makes its history row
    (added to the session unless `add` is False); the caller flushes. `data` may be normalised in place (the
    decision date stored ISO)."""
    from_state, version_after = n.state, n.version + 1
    # No autoflush while the row changes: a lazy load (n.campaign in _apply_effects) would otherwise flush the new
    # state early, bumping `version` before the history row reads it (history one ahead of the nomination), and a
    # lost race would surface there as a raw StaleDataError instead of going through _flush's 409.
    with session.no_autoflush:
        if action == "start_nurturing" and data.get("nurture_plan"):
            n.nurture_plan = _clean_text(data["nurture_plan"], "nurture_plan")
        machine.fire(n, action)
        if stage_rank(n.state) > n.furthest_stage:  # the reports' funnel: how far it ever got
            n.furthest_stage = stage_rank(n.state)
        _apply_effects(session, n, action, data)
    if "decision_date" in data and not guards.missing_data(("decision_date",), data, n):
        data["decision_date"] = inputs.date(data["decision_date"]).isoformat()  # stored ISO, however it was typed
    recorded = {k: str(v) for k, v in data.items() if k in ("reason", "decision_number", "decision_date",
                                                              "nurture_plan", "session_id", "proposal_id",
                                                              "decision_id", "resubmission")}
    change = StateChange(
        nomination_id=n.id, version=version_after, action=action, from_state=from_state, to_state=n.state,
        actor_id=actor.id, on_behalf_of_id=actor.on_behalf_of.id if actor.on_behalf_of else None,
        comment=comment or data.get("reason", ""), data=recorded,
    )
    if add:
        session.add(change)
    return change


def _recognised(session: Session, actor: Actor, ns: list[Nomination], action: str, data: dict,
                context: Context) -> None:
    if action in RECOGNITION_LEVEL:
        for n in ns:
            signals.emit(session, events.ExampleRecognised(nomination=n, level=RECOGNITION_LEVEL[action],
                                                           decision_number=data.get("decision_number"), actor=actor,
                                                           context=context))


RECOGNITION_LEVEL = {"recognize_co_so": "co_so", "recognize_nganh": "nganh"}

# What a plain step changes on the nomination; anything else pending in the session goes through the ORM's flush.
_STEP_ATTRIBUTES = frozenset({"state", "nurture_plan", "furthest_stage"})
_N, _SC = Nomination.__table__, StateChange.__table__
_HISTORY = ("nomination_id", "version", "action", "from_state", "to_state", "actor_id", "on_behalf_of_id", "comment",
            "data", "created_at")
_HISTORY_PARAMS = tuple((c, f"h_{c}") for c in _HISTORY)  # the step statements' parameters of the history row
# The step's two writes, built once: the nomination moved on (only from the version read under the lock) and its
# history row. On PostgreSQL one statement (the INSERT reads the UPDATE's RETURNING: no row moved, no row recorded).
_MOVE = (update(_N).where(_N.c.id == bindparam("nid"), _N.c.version == bindparam("old_version"))
         .values(state=bindparam("new_state"), nurture_plan=bindparam("new_plan"), version=bindparam("new_version"),
                 furthest_stage=bindparam("new_stage"), updated_at=bindparam("now", type_=_N.c.updated_at.type)))
_RECORD = insert(_SC).returning(_SC.c.id)
_MOVED = _MOVE.returning(_N.c.id).cte("moved")
_STEP_PG = insert(_SC).from_select(list(_HISTORY), select(
    _MOVED.c.id, *(bindparam(f"h_{c}", type_=_SC.c[c].type) for c in _HISTORY[1:]))).returning(_SC.c.id)
_STEP_PG_PLAIN = PlainSelect(_STEP_PG)  # run below SQLAlchemy's execution (its types' processors applied)
# The same step and the detail's parts it answers with (`queries.parts_beside`), in one statement: the history row's
# id and the names of who acted first, then the parts as `queries.load_parts` reads them. The statement also takes
# the next position of the nomination's audit chain for the event the step is audited by (only when the nomination
# moved): the take `notifications.audit` would run next, one round trip fewer. It runs after the nomination's lock,
# as the audit's own take would: the lock order (the nominations, then the chain's head) holds.
_HEADS = AuditChainHead.__table__
_TAKEN = (update(_HEADS).where(_HEADS.c.chain == bindparam("audit_chain"), exists(select(_MOVED.c.id)))
          .values(seq=_HEADS.c.seq + 1).returning(_HEADS.c.seq, _HEADS.c.hash).cte("taken"))
_STEP_PG_PARTS = PlainSelect(queries.parts_beside(
    insert(_SC).from_select(list(_HISTORY), select(
        _MOVED.c.id, *(bindparam(f"h_{c}", type_=_SC.c[c].type) for c in _HISTORY[1:])))
    .returning(_SC.c.id, _SC.c.nomination_id, _SC.c.actor_id, _SC.c.on_behalf_of_id).cte("recorded"), _TAKEN))


_UPDATED_AT = _N.c.updated_at.onupdate  # the column's Python default on UPDATE (`models.base.utcnow`)


def _column_default(default):
    """The value of a column's Python default (`models.base.utcnow` for the times), as the flush computes it."""
    return default.arg(None)


def _record_step(session: Session, n: Nomination, change: StateChange, *, with_parts: bool = False) -> None:
    """Writes a step: the nomination's new state, version and time (`UPDATE ... WHERE version = old`) and its history
    row. A plain step (nothing pending in the session but the nomination's state and plan) is written by two built
    statements, one on PostgreSQL, and the session told that they are written (the objects are then exactly what a
    flush leaves, without the unit of work's cost: a fifth of a transition). Anything else (an award record, a
    proposal item closed, changes the caller left pending) goes through the ORM's flush as before. Either way a lost
    race (stale version, a step doubled, a locked SQLite file) is a 409 with nothing written.
    `with_parts` (the caller answers with the detail): on PostgreSQL the one statement also reads the detail's parts
    (`queries.parts_beside`) and sets them on `n` as `queries.load_parts` would after the step, one round trip fewer.
    The row lock taken by the load keeps every other step of `n` out, so the history read beside the step is the
    history before it; the row written is added to it."""
    state = instance_state(n)
    # Nothing added or deleted, no object changed but `n` (`session.new`, `.deleted` and `.dirty` read from the
    # session's own records, without the three sets those properties build), and `n` changed only in a step's columns.
    plain = (not session._new and not session._deleted
             and all(modified is state for modified in session.identity_map._modified)
             and set(state.committed_state) <= _STEP_ATTRIBUTES)
    if not plain:
        session.add(change)
        _flush(session)
        return
    now, old = _column_default(_UPDATED_AT), n.version  # the time the flush would have written
    change.created_at = now
    written = instance_state(change).dict  # the history row's values, all set by `_step` (read without the ORM)
    move = {"nid": n.id, "old_version": old, "new_state": n.state, "new_plan": n.nurture_plan,
            "new_version": change.version, "new_stage": n.furthest_stage, "now": now}
    # Run on the session's connection: Core statements of tables, which the session's ORM execution path (its
    # autoflush, which must not write the dirty nomination first, and its ORM hooks) has nothing to add to.
    connection = session.connection()
    step = move | {h: written[c] for c, h in _HISTORY_PARAMS}  # the PostgreSQL statements' parameters
    parts = None
    try:
        if connection.dialect.name == "postgresql" and with_parts:
            chain = step["audit_chain"] = department_chain(n.department_id)
            parts = _STEP_PG_PARTS.all(connection, step)
            change.id = queries.step_id(parts)
            taken = queries.step_taken(parts)
            if taken is not None:  # appended at by the step's audit event (NominationTransitioned, emitted next)
                session.info.setdefault(TAKEN, {})[chain] = taken
        elif connection.dialect.name == "postgresql":
            change.id = _STEP_PG_PLAIN.scalar(connection, step)
        elif connection.execute(_MOVE, move).rowcount == 1:
            change.id = connection.execute(_RECORD, {c: written[c] for c in _HISTORY}).scalar_one()
    except (IntegrityError, OperationalError) as exc:
        session.rollback()
        raise Conflict("Thao tác trùng với một thao tác khác vừa được thực hiện. Vui lòng tải lại trang.") from exc
    if change.id is None:
        session.rollback()
        raise Conflict("Thao tác trùng với một thao tác khác vừa được thực hiện. Vui lòng tải lại trang.")
    for key, value in (("version", change.version), ("updated_at", now)):
        set_committed_value(n, key, value)
    # What the flush does for each row it wrote: every attribute committed, the row no longer "modified" (else the
    # next statement's autoflush would run the whole unit of work to find nothing to write).
    state._commit_all(state.dict, session.identity_map)
    attach_written(session, change)  # persistent, as the flush leaves it (n.history finds it in the identity map)
    if parts is not None:
        queries.set_parts(session, n, parts, recorded=change)


def _apply_effects(session: Session, n: Nomination, action: str, data: dict) -> None:
    """What a recognition or a revocation writes beside the state: the award record the later rules read."""
    if action in ("recognize_co_so", "recognize_nganh"):
        year = n.campaign.end_date.year
        title, level = ("dien_hinh_co_so", "co_so") if action == "recognize_co_so" else ("dien_hinh_nganh", "bo")
        session.add(AwardRecord(
            person_id=n.subject_person_id if n.subject_type == "individual" else None,
            unit_id=n.unit_id if n.subject_type == "collective" else None,
            title=title, level=level, year=year, decision_number=data.get("decision_number"), nomination_id=n.id,
        ))
    if action in ("recognize_nganh", "reject_nganh"):
        proposal_items.close_item(session, n)
    if action == "return_for_revision" and n.accepted_at is not None:
        n.accepted_at = n.accepted_by_id = None  # the resubmitted dossier is accepted again
    if action == "submit" and session.scalar(select(exists().where(
            StateChange.nomination_id == n.id, StateChange.action == "return_for_revision"))):
        data["resubmission"] = "1"  # "Nộp lại hồ sơ" in the history and the notice (labels.step_label)
    if action == "revoke":
        for award in session.scalars(select(AwardRecord).where(AwardRecord.nomination_id == n.id)):
            award.revoked = True
