"""Editing a dossier: fields, criteria answers, nurture check-ins and attachments (workflow.nominations.service)."""
from __future__ import annotations

import datetime as dt

import pytest
from samples import PDF
from sqlalchemy import func, select

from models import Attachment, AuditEvent, Checkin, StateChange
from workflow.errors import Conflict, Forbidden, ValidationFailed
from workflow.nominations import rules, service

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 120


@pytest.fixture
def nomination(db, demo):
    return service.create_nomination(db, demo.actor("tp_pbgdpl"), campaign_id=demo.campaign().id,
                                     subject_type="collective", unit_id=demo.unit("PBGDPL").id, title="Phòng PBGDPL")


def _events(db, n, action):
    return db.scalars(select(AuditEvent).where(AuditEvent.object_id == n.id, AuditEvent.action == action)).all()


def test_update_bumps_the_version_by_one_and_records_the_change(db, demo, nomination):
    tp = demo.actor("tp_pbgdpl")
    codes = [c.code for c in rules.criteria_for("collective", "annual")]
    n = service.update_nomination(db, tp, nomination.id, 1, title="Phòng Phổ biến, giáo dục pháp luật",
                                  achievements="Thành tích", criteria={codes[0]: {"met": True, "evidence": "QĐ 1"}})
    assert n.version == 2
    assert {a.code: (a.met, a.evidence) for a in n.criteria} == {codes[0]: (True, "QĐ 1")}
    (event,) = _events(db, n, "nomination.update")
    changes = event.data["changes"]
    assert changes["title"] == {"before": "Phòng PBGDPL", "after": "Phòng Phổ biến, giáo dục pháp luật"}
    assert changes[f"criteria.{codes[0]}"]["after"] == {"met": True, "evidence": "QĐ 1"}
    assert event.data["version"] == 2
    # No state changed, so the history has no new row.
    assert db.scalar(select(func.count()).where(StateChange.nomination_id == n.id)) == 1
    # The accent-insensitive search text follows the title.
    assert "pho bien" in n.search_text


def test_update_without_changes_keeps_the_version(db, demo, nomination):
    n = service.update_nomination(db, demo.actor("tp_pbgdpl"), nomination.id, 1, title="Phòng PBGDPL")
    assert n.version == 1 and _events(db, n, "nomination.update") == []


def test_update_with_a_stale_version_is_a_conflict(db, demo, nomination):
    tp = demo.actor("tp_pbgdpl")
    service.update_nomination(db, tp, nomination.id, 1, achievements="Lần 1")
    with pytest.raises(Conflict):
        service.update_nomination(db, tp, nomination.id, 1, achievements="Lần 2")
    assert nomination.achievements == "Lần 1"


@pytest.mark.parametrize(
    "fields",
    [
        {"state": "recognized"},
        {"version": 9},
        {"title": "   "},
        {"title": "x" * 501},
        {"criteria": {"khong_co": {"met": True}}},
        {"criteria": {"noi_bo_doan_ket": {"met": "yes"}}},
        {"criteria": ["noi_bo_doan_ket"]},
        {"criteria": {"be_day_thanh_tich": {"met": True}}},  # a period criterion on an annual dossier
        {"achievements": 12},
    ],
)
def test_update_refuses_bad_input(db, demo, nomination, fields):
    with pytest.raises(ValidationFailed):
        service.update_nomination(db, demo.actor("tp_pbgdpl"), nomination.id, 1, **fields)


def test_dossier_is_frozen_once_submitted(db, demo, nomination, tmp_path):
    tp = demo.actor("tp_pbgdpl")
    n = service.update_nomination(db, tp, nomination.id, 1, achievements="Thành tích", criteria={
        c.code: {"met": True, "evidence": "x"} for c in rules.criteria_for("collective", "annual")})
    service.add_attachment(db, tp, n.id, kind="achievement_report", filename="bc.pdf", data=PDF)
    n = service.transition(db, tp, n.id, "start_nurturing", n.version, nurture_plan="Kế hoạch")
    n = service.transition(db, tp, n.id, "submit", n.version)
    for call in (
        lambda: service.update_nomination(db, tp, n.id, n.version, achievements="Sửa sau khi trình"),
        lambda: service.add_checkin(db, tp, n.id, date="2026-01-10", note="Theo dõi"),
        lambda: service.add_attachment(db, tp, n.id, kind="evidence", filename="x.pdf", data=PDF),
    ):
        with pytest.raises(Forbidden):
            call()
    assert n.achievements == "Thành tích"


