"""The unit's page (issue 16): its history of changes and former names, and a form for each change with a
confirmation step; a refusal names the field in Vietnamese and changes nothing; other roles may not post."""
from __future__ import annotations

from sqlalchemy import select

from models import AuditEvent, Nomination, Person, Unit
from workflow.administration import units as reorg


def test_rename_from_the_page_goes_through_a_confirmation(client, login, demo, db):
    login("admin")
    unit = demo.unit("HCTP")
    old = unit.name
    page = client.get(f"/admin/units/{unit.id}").get_data(as_text=True)
    assert "Lịch sử tổ chức" in page and "Đơn vị chưa có thay đổi tổ chức nào." in page and "Chia tách" in page
    form = {"effective_date": "01/07/2025", "name": "Phòng Hành chính, bổ trợ tư pháp"}
    r = client.post(f"/admin/units/{unit.id}/changes/rename", data=form)
    assert r.status_code == 200 and "Xác nhận đổi tên" in r.get_data(as_text=True)
    db.expire_all()
    assert db.get(Unit, unit.id).name == old  # nothing yet
    r = client.post(f"/admin/units/{unit.id}/changes/rename", data={**form, "confirm": "yes"})
    assert r.status_code == 302
    page = client.get(f"/admin/units/{unit.id}").get_data(as_text=True)
    assert "01/07/2025" in page and old in page and "Tên gọi trước đây" in page
    listing = client.get("/admin/units?q=HCTP").get_data(as_text=True)
    assert "Phòng Hành chính, bổ trợ tư pháp" in listing and f"(trước đây: {old})" in listing
    assert db.scalar(select(AuditEvent.id).where(AuditEvent.action == "admin.unit_rename")) is not None


def test_a_refused_change_names_the_field_and_changes_nothing(client, login, demo, db):
    login("admin")
    lx = demo.unit("PTP-LX")
    r = client.post(f"/admin/units/{lx.id}/changes/merge",
                    data={"effective_date": "32/13/2025", "into_id": str(lx.id), "confirm": "yes"})
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert "Không thể sáp nhập một đơn vị vào chính nó." in page and "is-invalid" in page
    db.expire_all()
    assert db.get(Unit, lx.id).active


def test_a_split_from_the_page_assigns_as_typed(client, login, demo, db):
    login("admin")
    unit = demo.unit("XDKT")
    people = db.scalars(select(Person).where(Person.unit_id == unit.id, Person.active.is_(True))
                        .order_by(Person.id)).all()
    flying = db.scalars(select(Nomination.id).where(Nomination.unit_id == unit.id,
                                                    Nomination.state.not_in(reorg.SETTLED_STATES))).all()
    form = {"effective_date": "2025-07-01", "parts": "XDKT-A | Phòng Xây dựng pháp luật\nXDKT-B | Phòng Kiểm tra",
            "heir": "1", **{f"person_{p.id}": "2" for p in people}, "confirm": "yes"}
    if people:  # one person left out: refused, named, nothing written
        r = client.post(f"/admin/units/{unit.id}/changes/split", data={**form, f"person_{people[0].id}": ""})
        assert r.status_code == 422 and "chưa được phân về đơn vị nào" in r.get_data(as_text=True)
        assert db.scalar(select(Unit.id).where(Unit.code == "XDKT-A")) is None
    r = client.post(f"/admin/units/{unit.id}/changes/split",
                    data={**form, **{f"nomination_{n}": "1" for n in flying}})
    assert r.status_code == 302, r.get_data(as_text=True)
    db.expire_all()
    a, b = (db.scalar(select(Unit).where(Unit.code == code)) for code in ("XDKT-A", "XDKT-B"))
    assert {db.get(Person, p.id).unit_id for p in people} <= {b.id}
    assert {db.get(Nomination, n).unit_id for n in flying} <= {a.id}
    assert not db.get(Unit, unit.id).active


def test_other_roles_may_not_change_units(client, login, demo):
    login("giamdoc")
    r = client.post(f"/admin/units/{demo.unit('HCTP').id}/changes/close",
                    data={"effective_date": "2025-07-01", "confirm": "yes"})
    assert r.status_code == 403


def test_after_a_merger_both_pages_show_it(client, login, demo, db):
    login("admin")
    lx, cd = demo.unit("PTP-LX"), demo.unit("PTP-CD")
    r = client.post(f"/admin/units/{lx.id}/changes/merge",
                    data={"effective_date": "01/07/2025", "into_id": str(cd.id), "confirm": "yes"})
    assert r.status_code == 302
    closed = client.get(f"/admin/units/{lx.id}").get_data(as_text=True)
    assert "Sáp nhập" in closed and "sáp nhập vào “Phòng Tư pháp thành phố Châu Đốc”" in closed
    assert "Thay đổi tổ chức</h2>" not in closed  # a closed unit takes no further change
    successor = client.get(f"/admin/units/{cd.id}").get_data(as_text=True)
    assert "Kế thừa thành tích, khen thưởng của" in successor and "Phòng Tư pháp thành phố Long Xuyên" in successor
    assert "01/07/2025" in successor
