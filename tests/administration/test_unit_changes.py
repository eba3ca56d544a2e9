"""Units that rename, merge, split, move and close with an effective date (issue 16): each change is one audited
transaction by an administrator, refused in Vietnamese when it makes no sense (into itself, twice, a cycle, a bad
sheet: nothing changes), keeps the former name for earlier dates, moves people and nominations in flight, lets the
successor inherit the predecessors' awards in the eligibility rules, and ends the closed unit's head's scope on the
effective date."""
from __future__ import annotations

import datetime as dt

import factories
import pytest
from sqlalchemy import select

from models import AuditEvent, AwardRecord, Nomination, Notification, Person, Unit, UnitChange
from workflow import clock, policy
from workflow.administration import unit_history
from workflow.administration import units as reorg
from workflow.errors import Forbidden, ValidationFailed
from workflow.nominations import queries, rules, service

MERGER = dt.date(2025, 7, 1)
PERIOD_DAY = dt.date(2025, 6, 1)


@pytest.fixture
def db(rolled_back_db):
    return rolled_back_db


def audited(db, action: str) -> list[AuditEvent]:
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def admin(demo):
    return demo.actor("admin")


def _period_collective(db, demo, unit: str) -> Nomination:
    return service.create_nomination(db, demo.actor("vanphong"), campaign_id=demo.campaign("period").id,
                                     subject_type="collective", unit_id=demo.unit(unit).id, title=unit,
                                     today=PERIOD_DAY)


def _result(db, n, code, stage="submit"):
    return {r.code: r for r in rules.evaluate(db, n, stage)}[code]


# ------------------------------------------------------------------------------------------------ rename
def test_rename_keeps_the_old_name_for_earlier_dates_and_is_audited(db, demo):
    unit = demo.unit("HCTP")
    old = unit.name
    reorg.rename_unit(db, admin(demo), unit.id, {"effective_date": "01/07/2025", "name": "Phòng Hành chính, bổ trợ"})
    assert unit.name == "Phòng Hành chính, bổ trợ" and unit.active
    assert unit_history.unit_name_on(db, unit.id, dt.date(2024, 12, 31)).name == old
    assert unit_history.unit_name_on(db, unit.id, MERGER).name == "Phòng Hành chính, bổ trợ"
    assert unit_history.unit_name_on(db, unit.id, None).name == "Phòng Hành chính, bổ trợ"
    assert unit_history.former_names(db, [unit.id]) == {unit.id: old}
    [event] = audited(db, "admin.unit_rename")
    assert (event.object_type, event.object_id, event.data["effective_date"]) == ("unit", unit.id, "2025-07-01")
    assert event.data["before"]["name"] == old
    [entry] = unit_history.history(db, unit.id)
    assert entry.change.kind == "rename" and entry.role == "changed"


def test_only_an_admin_reorganises(db, demo):
    for username in ("giamdoc", "vanphong", "tp_hctp"):
        with pytest.raises(Forbidden):
            reorg.rename_unit(db, demo.actor(username), demo.unit("HCTP").id,
                              {"effective_date": "2025-07-01", "name": "X"})
    assert db.scalar(select(UnitChange.id)) is None


def test_bad_dates_and_names_are_refused_in_vietnamese(db, demo):
    unit = demo.unit("HCTP")
    with pytest.raises(ValidationFailed) as err:
        reorg.rename_unit(db, admin(demo), unit.id, {"effective_date": "31/02/2025", "name": ""})
    assert set(err.value.field_errors) == {"effective_date", "name"}
    reorg.rename_unit(db, admin(demo), unit.id, {"effective_date": "2025-07-01", "name": "Tên mới"})
    with pytest.raises(ValidationFailed) as err:  # before the last change: the history stays one line of dates
        reorg.rename_unit(db, admin(demo), unit.id, {"effective_date": "2025-01-01", "name": "Tên khác"})
    assert "01/07/2025" in err.value.field_errors["effective_date"]


