"""Imports of units and people from .xlsx (workflow.administration.imports, `dienhinh import`, /admin/import): every
row validated first, errors named by row and column, all rows or none written, one audit event per import."""
from __future__ import annotations

import io

import openpyxl
import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo
from sqlalchemy import func, select

from models import AuditEvent, Person, Unit
from web.cli import import_group
from workflow.administration import imports
from workflow.context import Context
from workflow.errors import Forbidden, ValidationFailed

UNIT_HEAD = ["Mã đơn vị", "Tên đơn vị", "Loại đơn vị", "Mã đơn vị cấp trên", "Địa danh"]
PEOPLE_HEAD = ["Họ và tên", "Mã đơn vị", "Chức vụ", "Loại hình", "Thủ trưởng đơn vị", "Email"]
WEB = Context(via="web")


def xlsx(*rows) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in rows:
        ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def count(db, model) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model))


def audit_actions(db) -> list[str]:
    db.expire_all()
    return list(db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


GOOD_UNITS = xlsx(
    UNIT_HEAD,
    ["STP3", "Sở Tư pháp tỉnh Đồng Tháp", "Sở", "BTP", "Đồng Tháp"],
    ["STP3-VP", "Văn phòng Sở", "division", "STP3", None],  # parent defined on an earlier row
    ["PTP-CL", "Phòng Tư pháp huyện Cao Lãnh", "Phòng Tư pháp cấp huyện", "stp3", ""],
)


# ------------------------------------------------------------------------------------------------ units
def test_units_import_all_rows_with_parents_from_the_same_file(db, demo):
    before = count(db, Unit)
    result = imports.import_xlsx(db, demo.actor("admin"), "units", GOOD_UNITS, filename="don-vi.xlsx", context=WEB)
    db.commit()
    assert (result.created, result.rows) == (3, 3)
    assert count(db, Unit) == before + 3
    stp3, office, district = demo.unit("STP3"), demo.unit("STP3-VP"), demo.unit("PTP-CL")
    assert (stp3.kind, stp3.parent_id, stp3.department_id, stp3.place) == ("department", demo.unit("BTP").id,
                                                                            stp3.id, "Đồng Tháp")
    assert (office.parent_id, office.department_id, office.kind) == (stp3.id, stp3.id, "division")
    assert (district.kind, district.department_id) == ("district_office", stp3.id)
    assert "stp3-vp van phong so" == office.search_text
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "admin.import_units")).one()
    assert event.data["created"] == 3 and event.data["filename"] == "don-vi.xlsx"


def test_one_bad_row_writes_nothing_and_names_row_and_column(db, demo):
    data = xlsx(
        UNIT_HEAD,
        ["STP3", "Sở Tư pháp tỉnh Đồng Tháp", "department", "BTP", ""],
        ["STP3-VP", "Văn phòng Sở", "division", "STP3", ""],
        ["STP3-TTR", "Thanh tra Sở", "phong ban", "STP3", ""],  # row 4: unknown kind
        ["STP3-X", "Đơn vị X", "division", "KHONGCO", ""],  # row 5: unknown parent
    )
    before, events = count(db, Unit), len(audit_actions(db))
    with pytest.raises(imports.ImportFailed) as caught:
        imports.import_xlsx(db, demo.actor("admin"), "units", data, context=WEB)
    db.rollback()
    assert count(db, Unit) == before and len(audit_actions(db)) == events
    errors = [(e.row, e.column) for e in caught.value.errors]
    assert errors == [(4, "Loại đơn vị"), (5, "Mã đơn vị cấp trên")]
    assert "KHONGCO" in caught.value.errors[1].message
    assert "Dòng 4, cột “Loại đơn vị”" in caught.value.reasons[0]
    assert caught.value.status == 422


def test_unit_duplicates_in_file_and_in_database_and_forward_parents(db, demo):
    data = xlsx(
        ["code", "name", "kind", "parent_code"],  # code names are accepted as headers too
        ["PBGDPL", "Trùng với hệ thống", "division", "STP"],
        ["NEW-A", "Đơn vị A", "division", "NEW-P"],  # parent only on a LATER row: refused
        ["NEW-P", "Sở mới", "department", "BTP"],
        ["new-p", "Trùng trong tệp", "department", "BTP"],
        ["NEW-B", "", "division", ""],
    )
    with pytest.raises(imports.ImportFailed) as caught:
        imports.import_xlsx(db, demo.actor("admin"), "units", data, context=WEB)
    got = {(e.row, e.column) for e in caught.value.errors}
    assert got == {(2, "code"), (3, "parent_code"), (5, "code"), (6, "name"), (6, "parent_code")}


