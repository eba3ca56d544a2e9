"""The demo's reorganisation (issue 16, "Deliver" 5), kept apart from `demo.seed`: the base demo the test suite uses
does not change. Run after `seed-demo` (`dienhinh demo-reorganise`).

It records an example of 2024 — Phòng Tư pháp thành phố Long Xuyên recognised at cơ sở by the director's decision
of 20/12/2024 (its history, the award record the decision writes) — then closes that district office on 01/07/2025
(the district level was abolished) through the administrator's own operation: its people and nominations in flight
move to the department, which inherits its records. The 2024 certificate still names the district office, as it
was then.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import AwardRecord, Campaign, Decision, DecisionItem, Nomination, StateChange, Unit, User
from workflow import policy
from workflow.administration import demo
from workflow.administration import units as reorg
from workflow.errors import ValidationFailed
from workflow.nominations.machine import stage_rank
from workflow.policy import Actor

DISTRICT = "PTP-LX"
CLOSED_ON = dt.date(2025, 7, 1)
DECIDED_ON = dt.date(2024, 12, 20)


def _unit(session: Session, code: str) -> Unit:
    unit = session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        raise ValidationFailed("Chưa có dữ liệu mẫu: chạy seed-demo trước.", [f"Không có đơn vị {code}."])
    return unit


def example_of_2024(session: Session, director: User) -> Nomination:
    """The 2024 campaign of the department and the district office's example recognised in it (written as the
    director's decision writes it: the state, the history step, the decision and its item, the award record)."""
    stp, district = _unit(session, "STP"), _unit(session, DISTRICT)
    campaign = Campaign(
        department_id=stp.id, name="Xây dựng, nhân rộng điển hình tiên tiến năm 2024", kind="annual",
        legal_basis="Kế hoạch số 79/KH-STP ngày 27/4/2024 của Sở Tư pháp", start_date=dt.date(2024, 1, 1),
        end_date=dt.date(2024, 12, 31), registration_deadline=dt.date(2024, 10, 31),
        evaluation_deadline=dt.date(2024, 12, 15))
    session.add(campaign)
    session.flush()
    n = Nomination(campaign_id=campaign.id, department_id=stp.id, unit_id=district.id, subject_type="collective",
                   subject_key=f"u:{district.id}", title=district.name, state="evaluated_co_so",
                   achievements="Làm tốt công tác chứng thực, hộ tịch; giải quyết đúng hạn 100% hồ sơ năm 2024.",
                   furthest_stage=stage_rank("evaluated_co_so"), search_text="")
    session.add(n)
    session.flush()
    session.add(StateChange(nomination_id=n.id, version=n.version, action="recognize_co_so", from_state="submitted",
                            to_state="evaluated_co_so", actor_id=director.id,
                            data={"decision_number": "31/QĐ-STP"}))
    decision = Decision(level="co_so", issuer_id=stp.id, year=2024, seq=31, number="31/QĐ-STP", date=DECIDED_ON,
                        summary="Về việc công nhận điển hình tiên tiến năm 2024", signer_id=director.id)
    decision.items.append(DecisionItem(nomination_id=n.id))
    session.add(decision)
    session.add(AwardRecord(unit_id=district.id, title="dien_hinh_co_so", level="co_so", year=2024,
                            decision_number="31/QĐ-STP", nomination_id=n.id))
    session.flush()
    return n


def _demo_account(session: Session, role: str) -> User:
    """The demo's first account holding `role` (`demo.ACCOUNTS`), as seed-demo created it."""
    username = next(name for name, roles, _unit, _person in demo.ACCOUNTS if role in roles)
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise ValidationFailed("Chưa có dữ liệu mẫu: chạy seed-demo trước.", [f"Không có tài khoản {username}."])
    return user


def run(session: Session) -> Unit:
    """`dienhinh demo-reorganise`: the change made by the demo's administrator, the 2024 decision signed by its
    director."""
    admin = _demo_account(session, policy.ADMIN)
    return reorganise(session, policy.actor_for(session, admin), _demo_account(session, policy.DIRECTOR))


def reorganise(session: Session, actor: Actor, director: User) -> Unit:
    """The 2024 example, then the district office closed on 01/07/2025 into the department (one audited change)."""
    example_of_2024(session, director)
    return reorg.close_unit(session, actor, _unit(session, DISTRICT).id,
                            {"effective_date": CLOSED_ON, "successor_id": _unit(session, "STP").id})