# ------------------------------------------------------------------------------------------------ merge
def test_merger_then_the_successor_passes_the_period_rule_on_the_predecessors_awards(db, demo):
    lx, cd = demo.unit("PTP-LX"), demo.unit("PTP-CD")
    db.add(AwardRecord(unit_id=lx.id, title="bang_khen_chu_tich_tinh", level="tinh", year=2023,
                       decision_number="5/QĐ-UBND"))
    db.flush()
    n = _period_collective(db, demo, "PTP-CD")
    assert _result(db, n, "be_day_thanh_tich").result == "fail"
    lx_people = [p.id for p in db.scalars(select(Person).where(Person.unit_id == lx.id, Person.active.is_(True)))]
    assert lx_people
    reorg.merge_units(db, admin(demo), lx.id, {"effective_date": "01/07/2025", "into_id": cd.id})
    assert (lx.active, lx.closed_on, lx.replaced_by_id) == (False, MERGER, cd.id)
    assert all(db.get(Person, pid).unit_id == cd.id for pid in lx_people)
    db.refresh(n)
    r = _result(db, n, "be_day_thanh_tich")
    assert r.result == "pass" and lx.name in r.reason and "sáp nhập ngày 01/07/2025" in r.reason
    [event] = audited(db, "admin.unit_merge")
    assert event.object_id == cd.id and sorted(event.data["people"][i]["id"] for i in range(len(lx_people))) \
        == sorted(lx_people)
    assert [e.role for e in unit_history.history(db, lx.id)] == ["predecessor"]
    assert [e.role for e in unit_history.history(db, cd.id)] == ["successor"]


def test_nominations_in_flight_move_with_their_unit_on_a_merger(db, demo):
    n = _period_collective(db, demo, "PTP-LX")
    version = n.version
    lx, cd = demo.unit("PTP-LX"), demo.unit("PTP-CD")
    reorg.merge_units(db, admin(demo), lx.id, {"effective_date": "2025-07-01", "into_id": cd.id})
    assert (n.unit_id, n.subject_key, n.version) == (cd.id, f"u:{cd.id}", version + 1)


def test_two_live_collective_nominations_of_one_campaign_block_the_merger(db, demo):
    _period_collective(db, demo, "PTP-LX")
    _period_collective(db, demo, "PTP-CD")
    lx, cd = demo.unit("PTP-LX"), demo.unit("PTP-CD")
    with pytest.raises(ValidationFailed) as err:
        reorg.merge_units(db, admin(demo), lx.id, {"effective_date": "2025-07-01", "into_id": cd.id})
    assert "trùng đối tượng" in err.value.field_errors["into_id"]
    assert lx.active and db.scalar(select(UnitChange.id)) is None


def test_merging_into_a_new_unit(db, demo):
    lx, cd = demo.unit("PTP-LX"), demo.unit("PTP-CD")
    new = reorg.merge_units(db, admin(demo), lx.id, {"effective_date": "2025-07-01", "also_ids": [cd.id],
                                                     "new_code": "PTP-LXCD", "new_name": "Phòng Tư pháp liên huyện"})
    assert (new.kind, new.parent_id, new.department_id) == ("district_office", lx.parent_id, lx.department_id)
    assert lx.replaced_by_id == cd.replaced_by_id == new.id
    assert {p.unit_id for p in unit_history.predecessors(db, new.id)} == {lx.id, cd.id}


def test_merging_into_itself_or_twice_is_refused(db, demo):
    lx, cd = demo.unit("PTP-LX"), demo.unit("PTP-CD")
    with pytest.raises(ValidationFailed) as err:
        reorg.merge_units(db, admin(demo), lx.id, {"effective_date": "2025-07-01", "into_id": lx.id})
    assert err.value.field_errors["into_id"] == "Không thể sáp nhập một đơn vị vào chính nó."
    reorg.merge_units(db, admin(demo), lx.id, {"effective_date": "2025-07-01", "into_id": cd.id})
    with pytest.raises(ValidationFailed) as err:
        reorg.merge_units(db, admin(demo), lx.id, {"effective_date": "2025-08-01", "into_id": cd.id})
    assert "đã thôi hoạt động từ ngày 01/07/2025" in err.value.field_errors["unit_id"]
    with pytest.raises(ValidationFailed):  # into a closed unit
        reorg.merge_units(db, admin(demo), demo.unit("HCTP").id, {"effective_date": "2025-08-01", "into_id": lx.id})