def test_missing_required_column_is_named_on_the_header_row(db, demo):
    with pytest.raises(imports.ImportFailed) as caught:
        imports.import_xlsx(db, demo.actor("admin"), "units", xlsx(["Mã đơn vị", "Tên đơn vị"], ["A", "B"]),
                            context=WEB)
    assert [(e.row, e.column) for e in caught.value.errors] == [(1, "Loại đơn vị")]


# ------------------------------------------------------------------------------------------------ people
def test_people_import(db, demo):
    data = xlsx(
        PEOPLE_HEAD,
        ["Lê Thị Mới", "PBGDPL", "Chuyên viên", "Viên chức", "Không", "moi@example.vn"],
        ["Trần Văn Hai", "hctp", None, None, "x", None],
    )
    result = imports.import_xlsx(db, demo.actor("admin"), "people", data, context=WEB)
    db.commit()
    assert result.created == 2
    moi, hai = demo.person("Lê Thị Mới"), demo.person("Trần Văn Hai")
    assert (moi.unit_id, moi.employment_type, moi.is_unit_head, moi.email) == (
        demo.unit("PBGDPL").id, "vien_chuc", False, "moi@example.vn")
    assert (hai.unit_id, hai.employment_type, hai.is_unit_head) == (demo.unit("HCTP").id, "cong_chuc", True)
    assert moi.sort_key == "moi le thi" and moi.search_text == "le thi moi"


def test_people_errors_by_row(db, demo):
    existing = db.scalars(select(Person).where(Person.unit_id == demo.unit("PBGDPL").id)).first()
    data = xlsx(
        PEOPLE_HEAD,
        ["Người Tốt", "PBGDPL", "", "", "", "tot@example.vn"],
        [existing.full_name, "PBGDPL", "", "", "", ""],  # 3: already in the database
        ["Người Khác", "ZZZ", "", "", "", ""],  # 4: unknown unit
        ["Người Ba", "HCTP", "", "cong_nhan", "có lẽ", "khong-phai-email"],  # 5: enum, bool, e-mail
        ["Người Tốt", "PBGDPL", "", "", "", "TOT@example.vn"],  # 6: same name+unit and e-mail as row 2
        ["X" * 201, "HCTP", "", "", "", ""],  # 7: too long
    )
    before = count(db, Person)
    with pytest.raises(imports.ImportFailed) as caught:
        imports.import_xlsx(db, demo.actor("admin"), "people", data, context=WEB)
    db.rollback()
    assert count(db, Person) == before
    got = sorted((e.row, e.column) for e in caught.value.errors)
    assert got == [(3, "Họ và tên"), (4, "Mã đơn vị"), (5, "Email"), (5, "Loại hình"), (5, "Thủ trưởng đơn vị"),
                   (6, "Email"), (6, "Họ và tên"), (7, "Họ và tên")]


# ------------------------------------------------------------------------------------------------ refusals
def test_only_admins_and_only_xlsx(db, demo):
    with pytest.raises(Forbidden):
        imports.import_xlsx(db, demo.actor("vanphong"), "units", GOOD_UNITS, context=WEB)
    with pytest.raises(Forbidden):  # no actor outside the CLI
        imports.import_xlsx(db, None, "units", GOOD_UNITS, context=WEB)
    with pytest.raises(ValidationFailed, match="Excel"):
        imports.import_xlsx(db, demo.actor("admin"), "units", b"%PDF-1.4\n%%EOF\n", context=WEB)
    with pytest.raises(ValidationFailed, match="Excel") as exc:
        imports.import_xlsx(db, demo.actor("admin"), "units", b"code;name\nA;B\n", context=WEB)
    assert "Loại tệp không được chấp nhận." in exc.value.reasons


def test_row_cap(db, demo, monkeypatch):
    monkeypatch.setattr(imports, "MAX_ROWS", 2)
    data = xlsx(UNIT_HEAD, *[[f"U{i}", "Đơn vị", "division", "STP", ""] for i in range(3)])
    with pytest.raises(ValidationFailed, match="quá nhiều dòng"):
        imports.import_xlsx(db, demo.actor("admin"), "units", data, context=WEB)


# ------------------------------------------------------------------------------------------------ CLI
def run_cli(app, tmp_path, kind: str, data: bytes):
    path = tmp_path / f"{kind}.xlsx"
    path.write_bytes(data)
    return CliRunner().invoke(import_group, [kind, str(path)], obj=ScriptInfo(create_app=lambda: app))