def test_checkin_is_recorded_and_audited(db, demo, nomination):
    item = service.add_checkin(db, demo.actor("vanphong"), nomination.id, date="2026-03-02",
                               note="Kiểm tra tiến độ mô hình")
    assert (item.date, item.note, item.author_id) == (dt.date(2026, 3, 2), "Kiểm tra tiến độ mô hình",
                                                      demo.user("vanphong").id)
    (event,) = _events(db, nomination, "nomination.add_checkin")
    assert event.data["item_id"] == item.id and event.actor_username == "vanphong"


@pytest.mark.parametrize(
    ("date", "note"),
    [("2026-13-01", "x"), ("31/02/2026", "x"), ("2026/03/01", "x"),
     ((dt.date.today() + dt.timedelta(days=5)).isoformat(), "x"), ("2026-03-02", "  ")],
)
def test_checkin_refuses_bad_dates_and_empty_notes(db, demo, nomination, date, note):
    with pytest.raises(ValidationFailed):
        service.add_checkin(db, demo.actor("tp_pbgdpl"), nomination.id, date=date, note=note)
    assert db.scalar(select(func.count()).select_from(Checkin)) == 0


def test_checkin_date_as_the_page_shows_it(db, demo, nomination):
    """dd/mm/yyyy is read like ISO (workflow.inputs.date): the page no longer converts it first."""
    item = service.add_checkin(db, demo.actor("vanphong"), nomination.id, date="1/3/2026", note="Kiểm tra")
    assert item.date == dt.date(2026, 3, 1)


def test_attachment_type_comes_from_content_not_name(db, demo, nomination, tmp_path):
    tp = demo.actor("tp_pbgdpl")
    with pytest.raises(ValidationFailed):
        service.add_attachment(db, tp, nomination.id, kind="achievement_report", filename="bao-cao.pdf", data=EXE)
    assert db.scalar(select(func.count()).select_from(Attachment)) == 0
    item = service.add_attachment(db, tp, nomination.id, kind="evidence", filename="../../etc/virus.exe", data=PDF)
    assert item.content_type == "application/pdf" and item.size == len(PDF)
    assert "/" not in item.filename and "\\" not in item.filename
    (event,) = _events(db, nomination, "nomination.add_attachment")
    assert event.data["sha256"] == item.sha256 and event.data["kind"] == "evidence"


def test_attachment_kind_must_be_known(db, demo, nomination, tmp_path):
    with pytest.raises(ValidationFailed):
        service.add_attachment(db, demo.actor("tp_pbgdpl"), nomination.id, kind="virus", filename="a.pdf", data=PDF)


def test_only_an_achievement_report_completes_the_dossier(db, demo, nomination, tmp_path):
    tp = demo.actor("tp_pbgdpl")
    service.add_attachment(db, tp, nomination.id, kind="evidence", filename="a.pdf", data=PDF)
    assert "Chưa đính kèm báo cáo thành tích." in rules.dossier_gaps(nomination)
    service.add_attachment(db, tp, nomination.id, kind="achievement_report", filename="b.pdf", data=PDF)
    assert "Chưa đính kèm báo cáo thành tích." not in rules.dossier_gaps(nomination)


def test_a_refused_edit_leaves_nothing_half_applied(db, demo, nomination):
    """A valid title followed by an unknown criterion: the whole edit is refused, the title untouched even if the
    caller commits afterwards."""
    with pytest.raises(ValidationFailed):
        service.update_nomination(db, demo.actor("tp_pbgdpl"), nomination.id, 1, title="Tên mới",
                                  criteria={"khong_co_tieu_chi_nay": {"met": True}})
    db.commit()
    db.expire_all()
    assert (nomination.title, nomination.version) == ("Phòng PBGDPL", 1)