# ------------------------------------------------------------------------------------------------ close and scope
def test_closing_twice_or_with_people_left_is_refused(db, demo):
    cd = demo.unit("PTP-CD")
    with pytest.raises(ValidationFailed) as err:
        reorg.close_unit(db, admin(demo), cd.id, {"effective_date": "2025-07-01"})
    assert "cá nhân đang công tác" in err.value.field_errors["successor_id"]
    reorg.close_unit(db, admin(demo), cd.id, {"effective_date": "2025-07-01", "successor_id": demo.unit("STP").id})
    with pytest.raises(ValidationFailed) as err:
        reorg.close_unit(db, admin(demo), cd.id, {"effective_date": "2025-07-02"})
    assert "đã thôi hoạt động" in err.value.field_errors["unit_id"]
    assert len(audited(db, "admin.unit_close")) == 1


def test_the_closed_units_head_loses_scope_on_the_effective_date(db, demo, monkeypatch):
    cd = demo.unit("PTP-CD")
    n = _period_collective(db, demo, "PTP-CD")
    monkeypatch.setattr(clock, "today", lambda: dt.date(2026, 6, 1))
    reorg.close_unit(db, admin(demo), cd.id, {"effective_date": "2026-07-01", "successor_id": demo.unit("STP").id})
    head = demo.user("tp_ptpcd")
    monkeypatch.setattr(clock, "today", lambda: dt.date(2026, 6, 30))
    assert policy.actor_for(db, head).unit_id == cd.id  # the day before: still in scope
    assert policy.can(policy.actor_for(db, head), "register_for", cd)
    monkeypatch.setattr(clock, "today", lambda: dt.date(2026, 7, 1))
    actor = policy.actor_for(db, head)
    assert actor.unit_id is None
    assert not policy.can(actor, "register_for", cd)
    assert db.scalar(select(Nomination.id).where(Nomination.id == n.id, policy.scope(actor, "nomination"))) is None
    assert n.unit_id == demo.unit("STP").id  # the nomination went to the successor


# ------------------------------------------------------------------------------------------------ move
def test_a_move_under_a_descendant_is_a_cycle(db, demo):
    stp = demo.unit("STP")
    with pytest.raises(ValidationFailed) as err:
        reorg.move_unit(db, admin(demo), stp.id, {"effective_date": "2025-07-01", "parent_id": demo.unit("VP").id})
    assert "vòng lặp" in err.value.field_errors["parent_id"]


def test_a_move_to_another_department_keeps_the_old_parent_for_earlier_dates(db, demo):
    hctp, stp, stp2 = demo.unit("HCTP"), demo.unit("STP"), demo.unit("STP2")
    live = db.scalars(select(Nomination).where(Nomination.unit_id == hctp.id,
                                               Nomination.state.not_in(reorg.SETTLED_STATES))).all()
    if live:  # nominations in flight keep their department's campaign: the move is refused
        with pytest.raises(ValidationFailed) as err:
            reorg.move_unit(db, admin(demo), hctp.id, {"effective_date": "2025-07-01", "parent_id": stp2.id})
        assert "Sở khác" in err.value.field_errors["parent_id"]
        return
    reorg.move_unit(db, admin(demo), hctp.id, {"effective_date": "2025-07-01", "parent_id": stp2.id})
    assert (hctp.parent_id, hctp.department_id) == (stp2.id, stp2.id)
    assert unit_history.unit_name_on(db, hctp.id, dt.date(2025, 1, 1)).parent_name == stp.name


# ------------------------------------------------------------------------------------------------ split
def _split_sheet(db, demo, unit):
    people = db.scalars(select(Person).where(Person.unit_id == unit.id, Person.active.is_(True))
                        .order_by(Person.id)).all()
    return people, {
        "effective_date": "01/07/2025",
        "parts": [{"code": "PBGDPL-A", "name": "Phòng Phổ biến pháp luật", "inherits_records": True},
                  {"code": "PBGDPL-B", "name": "Phòng Giáo dục pháp luật"}],
        "people": {str(p.id): i % 2 for i, p in enumerate(people)},
    }


