"""The nominations list names a renamed or merged unit by its current name with the former one beside it (issue 16):
"Tên mới (trước đây: Tên cũ)" on the page, in the .xlsx export and in the API's items — read in the list's own
statement, so the list still runs its one statement whatever changed (issue 13)."""
from __future__ import annotations

import io

import openpyxl
from factories import nomination
from test_read_path import _touching_nominations, statements

from web.api import present
from workflow import clock
from workflow.administration import units as reorg
from workflow.nominations import exports, queries

FULL = ("registered", "nurtured", "submitted", "evaluated_co_so")
HCTP_OLD, PB_OLD = "Phòng Hành chính tư pháp", "Phòng Phổ biến, giáo dục pháp luật"


def _reorganised(db, demo):
    """Dossiers of HCTP (in progress), PBGDPL (recognised at cơ sở: it stays with PBGDPL) and XDKT (untouched);
    then HCTP renamed and PBGDPL merged into it."""
    hctp = nomination(db, demo, unit="HCTP", state="registered")
    pb = nomination(db, demo, unit="PBGDPL", state="evaluated_co_so", path=FULL)
    other = nomination(db, demo, unit="XDKT", state="registered")
    db.commit()
    admin = demo.actor("admin")
    reorg.rename_unit(db, admin, hctp.unit_id, {"effective_date": "01/07/2025", "name": "Phòng <b>Đổi</b> Tên"})
    reorg.merge_units(db, admin, pb.unit_id, {"effective_date": "01/08/2025", "into_id": hctp.unit_id})
    db.commit()
    return hctp, pb, other


def test_rows_carry_the_former_name_and_the_successor(db, demo):
    hctp, pb, other = _reorganised(db, demo)
    rows = {r.id: r for r in queries.list_nominations(db, demo.actor("vanphong"), per_page=100).items}
    assert rows[hctp.id].unit.listed_name == f"Phòng <b>Đổi</b> Tên (trước đây: {HCTP_OLD})"
    assert rows[pb.id].unit.name == PB_OLD  # the recognised example is still PBGDPL's
    assert rows[pb.id].unit.listed_name == f"Phòng <b>Đổi</b> Tên (trước đây: {PB_OLD})"
    unchanged = rows[other.id].unit
    assert unchanged.previous_name is None and unchanged.listed_name == unchanged.name


def test_the_page_shows_the_former_name_beside_the_current_one_escaped(db, demo, client, login):
    hctp, pb, _ = _reorganised(db, demo)
    login("vanphong")
    html = client.get("/nominations?per_page=100").get_data(as_text=True)
    assert (f'Phòng &lt;b&gt;Đổi&lt;/b&gt; Tên <span class="text-body-secondary small">(trước đây: {HCTP_OLD})'
            f'</span>') in html
    assert f"(trước đây: {PB_OLD})" in html
    assert "<b>Đổi</b>" not in html


def test_the_api_items_and_the_export_carry_it_too(db, demo, api):
    hctp, pb, other = _reorganised(db, demo)
    r = api.as_("vanphong").get("/nominations?per_page=100")
    assert r.status_code == 200
    units = {i["id"]: i["subject"]["unit"] for i in r.get_json()["items"]}
    assert units[hctp.id]["former_name"] == HCTP_OLD and units[hctp.id]["name"] == "Phòng <b>Đổi</b> Tên"
    assert units[pb.id]["former_name"] == PB_OLD
    assert units[pb.id]["listed_name"] == f"Phòng <b>Đổi</b> Tên (trước đây: {PB_OLD})"
    assert units[other.id]["former_name"] is None and units[other.id]["listed_name"] == units[other.id]["name"]
    from web.api.schemas import NominationPageSchema

    page = present.nomination_page(queries.list_nominations(db, demo.actor("vanphong"), per_page=100))
    assert present.json_ready(page) == NominationPageSchema().dump(page)
    data = exports.nominations_xlsx(db, demo.actor("vanphong"), today=clock.today())
    cells = {str(c.value) for row in openpyxl.load_workbook(io.BytesIO(data)).active.iter_rows() for c in row}
    assert f"Phòng <b>Đổi</b> Tên (trước đây: {HCTP_OLD})" in cells
    assert f"Phòng <b>Đổi</b> Tên (trước đây: {PB_OLD})" in cells


def test_the_list_still_runs_one_statement_after_the_changes(db, demo, client, login, api, engine):
    _reorganised(db, demo)
    login("vanphong")
    client.get("/nominations")  # first uses done
    with statements(engine) as seen:
        assert client.get("/nominations?per_page=100").status_code == 200
    assert len(_touching_nominations(seen)) == 1  # the total, the page's ids and their rows (issue 13)
    assert not [s for s in seen if "unit_names" in s and "nominations" not in s]  # no lookup of its own
    token = api.as_("vanphong")
    token.get("/nominations")
    with statements(engine) as seen:
        assert token.get("/nominations?per_page=100").status_code == 200
    assert len(_touching_nominations(seen)) == 1  # the total, the page's ids and their rows (issue 13)
    assert not [s for s in seen if "unit_names" in s and "nominations" not in s]
