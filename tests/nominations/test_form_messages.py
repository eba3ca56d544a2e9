"""Messages in the user's words (issue 14, finding 8): the page forms are walked with bad input, and no error they
show names a field by its internal name ("date", "introduced_on", "title") or asks for the ISO format the form does
not show ("YYYY-MM-DD", "2025-10-30"): each names the field by its label and dates as dd/mm/yyyy. The errors sit at
the form and take the focus (autofocus on the summary; the field marked aria-invalid). The API's reasons name the
field by its label too (its JSON name beside it, for the program)."""
from __future__ import annotations

import html
import re

import pytest
from factories import nurtured, refused
from samples import PDF

from workflow import inputs

INTERNAL = re.compile(
    r"\b(date|day|introduced_on|title|campaign_id|person_id|unit_id|nomination_id|nomination_ids|kind|version|"
    r"subject_type|starts_on|ends_on|deputy_id|start_date|end_date|registration_deadline|evaluation_deadline|"
    r"note|achievements|month|nurture_plan|achievement_report|evidence|other)\b")
ISO = re.compile(r"YYYY|yyyy-mm-dd|năm-tháng-ngày|\b\d{4}-\d{2}-\d{2}\b", re.I)


def _error_text(page: str) -> str:
    """What the page shows as errors: the form's summary and the messages under the fields."""
    blocks = re.findall(r'data-testid="form-errors">(.*?)</div>', page, re.S)
    blocks += re.findall(r'class="invalid-feedback[^"]*"[^>]*>(.*?)</', page, re.S)
    blocks += re.findall(r'<li data-field="[^"]*">(.*?)</li>', page, re.S)  # the text rule's refusal page
    return html.unescape(re.sub(r"<[^>]+>", " ", " ".join(blocks)))


def _assert_in_users_words(r, *expected: str):
    assert r.status_code == 422, (r.status_code, r.get_data(as_text=True)[:3000])
    page = r.get_data(as_text=True)
    text = _error_text(page)
    assert text.strip(), page[:3000]
    assert not INTERNAL.search(text), (INTERNAL.search(text).group(0), text)
    assert not ISO.search(text), (ISO.search(text).group(0), text)
    for phrase in expected:
        assert phrase in text, (phrase, text)
    assert 'data-testid="form-errors"' in page and re.search(r'data-testid="form-errors"', page)
    summary = re.search(r'<div class="alert alert-danger error-summary"[^>]*>', page).group(0)
    assert "autofocus" in summary and 'tabindex="-1"' in summary  # the focus moves to the form's errors
    return text


@pytest.fixture
def dossier(db, demo):
    n = nurtured(db, demo, "tp_pbgdpl", unit="PBGDPL")
    db.commit()
    return n.id, n.version


def test_nomination_forms(client, login, demo, dossier):
    nid, version = dossier
    login("tp_pbgdpl")
    r = client.post("/nominations/new", data={"campaign_id": str(demo.campaign().id), "subject_type": "collective",
                                              "unit_id": str(demo.unit("PBGDPL").id), "title": "  "})
    _assert_in_users_words(r, "Tên hồ sơ điển hình")
    r = client.post(f"/nominations/{nid}/checkins", data={"date": "31/02/2026", "note": "Theo dõi"})
    text = _assert_in_users_words(r, "Ngày theo dõi", "30/10/2025")
    assert 'aria-invalid="true"' in r.get_data(as_text=True)
    r = client.post(f"/nominations/{nid}/checkins", data={"date": "01/01/2099", "note": "Theo dõi"})
    _assert_in_users_words(r, "Ngày theo dõi")
    r = client.post(f"/nominations/{nid}/edit", data={"version": str(version), "title": " ", "achievements": "x"})
    _assert_in_users_words(r, "Tên hồ sơ điển hình")
    assert 'aria-invalid="true"' in r.get_data(as_text=True)
    r = client.post(f"/nominations/{nid}/attachments", data={"kind": "bogus", "file": (__import__("io").BytesIO(PDF),
                                                                                        "bc.pdf")},
                    content_type="multipart/form-data")
    text = _assert_in_users_words(r, "Loại tài liệu")
    assert "bogus" not in text
    r = client.post(f"/nominations/{nid}/transition", data={"action": "submit", "version": str(version)})
    _assert_in_users_words(r)


def test_council_session_form(client, login, demo):
    login("vanphong")
    r = client.post("/council/sessions/new", data={"title": "Phiên họp", "date": "hôm qua",
                                                   "campaign_id": str(demo.campaign().id)})
    _assert_in_users_words(r, "Ngày họp", "30/10/2025")


def test_introduction_form(client, login, demo):
    login("vanphong")
    r = client.post("/reports/monthly-introductions", data={"unit_id": str(demo.unit("PBGDPL").id),
                                                            "nomination_id": "", "introduced_on": "32/13/2026",
                                                            "form": "Bản tin", "note": "", "month": "2026-03"})
    _assert_in_users_words(r, "Ngày giới thiệu")


def test_admin_campaign_and_calendar_forms(client, login):
    login("admin")
    r = client.post("/admin/calendar", data={"day": "hôm qua", "is_working": "0", "name": "Nghỉ", "year": "2026"})
    _assert_in_users_words(r, "30/10/2025")


def test_the_api_names_the_field_by_its_label(api, dossier):
    nid, _ = dossier
    body = refused(api.as_("tp_pbgdpl").post(f"/nominations/{nid}/checkins",
                                             json={"note": "Theo dõi", "date": "31/02/2026"}), 422)
    assert any(reason.startswith("Ngày theo dõi") or reason.startswith("Ngày (date)") for reason in body["reasons"])
    assert "date" in body["errors"]  # the program still finds the field by its JSON name
    assert not ISO.search(" ".join(body["reasons"]).replace("(date)", ""))
    assert inputs.BAD_DATE in str(body)
