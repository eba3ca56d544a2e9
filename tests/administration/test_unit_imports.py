"""Changes of units in bulk from an .xlsx (issue 16): each row through the page's and the API's operations, a split
assigned exactly as the sheet says, or nothing changes and every bad row is reported by its number."""
from __future__ import annotations

import io

import openpyxl
import pytest
from sqlalchemy import select

from models import AuditEvent, Person, Unit, UnitChange
from workflow.administration import imports, unit_imports
from workflow.errors import Forbidden

HEADER = ("Loại thay đổi", "Mã đơn vị", "Ngày hiệu lực", "Tên mới", "Mã mới", "Mã đơn vị nhận", "Kế thừa thành tích",
          "Mã cá nhân", "Số hồ sơ", "Về đơn vị")


def sheet(*rows) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    for row in rows:
        ws.append(list(row) + [None] * (len(HEADER) - len(row)))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def people_of(db, unit) -> list[Person]:
    return list(db.scalars(select(Person).where(Person.unit_id == unit.id, Person.active.is_(True))
                           .order_by(Person.id)))


def test_renames_a_merger_and_a_split_from_one_sheet(db, demo):
    tgpl = demo.unit("TGPL")
    people = people_of(db, tgpl)
    data = sheet(
        ("Đổi tên", "HCTP", "01/07/2025", "Phòng Hành chính, bổ trợ tư pháp"),
        ("Sáp nhập", "PTP-LX", "01/07/2025", None, None, "PTP-CD"),
        ("split", "TGPL", "2025-07-01", "Trung tâm TGPL số 1", "TGPL-1", None, "x"),
        ("split", "TGPL", "2025-07-01", "Trung tâm TGPL số 2", "TGPL-2"),
        *(("split", "TGPL", "2025-07-01", None, None, None, None, p.id, None, "TGPL-2") for p in people),
    )
    result = unit_imports.import_changes(db, demo.actor("admin"), data, filename="thay-doi.xlsx")
    assert (result.created, result.rows) == (3, 4 + len(people))
    assert demo.unit("HCTP").name == "Phòng Hành chính, bổ trợ tư pháp" and not demo.unit("PTP-LX").active
    part2 = demo.unit("TGPL-2")
    assert {p.unit_id for p in people} <= {part2.id} and demo.unit("TGPL-1").has_predecessors
    actions = set(db.scalars(select(AuditEvent.action)))
    assert {"admin.unit_rename", "admin.unit_merge", "admin.unit_split", "admin.import_unit_changes"} <= actions


def test_a_bad_sheet_changes_nothing_and_reports_every_bad_row(db, demo):
    tgpl = demo.unit("TGPL")
    people = people_of(db, tgpl)
    assert len(people) >= 2
    data = sheet(
        ("Đổi tên", "HCTP", "01/07/2025", "Phòng Hành chính, bổ trợ tư pháp"),  # row 2: fine on its own
        ("Sáp nhập", "PTP-LX", "01/07/2025", None, None, "PTP-LX"),  # row 3: into itself
        ("Giải tán", "VP", "01/07/2025"),  # row 4: no such change
        ("split", "TGPL", "2025-07-01", "Trung tâm TGPL số 1", "TGPL-1", None, "x"),  # row 5
        ("split", "TGPL", "2025-07-01", "Trung tâm TGPL số 2", "VP"),  # row 6: an existing code
        ("split", "TGPL", "2025-07-01", None, None, None, None, people[0].id, None, "TGPL-9"),  # row 7: no such part
        # people[1:] unassigned: reported on the split's first row
        ("Điều chuyển", "KHONGCO", "01/07/2025", None, None, "STP"),  # row 8: no such unit
    )
    with pytest.raises(imports.ImportFailed) as err:
        unit_imports.import_changes(db, demo.actor("admin"), data)
    by_row = {}
    for e in err.value.errors:
        by_row.setdefault(e.row, []).append(f"{e.column}: {e.message}")
    assert set(by_row) >= {3, 4, 5, 6, 7, 8}, by_row
    assert any("chính nó" in m for m in by_row[3]) and any("Mã mới" in m for m in by_row[6])
    assert any("chưa được phân" in m for m in by_row[5])
    assert 2 not in by_row
    # nothing written: the caller rolls the whole file back, so the good rename is not kept either
    db.rollback()
    assert db.scalar(select(UnitChange.id)) is None
    assert db.scalar(select(Unit.id).where(Unit.code == "TGPL-1")) is None


def test_only_an_admin_imports_changes(db, demo):
    with pytest.raises(Forbidden):
        unit_imports.import_changes(db, demo.actor("giamdoc"), sheet(("Đổi tên", "HCTP", "01/07/2025", "X")))


def test_the_import_page_takes_unit_changes(client, login, demo, db):
    login("admin")
    assert "thay đổi tổ chức đơn vị" in client.get("/admin/import").get_data(as_text=True).lower()
    assert client.get("/admin/import/template-unit_changes.xlsx").status_code == 200
    r = client.post("/admin/import", data={"kind": "unit_changes", "file": (io.BytesIO(sheet(
        ("Đổi tên", "HCTP", "01/07/2025", "Phòng Hành chính, bổ trợ tư pháp"),
        ("Sáp nhập", "PTP-LX", "01/07/2025", None, None, "PTP-LX"))), "t.xlsx")},
        content_type="multipart/form-data")
    assert r.status_code == 422 and "chính nó" in r.get_data(as_text=True)
    db.expire_all()
    assert demo.unit("HCTP").name == "Phòng Hành chính tư pháp"  # the good row was rolled back with the bad one
    r = client.post("/admin/import", data={"kind": "unit_changes", "file": (io.BytesIO(sheet(
        ("Đổi tên", "HCTP", "01/07/2025", "Phòng Hành chính, bổ trợ tư pháp"))), "t.xlsx")},
        content_type="multipart/form-data")
    assert r.status_code == 302
    db.expire_all()
    assert demo.unit("HCTP").name == "Phòng Hành chính, bổ trợ tư pháp"