def test_a_split_assigns_people_and_nominations_exactly_as_the_sheet_says(db, demo):
    unit = demo.unit("PBGDPL")
    n = _period_collective(db, demo, "PBGDPL")
    people, sheet = _split_sheet(db, demo, unit)
    sheet["nominations"] = {str(x.id): 1 for x in db.scalars(select(Nomination).where(
        Nomination.unit_id == unit.id, Nomination.state.not_in(reorg.SETTLED_STATES)))}
    a, b = reorg.split_unit(db, admin(demo), unit.id, sheet)
    assert [p.unit_id for p in people] == [(a.id, b.id)[i % 2] for i in range(len(people))]
    assert n.unit_id == b.id and not unit.active and unit.replaced_by_id == a.id
    assert [p.unit_id for p in unit_history.predecessors(db, a.id)] == [unit.id]
    assert unit_history.predecessors(db, b.id) == []  # only the part the sheet names inherits the records
    assert audited(db, "admin.unit_split")[0].data["parts"][0]["inherits_records"] is True


def test_a_bad_split_sheet_changes_nothing_and_reports_every_bad_row(db, demo):
    unit = demo.unit("PBGDPL")
    people, sheet = _split_sheet(db, demo, unit)
    sheet["people"].pop(str(people[0].id))  # unassigned
    sheet["people"][str(people[1].id)] = 5  # no such part
    sheet["people"]["999999"] = 0  # not of this unit
    sheet["parts"][1]["code"] = "VP"  # an existing code
    units_before = db.scalar(select(Unit.id).order_by(Unit.id.desc()).limit(1))
    with pytest.raises(ValidationFailed) as err:
        reorg.split_unit(db, admin(demo), unit.id, sheet)
    fields = err.value.field_errors
    assert {f"people.{people[0].id}", f"people.{people[1].id}", "people.999999", "parts.1.code"} <= set(fields)
    assert "chưa được phân" in fields[f"people.{people[0].id}"] and len(err.value.reasons) >= 4
    assert unit.active and db.scalar(select(Unit.id).order_by(Unit.id.desc()).limit(1)) == units_before
    assert {p.unit_id for p in people} == {unit.id}


def test_the_merged_units_scope_passes_to_the_successors_head_on_the_date(db, demo, monkeypatch):
    lx, cd = demo.unit("PTP-LX"), demo.unit("PTP-CD")
    old = factories.nomination(db, demo, unit="PTP-LX", state="not_recognized")  # settled: stays with PTP-LX
    lx_head = demo.user(factories.unit_head(db, demo, "PTP-LX"))
    monkeypatch.setattr(clock, "today", lambda: dt.date(2026, 6, 1))
    reorg.merge_units(db, admin(demo), lx.id, {"effective_date": "2026-07-01", "into_id": cd.id})
    assert old.unit_id == lx.id and cd.has_predecessors
    # told beforehand: the closed unit's head that the scope ends on the date, the successor's head that it passes
    told = {(n.user_id, n.kind): n.title for n in db.scalars(select(Notification).where(
        Notification.kind.in_(("unit.closing", "unit.succeeding"))))}
    assert "thôi hoạt động từ ngày 01/07/2026" in told[lx_head.id, "unit.closing"]
    assert lx.name in told[demo.user("tp_ptpcd").id, "unit.succeeding"]

    def sees(user) -> tuple[bool, bool]:
        actor = policy.actor_for(db, user)
        listed = {r.id for r in queries.list_nominations(db, actor, per_page=100).items}
        opened = db.scalar(select(Nomination.id).where(Nomination.id == old.id,
                                                       policy.scope(actor, "nomination"))) is not None
        return old.id in listed, opened

    head = demo.user("tp_ptpcd")
    assert sees(head) == (False, False) and sees(lx_head) == (True, True)  # the day before
    monkeypatch.setattr(clock, "today", lambda: dt.date(2026, 7, 1))
    assert sees(head) == (True, True) and sees(lx_head) == (False, False)  # from the effective date
    assert policy.actor_for(db, head).unit_ids == (cd.id, lx.id)
