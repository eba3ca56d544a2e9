"""The guards of registration (DOMAIN.md, "(create)"): campaign open, subject type allowed, one live nomination per
subject and campaign (also enforced by the database), and a campaign of the unit's own department."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.exc import IntegrityError

from models import Nomination
from workflow.errors import Forbidden, ValidationFailed
from workflow.nominations import service


@pytest.fixture
def db(rolled_back_db):
    """Overrides conftest's `db`: the demo data seeded once per module, each test rolled back."""
    return rolled_back_db


def _create(db, demo, *, actor="tp_pbgdpl", unit="PBGDPL", person=None, campaign=None, today=None):
    campaign = campaign or demo.campaign()
    kw = {"subject_type": "individual", "person_id": demo.person(person).id} if person else {
        "subject_type": "collective", "unit_id": demo.unit(unit).id}
    return service.create_nomination(db, demo.actor(actor), campaign_id=campaign.id, title="Hồ sơ", today=today, **kw)


@pytest.mark.parametrize("today", [dt.date(dt.date.today().year - 1, 12, 31), dt.date(dt.date.today().year + 1, 1, 1)])
def test_annual_campaign_refuses_registration_outside_its_window(db, demo, today):
    with pytest.raises(ValidationFailed) as exc:
        _create(db, demo, today=today)
    assert any("chỉ nhận đăng ký" in r for r in exc.value.reasons)


def test_registration_deadline_is_inclusive(db, demo):
    c = demo.campaign()
    assert _create(db, demo, today=c.registration_deadline).state == "registered"


def test_period_campaign_closed_after_its_deadline(db, demo):
    period = demo.campaign("period")
    with pytest.raises(ValidationFailed):
        _create(db, demo, campaign=period, today=period.registration_deadline + dt.timedelta(days=1))
    assert _create(db, demo, campaign=period, today=dt.date(2025, 6, 1)).campaign_id == period.id


def test_subject_type_must_be_allowed_by_the_campaign(db, demo):
    c = demo.campaign()
    c.allows_individual = False
    db.flush()
    with pytest.raises(ValidationFailed) as exc:
        _create(db, demo, person="Nguyễn Thị Lan")
    assert any("loại đối tượng" in r for r in exc.value.reasons)
    assert _create(db, demo).subject_type == "collective"


def test_one_live_nomination_per_subject_and_campaign(db, demo):
    first = _create(db, demo)
    with pytest.raises(ValidationFailed) as exc:
        _create(db, demo, actor="vanphong")
    assert any(f"hồ sơ số {first.id}" in r for r in exc.value.reasons)
    # another campaign is another competition
    assert _create(db, demo, campaign=demo.campaign("period"), today=dt.date(2025, 6, 1)).state == "registered"
    service.transition(db, demo.actor("tp_pbgdpl"), first.id, "withdraw", first.version, reason="Đăng ký lại")
    second = _create(db, demo)
    assert second.id != first.id and second.state == "registered"
    with pytest.raises(ValidationFailed):
        _create(db, demo)


def test_the_same_person_once_per_campaign(db, demo):
    _create(db, demo, person="Nguyễn Thị Lan")
    with pytest.raises(ValidationFailed):
        _create(db, demo, actor="vanphong", person="Nguyễn Thị Lan")


def _copy(n: Nomination, state: str) -> Nomination:
    return Nomination(campaign_id=n.campaign_id, department_id=n.department_id, unit_id=n.unit_id,
                      subject_type=n.subject_type, subject_key=n.subject_key, title="Bản sao", state=state)


def test_database_refuses_a_second_live_row(db, demo):
    first = _create(db, demo)
    db.commit()
    db.add(_copy(first, "nurtured"))
    with pytest.raises(IntegrityError):
        db.flush()
    db.rollback()
    db.add(_copy(first, "withdrawn"))  # dead rows do not count
    db.flush()


def test_campaign_of_another_department_is_refused(db, demo):
    with pytest.raises(ValidationFailed) as exc:
        _create(db, demo, campaign=demo.campaign("annual", "STP2"))
    assert any("không thuộc Sở" in r for r in exc.value.reasons)
    with pytest.raises(ValidationFailed):
        _create(db, demo, actor="tp_stp2", unit="STP2-VP")
    assert _create(db, demo, actor="tp_stp2", unit="STP2-VP", campaign=demo.campaign("annual", "STP2")).state == \
        "registered"


def test_only_divisions_and_active_people_can_be_nominated(db, demo):
    with pytest.raises(ValidationFailed):
        _create(db, demo, actor="vanphong", unit="STP")  # the department itself
    person = demo.person("Huỳnh Văn Đức")
    person.active = False
    db.flush()
    with pytest.raises(ValidationFailed):
        _create(db, demo, person="Huỳnh Văn Đức")


def test_unit_head_registers_only_for_their_unit(db, demo):
    with pytest.raises(Forbidden):
        _create(db, demo, actor="tp_hctp")
    with pytest.raises(Forbidden):
        _create(db, demo, actor="tp_hctp", person="Nguyễn Thị Lan")
    assert _create(db, demo, actor="vanphong", unit="HCTP").unit_id == demo.unit("HCTP").id


@pytest.mark.parametrize(
    "kw",
    [{"subject_type": "team", "unit_id": None}, {"subject_type": "collective", "unit_id": 10**6},
     {"subject_type": "individual", "person_id": None}, {"subject_type": "collective", "unit_id": "1"}],
)
def test_malformed_registration_is_invalid_input(db, demo, kw):
    with pytest.raises(ValidationFailed):
        service.create_nomination(db, demo.actor("vanphong"), campaign_id=demo.campaign().id, title="x", **kw)
    with pytest.raises(ValidationFailed):
        service.create_nomination(db, demo.actor("vanphong"), campaign_id=10**6, subject_type="collective",
                                  unit_id=demo.unit("PBGDPL").id, title="x")
    with pytest.raises(ValidationFailed):
        service.create_nomination(db, demo.actor("vanphong"), campaign_id=demo.campaign().id,
                                  subject_type="collective", unit_id=demo.unit("PBGDPL").id, title="  ")
