"""Decisions (Quyết định) that recognise nominations: numbered per issuing body, type and year, all items or none.

Level `co_so`: the director (or a deputy under delegation, "KT. GIÁM ĐỐC") recognises items the council passed.
Level `nganh`: the Ministry's reviewer records the Minister's decision on proposed items.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from models import AgendaItem, CouncilSession, Decision, DecisionItem, Nomination, Person, Unit, User
from models.nominations import subject_name_of
from workflow import clock, events, inputs, numbering, offers, policy, signals
from workflow.context import CLI, Context
from workflow.council.queries import held_on
from workflow.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from workflow.lifecycles import SESSION_FINAL_STATES
from workflow.nominations import guards, service
from workflow.nominations.machine import TRIGGERS
from workflow.nominations.queries import page_params, paginate
from workflow.policy import Actor

LEVEL_ACTION = {"co_so": "recognize_co_so", "nganh": "recognize_nganh"}


def issuer_for(session: Session, actor: Actor, level: str) -> Unit:
    if level == "nganh":
        ministry = session.scalar(select(Unit).where(Unit.kind == "ministry").order_by(Unit.id))
        if ministry is None:
            raise ValidationFailed("Chưa có đơn vị Bộ Tư pháp trong hệ thống.", ["Thiếu đơn vị cấp Bộ."])
        return ministry
    unit = session.get(Unit, actor.department_id) if actor.department_id else None
    if unit is None:
        raise Forbidden("Tài khoản không thuộc Sở nào.", ["Tài khoản không thuộc Sở nào."])
    return unit


symbol = numbering.body_symbol


def next_number(session: Session, issuer: Unit, year: int, doc_type: str = "QĐ") -> int:
    last = session.scalar(select(func.max(Decision.seq)).where(
        Decision.issuer_id == issuer.id, Decision.doc_type == doc_type, Decision.year == year))
    return (last or 0) + 1


def _parse_number(number, issuer: Unit) -> int:
    return numbering.parse(number, doc_type="QĐ", issuer=issuer)


def _duplicate_number(session: Session, issuer: Unit, seq: int, year: int) -> ValidationFailed:
    return ValidationFailed("Số quyết định đã được sử dụng.",
                            [f"Số {seq}/QĐ-{symbol(issuer)} năm {year} đã có; số tiếp theo là "
                             f"{next_number(session, issuer, year)}."], {"number": "Trùng số"})


SIGNER_NAME_MAX = 200


def _signer(level: str, signer_name, signer_deputy) -> tuple[str | None, bool]:
    """The Minister's (or Deputy Minister's) name as printed under a ngành decision's signature. At the department
    level the signing user is the director or the delegated deputy: a name typed in would contradict them."""
    if signer_name is not None and not isinstance(signer_name, str):
        raise ValidationFailed("Tên người ký không hợp lệ.", ["signer_name phải là chuỗi ký tự."],
                               {"signer_name": "Không hợp lệ"})
    if not isinstance(signer_deputy, bool):
        raise ValidationFailed("Giá trị “Thứ trưởng ký thay” không hợp lệ.", ["signer_deputy phải là true hoặc false."],
                               {"signer_deputy": "Không hợp lệ"})
    name = " ".join((signer_name or "").split()) or None
    if level != "nganh":
        if name or signer_deputy:
            raise ValidationFailed(
                "Quyết định cấp cơ sở do người dùng ký: không ghi tên người ký khác.",
                ["Giám đốc Sở (hoặc Phó Giám đốc được ủy quyền) ký quyết định cấp cơ sở bằng tài khoản của mình; "
                 "chỉ quyết định cấp ngành ghi tên Bộ trưởng hoặc Thứ trưởng ký."],
                {"signer_name" if name else "signer_deputy": "Chỉ dùng cho quyết định cấp ngành"})
        return None, False
    if name and len(name) > SIGNER_NAME_MAX:
        raise ValidationFailed("Tên người ký quá dài.", [f"Tên người ký tối đa {SIGNER_NAME_MAX} ký tự."],
                               {"signer_name": f"Tối đa {SIGNER_NAME_MAX} ký tự"})
    return name, signer_deputy


def _contradicts(existing: Decision, name: str | None, deputy: bool) -> list[str]:
    """Why recording items into an existing Minister's decision with this signer would contradict it. Leaving the
    signer empty keeps the recorded one; a decision recorded without a signer takes the first one given."""
    reasons = []
    if name and existing.signed_by_name and name.casefold() != existing.signed_by_name.casefold():
        reasons.append(f"Quyết định số {existing.number} đã ghi người ký là “{existing.signed_by_name}”, "
                       f"không phải “{name}”.")
    known = bool(existing.signed_by_name) or existing.signed_as_deputy
    if known and (name or deputy) and deputy != existing.signed_as_deputy:
        recorded = "Thứ trưởng ký thay (KT. BỘ TRƯỞNG)" if existing.signed_as_deputy else "Bộ trưởng ký"
        reasons.append(f"Quyết định số {existing.number} đã ghi {recorded}.")
    return reasons


def check_issue(actor: Actor, level: str) -> DomainError | None:
    """Who issues (or, for a Minister's decision, records) a decision of `level` (see workflow.offers)."""
    if level not in LEVEL_ACTION:
        return ValidationFailed("Cấp quyết định không hợp lệ.", ["level: co_so hoặc nganh."], {"level": "Không hợp lệ"})
    return policy.refusal(actor, f"issue_{level}", "decision", department_id=actor.department_id,
                          detail="Không có quyền ký quyết định này.")


AWAITING_OUTCOME, AWAITING_STATE = "passed", "submitted"  # passed by the council, not yet recognised


def awaiting_decision(s: CouncilSession) -> list[AgendaItem]:
    """Items the council passed whose nomination still waits for the director's decision: what the session's page
    announces, the decision form proposes, and the only items a decision carrying out that session may list."""
    return [i for i in s.items if i.outcome == AWAITING_OUTCOME and i.nomination.state == AWAITING_STATE]


def awaiting_decision_where(department_id) -> tuple:
    """`awaiting_decision` as SQL conditions on CouncilSession ⋈ AgendaItem ⋈ Nomination, for the department's closed
    sessions (its id, or a bound parameter of a statement built once): the decision register and the director's
    home-page card count with it."""
    return (CouncilSession.department_id == department_id, CouncilSession.state.in_(SESSION_FINAL_STATES),
            AgendaItem.outcome == AWAITING_OUTCOME, Nomination.state == AWAITING_STATE)


def sessions_awaiting_decision(session: Session, actor: Actor) -> list[tuple[CouncilSession, int]]:
    """Closed sessions of the actor's department with items awaiting a decision (as `awaiting_decision`, in SQL)."""
    if actor.department_id is None:
        return []
    rows = session.execute(
        select(CouncilSession, func.count(AgendaItem.id)).join(AgendaItem).join(Nomination)
        .where(*awaiting_decision_where(actor.department_id))
        .group_by(CouncilSession.id).order_by(CouncilSession.date.desc())
    ).all()
    return [(s, count) for s, count in rows]


def check_session_items(session: Session, actor: Actor, level: str, session_id: int | None,
                        nomination_ids: list[int]) -> DomainError | None:
    """A decision that names the council session it carries out lists only what that session passed and still
    awaits a decision (the page and the API refuse any other item with these same reasons)."""
    if session_id is None:
        return None
    if level != "co_so":
        return ValidationFailed("Chỉ quyết định cấp cơ sở thực hiện kết quả một phiên họp.",
                                ["Quyết định cấp ngành không ghi phiên họp Hội đồng."], {"session_id": "Không dùng"})
    s = session.get(CouncilSession, session_id)
    if s is None or s.department_id != actor.department_id:
        return NotFound("Không tìm thấy phiên họp.", ["Phiên họp không thuộc Sở."])
    if s.state != "closed":
        return Conflict("Phiên họp chưa kết thúc.", ["Quyết định công nhận ban hành sau khi phiên họp kết thúc."])
    awaiting = {i.nomination_id for i in awaiting_decision(s)}
    strangers = [i for i in dict.fromkeys(nomination_ids) if i not in awaiting]
    if strangers:
        return ValidationFailed("Có hồ sơ không thuộc danh sách Hội đồng đã thông qua tại phiên họp này.",
                                [f"Hồ sơ số {i} không có trong danh sách chờ quyết định." for i in strangers],
                                {"nomination_ids": "Chỉ chọn hồ sơ Hội đồng đã thông qua"})
    return None


ISSUE_LABELS = {"co_so": "Ban hành quyết định công nhận", "nganh": "Ghi nhận Quyết định của Bộ trưởng"}


def issue_offer(actor: Actor, level: str) -> offers.Offer | None:
    """Issuing is not an action on an existing decision, yet pages offer it (a council session's results, the
    register): the same check `issue` runs decides whether they do."""
    refusal = check_issue(actor, level)
    return offers.offer("issue", ISSUE_LABELS.get(level, ""), refusal, lambda: refusal)


def available_actions(session: Session, actor: Actor, d: Decision) -> list[offers.Offer]:
    """A Minister's decision covers examples of many departments, recorded proposal by proposal: the Ministry may
    add items to it (`issue` with its number and date). A department's decision is complete once issued."""
    if d.level != "nganh":
        return []
    found = offers.offer("record_items", "Ghi nhận thêm hồ sơ vào Quyết định", check_issue(actor, d.level),
                         lambda: check_issue(actor, d.level), irreversible=True)
    return [found] if found is not None else []


def issue(session: Session, actor: Actor, *, level: str, number, date, nomination_ids,
          session_id: int | None = None, signer_name: str | None = None, signer_deputy: bool = False,
          context: Context = CLI) -> Decision:
    """`signer_name` / `signer_deputy` (level `nganh` only): who signed the Minister's decision outside the system —
    the Minister ("BỘ TRƯỞNG"), or a Deputy Minister "KT. BỘ TRƯỞNG" over "THỨ TRƯỞNG". The recording user stays
    `signer_id`; the documents never print the recorder's name for a ngành decision."""
    offers.enforce(check_issue(actor, level))
    signed_by_name, signed_as_deputy = _signer(level, signer_name, signer_deputy)
    form = inputs.Form("Thông tin quyết định không hợp lệ.")
    day = form.date("date", date, required=True)
    nomination_ids = form.ids("nomination_ids", nomination_ids)
    session_id = form.integer("session_id", session_id, minimum=1)
    form.check()
    offers.enforce(check_session_items(session, actor, level, session_id, nomination_ids))
    issuer = issuer_for(session, actor, level)
    seq = _parse_number(number, issuer)
    existing = session.scalar(select(Decision).where(Decision.issuer_id == issuer.id, Decision.doc_type == "QĐ",
                                                     Decision.year == day.year, Decision.seq == seq))
    # One Minister's decision covers examples of many departments, recorded proposal by proposal: the same number
    # and date add to it. Any other reuse of a number is a duplicate.
    extends = existing is not None and level == "nganh" and existing.level == "nganh" and existing.date == day
    if existing is not None and not extends:
        raise _duplicate_number(session, issuer, seq, day.year)
    if extends:
        _refuse_contradiction(existing, signed_by_name, signed_as_deputy)
    action = LEVEL_ACTION[level]
    reasons = []
    nominations = []
    # Every item locked (by id) before any is checked or changed: see service.lock_nominations.
    locked = service.lock_nominations(session, nomination_ids, actor=actor)
    for nid in dict.fromkeys(nomination_ids):
        n = locked.get(nid)
        if n is None:
            reasons.append(f"Hồ sơ số {nid}: không tìm thấy.")
            continue
        # This decision is what lists the item (the transition below passes its id): that guard is skipped here.
        perm, failures = service.refusals_for(session, actor, n, action, check_data=False,
                                              skip=(guards.listed_in_decision,)) \
            if n.state in _sources(action) else ([], [f"trạng thái hiện tại không phù hợp ({n.state})."])
        for r in perm + failures:
            reasons.append(f"Hồ sơ số {nid} “{n.title}”: {r}")
        nominations.append(n)
    if reasons:
        raise ValidationFailed("Không ban hành được quyết định: có hồ sơ không đủ điều kiện.", reasons)
    rests_on = session_id if session_id is not None else _judging_session(session, nominations, level)
    offers.enforce(date_refusal(session, day, rests_on))
    decision = existing if extends else Decision(
        level=level, issuer_id=issuer.id, year=day.year, seq=seq, number=f"{seq}/QĐ-{symbol(issuer)}", date=day,
        signer_id=actor.id, on_behalf_of_id=actor.on_behalf_of.id if actor.on_behalf_of else None,
        signer_title=(actor.delegation_title or "GIÁM ĐỐC") if level == "co_so"
        else ("THỨ TRƯỞNG" if signed_as_deputy else "BỘ TRƯỞNG"),
        signed_by_name=signed_by_name, signed_as_deputy=signed_as_deputy,
        summary=("Về việc công nhận điển hình tiên tiến cấp cơ sở" if level == "co_so"
                 else "Về việc công nhận điển hình tiên tiến ngành Tư pháp"),
        session_id=rests_on,
    )
    if not extends:
        try:
            # A concurrent issue may take the same number first: on PostgreSQL the unique index waits for it and
            # fails here. The same Minister's decision (same number and date) is then extended; else a duplicate.
            with session.begin_nested():
                session.add(decision)
                session.flush()
        except IntegrityError:
            existing = session.scalar(select(Decision).where(
                Decision.issuer_id == issuer.id, Decision.doc_type == "QĐ", Decision.year == day.year,
                Decision.seq == seq))
            if existing is None or not (level == "nganh" and existing.level == "nganh" and existing.date == day):
                raise _duplicate_number(session, issuer, seq, day.year) from None
            decision = existing
            extends = True
            _refuse_contradiction(decision, signed_by_name, signed_as_deputy)
    if extends:
        _complete_signer(decision, signed_by_name, signed_as_deputy)
    already = {i.nomination_id for i in decision.items}
    for n in nominations:
        if n.id not in already:
            decision.items.append(DecisionItem(nomination_id=n.id))
        try:
            service.transition(session, actor, n.id, action, n.version, context=context, decision_id=decision.id,
                               decision_number=decision.number, decision_date=day.isoformat())
        except DomainError as err:
            raise Conflict(f"Hồ sơ số {n.id} vừa thay đổi; quyết định chưa được ban hành.", [err.detail]) from err
    session.flush()
    signals.emit(session, events.DecisionIssued(decision=decision, nominations=tuple(nominations), actor=actor,
                                                context=context))
    return decision


def date_refusal(session: Session, day, session_id: int | None, *, today=None) -> ValidationFailed | None:
    """A decision is dated neither after today nor before the close of the council session it carries out: a date
    in the future would flow into the certificates' numbers and the Tờ trình citing it, and a decision cannot
    precede the vote it rests on."""
    today = today or clock.today()
    if day > today:
        message = f"Ngày quyết định ({day:%d/%m/%Y}) chưa đến; không ghi ngày sau hôm nay ({today:%d/%m/%Y})."
        return ValidationFailed("Ngày quyết định không hợp lệ.", [message], {"date": message})
    s = session.get(CouncilSession, session_id) if session_id is not None else None
    if s is not None and s.closed_at is not None:
        closed = s.closed_at.astimezone(clock.TZ).date()
        if day < closed:
            message = (f"Ngày quyết định ({day:%d/%m/%Y}) trước ngày kết thúc phiên họp “{s.title}” "
                       f"({closed:%d/%m/%Y}, họp ngày {held_on(s):%d/%m/%Y}) mà quyết định căn cứ.")
            return ValidationFailed("Ngày quyết định không hợp lệ.", [message], {"date": message})
    return None


def _refuse_contradiction(existing: Decision, name: str | None, deputy: bool) -> None:
    reasons = _contradicts(existing, name, deputy)
    if reasons:
        raise ValidationFailed("Người ký không khớp với quyết định đã ghi nhận cùng số và ngày.",
                               reasons + ["Để trống tên người ký để dùng người ký đã ghi nhận, hoặc kiểm tra lại số "
                                          "quyết định."], {"signer_name": "Khác người ký đã ghi nhận"})


def _complete_signer(decision: Decision, name: str | None, deputy: bool) -> None:
    """A decision first recorded without its signer gets them when a later record (same number and date) names them."""
    if name and not decision.signed_by_name:
        decision.signed_by_name = name
    if deputy and not decision.signed_as_deputy:
        decision.signed_as_deputy = True
        decision.signer_title = "THỨ TRƯỞNG"


def _judging_session(session: Session, nominations: list[Nomination], level: str) -> int | None:
    """The council session whose results the decision carries out (the latest that passed the first item)."""
    if level != "co_so" or not nominations:
        return None
    return session.scalar(
        select(CouncilSession.id).join(AgendaItem)
        .where(AgendaItem.nomination_id == nominations[0].id, AgendaItem.outcome == "passed",
               CouncilSession.state == "closed")
        .order_by(CouncilSession.closed_at.desc()).limit(1)
    )


def _sources(action: str) -> tuple[str, ...]:
    return TRIGGERS[action].sources


def load(session: Session, actor: Actor, decision_id: int) -> Decision:
    return policy.load(session, actor, "decision", decision_id)


def list_decisions(session: Session, actor: Actor, *, page, per_page):
    """The same scope as `load`: a department lists the Minister's decisions that include one of its nominations."""
    page, per_page = page_params(page, per_page)
    stmt = select(Decision).where(policy.scope(actor, "decision"))
    # The list prints who signed or recorded each, and for whom, and the issuing body: joined to the page's own
    # statement, the users without their roles (as `operations.PAGE_PARENTS`).
    return paginate(session, stmt, page, per_page, Decision.date.desc(), Decision.id.desc(),
                    options=(joinedload(Decision.signer).lazyload(User.roles),
                             joinedload(Decision.on_behalf_of).lazyload(User.roles), joinedload(Decision.issuer)))


def nominations_of(session: Session, d: Decision) -> list[Nomination]:
    return list(session.scalars(select(Nomination).join(DecisionItem).where(DecisionItem.decision_id == d.id)
                                .order_by(DecisionItem.id)))


def nominations_by_decision(session: Session, decisions: list[Decision]) -> dict[int, list[DecisionNomination]]:
    """What a page of decisions shows of each one's nominations (`nominations_of`, in the same order), in one
    statement read as plain rows (`DecisionNomination`): a page of the director's decisions names ~400 nominations,
    which the ORM hydrated with their unit and person to print five values of each."""
    result: dict[int, list[DecisionNomination]] = {d.id: [] for d in decisions}
    if not result:
        return result
    for decision_id, nid, title, subject_type, state, unit_name, person_name in session.execute(
            _PAGE_NOMINATIONS.where(DecisionItem.decision_id.in_(list(result)))):
        result[decision_id].append(DecisionNomination(nid, title, subject_type, state,
                                                      subject_name_of(subject_type, person_name, unit_name)))
    return result


@dataclass(frozen=True, slots=True)
class DecisionNomination:
    """A decision's nomination as the list of decisions shows it (what `Nomination` says of the same fields)."""

    id: int
    title: str
    subject_type: str
    state: str
    subject_name: str  # `Nomination.subject_name`: the person's name for an individual, else the unit's


_PAGE_NOMINATIONS = (
    select(DecisionItem.decision_id, Nomination.id, Nomination.title, Nomination.subject_type, Nomination.state,
           Unit.name, Person.full_name)
    .join(Nomination, Nomination.id == DecisionItem.nomination_id)
    .join(Unit, Unit.id == Nomination.unit_id)
    .outerjoin(Person, Person.id == Nomination.subject_person_id)
    .order_by(DecisionItem.decision_id, DecisionItem.id)
)