def test_cli_exit_codes(app, db, demo, tmp_path):
    bad = xlsx(UNIT_HEAD, ["A1", "Đơn vị A1", "division", "STP", ""], ["A2", "Đơn vị A2", "bogus", "STP", ""])
    r = run_cli(app, tmp_path, "units", bad)
    assert r.exit_code == 1
    assert "Dòng 3, cột “Loại đơn vị”" in r.output
    assert demo.unit("A1") is None
    db.rollback()  # the test's session must not hold SQLite's write lock while the command writes
    r = run_cli(app, tmp_path, "units", GOOD_UNITS)
    assert r.exit_code == 0, r.output
    assert "Đã nhập 3 đơn vị" in r.output
    db.expire_all()
    assert demo.unit("STP3-VP") is not None
    db.rollback()
    r = run_cli(app, tmp_path, "people", b"not a spreadsheet")
    assert r.exit_code == 2 and "Loại tệp không được chấp nhận" in r.output


# ------------------------------------------------------------------------------------------------ admin page
def test_admin_page_reports_errors_and_imports(client, login, db, demo):
    login("admin")
    page = client.get("/admin/import")
    assert page.status_code == 200 and "Nhập dữ liệu từ Excel" in page.get_data(as_text=True)
    assert 'name="csrf_token"' in page.get_data(as_text=True)
    assert "/admin/import" in client.get("/admin").get_data(as_text=True)
    bad = xlsx(PEOPLE_HEAD, ["Người Một", "PBGDPL", "", "", "", ""], ["<b>Người Hai</b>", "KHONG", "", "", "", ""])
    r = client.post("/admin/import", data={"kind": "people", "file": (io.BytesIO(bad), "ca-nhan.xlsx")},
                    content_type="multipart/form-data")
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert 'data-testid="import-errors"' in html and "<td class=\"text-nowrap\">3</td>" in html
    assert "KHONG" in html and demo.person("Người Một") is None
    db.expire_all()
    refusal = db.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()  # perform audits the refusal
    assert (refusal.action, refusal.outcome) == ("admin.import_people", "refused")
    db.rollback()  # release SQLite's write lock before the next request writes
    good = xlsx(PEOPLE_HEAD, ["Người Một", "PBGDPL", "", "", "", ""])
    r = client.post("/admin/import", data={"kind": "people", "file": (io.BytesIO(good), "ca-nhan.xlsx")},
                    content_type="multipart/form-data", follow_redirects=True)
    assert r.status_code == 200 and "Đã nhập 1 cá nhân" in r.get_data(as_text=True)
    db.expire_all()
    assert demo.person("Người Một") is not None
    template = client.get("/admin/import/template-units.xlsx")
    assert template.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(template.data)).worksheets[0]
    assert [c.value for c in ws[1]] == UNIT_HEAD


def test_admin_page_refuses_non_admins_and_non_xlsx(client, login):
    login("vanphong")
    assert client.get("/admin/import").status_code == 403
    r = client.post("/admin/import", data={"kind": "units", "file": (io.BytesIO(GOOD_UNITS), "a.xlsx")},
                    content_type="multipart/form-data")
    assert r.status_code == 403
    login("admin")
    r = client.post("/admin/import", data={"kind": "units", "file": (io.BytesIO(b"%PDF-1.4"), "a.xlsx")},
                    content_type="multipart/form-data")
    assert r.status_code == 422 and "phải là bảng tính Excel" in r.get_data(as_text=True)


def test_a_control_character_in_a_cell_is_refused_naming_row_and_column(db, demo):
    """The text rule per cell (workflow.inputs): DEL and C1 controls pass XML and openpyxl, not the rule."""
    before = count(db, Unit)
    data = xlsx(UNIT_HEAD, ["STP3", "Sở Tư pháp\x7f tỉnh Đồng Tháp", "Sở", "BTP", "Đồng Tháp"],
                ["STP3-VP", "Văn phòng Sở", "division", "STP3", "Cao\x9fLãnh"])
    with pytest.raises(imports.ImportFailed) as exc:
        imports.import_xlsx(db, demo.actor("admin"), "units", data, context=WEB)
    shown = [str(e) for e in exc.value.errors]
    assert len(shown) == 2, shown
    assert shown[0].startswith("Dòng 2, cột “Tên đơn vị”") and "U+007F" in shown[0]
    assert shown[1].startswith("Dòng 3, cột “Địa danh”") and "U+009F" in shown[1]
    assert count(db, Unit) == before
