"""One campaign validation (workflow.administration.campaigns.campaign_values): the API's creation, the admin page's
creation and the admin page's edit answer the same Vietnamese message for the same wrong field. Before, the edit had
its own copy of the date rules with other messages ("Không được trước ngày bắt đầu." there, without the full stop in
the API), took only ISO dates, and a quota typed as "abc" was silently dropped on creation."""
from __future__ import annotations

import html

import pytest

from workflow import inputs

API = {
    "name": "Đợt thi đua cao điểm", "kind": "peak", "start_date": "2026-01-01", "end_date": "2026-06-30",
    "registration_deadline": "2026-03-31", "evaluation_deadline": "2026-05-31",
    "subject_types": ["collective", "individual"], "quotas": {"collective": 1},
}
PAGE = {
    "name": "Đợt thi đua cao điểm", "kind": "peak", "start_date": "01/01/2026", "end_date": "30/06/2026",
    "registration_deadline": "31/03/2026", "evaluation_deadline": "31/05/2026",
    "subject_types": ["collective", "individual"], "quota_collective": "1",
}

# (field, the API body's change, the page form's change)
CASES = [
    ("end_date", {"end_date": "2025-12-31"}, {"end_date": "31/12/2025"}),
    ("registration_deadline", {"registration_deadline": "2026-07-01"}, {"registration_deadline": "01/07/2026"}),
    ("registration_deadline", {"registration_deadline": "2025-12-01"}, {"registration_deadline": "01/12/2025"}),
    ("evaluation_deadline", {"evaluation_deadline": "2026-03-01"}, {"evaluation_deadline": "01/03/2026"}),
    ("midterm_review_date", {"midterm_review_date": "2027-03-01"}, {"midterm_review_date": "01/03/2027"}),
    ("final_review_date", {"final_review_date": "2028-01-01"}, {"final_review_date": "01/01/2028"}),
    ("final_review_date", {"midterm_review_date": "2026-06-01", "final_review_date": "2026-05-01"},
     {"midterm_review_date": "01/06/2026", "final_review_date": "01/05/2026"}),
    ("start_date", {"start_date": "31/02/2026"}, {"start_date": "31/02/2026"}),
    ("start_date", {"start_date": "2026-02-30"}, {"start_date": "2026-02-30"}),
    ("quotas", {"subject_types": ["collective"], "quotas": {"individual": 2}},
     {"subject_types": ["collective"], "quota_individual": "2"}),
]


def _api_message(body: dict, field: str) -> str:
    errors = body["errors"][field]
    return errors[0] if isinstance(errors, list) else errors


@pytest.mark.parametrize(("field", "api_change", "page_change"), CASES)
def test_api_and_pages_give_one_message(api, client, login, demo, db, field, api_change, page_change):
    department, campaign_id = demo.unit("STP").id, demo.campaign().id
    db.rollback()  # SQLite: the test's read transaction must not hold the lock the requests write under
    r = api.as_("vanphong").post("/campaigns", json={**API, **api_change})
    assert r.status_code == 422, r.get_json()
    message = _api_message(r.get_json(), field)
    assert message

    login("admin")
    r = client.post("/admin/campaigns/new", data={**PAGE, **page_change, "department_id": str(department)})
    assert r.status_code == 422
    page = html.unescape(r.get_data(as_text=True))
    assert message in page, message

    r = client.post(f"/admin/campaigns/{campaign_id}", data={**PAGE, **page_change})
    assert r.status_code == 422
    assert message in html.unescape(r.get_data(as_text=True)), message


def test_a_bad_date_reads_the_same_in_every_form(api, client, login, db):
    """The API's schema, the admin pages and the services read a date with workflow.inputs.date."""
    db.rollback()
    r = api.as_("vanphong").post("/campaigns", json={**API, "end_date": "hôm qua"})
    assert r.status_code == 422 and _api_message(r.get_json(), "end_date") == inputs.BAD_DATE
    login("admin")
    r = client.post("/admin/calendar", data={"day": "hôm qua", "is_working": "0", "name": "Nghỉ", "year": "2026"})
    assert r.status_code == 422 and inputs.BAD_DATE in html.unescape(r.get_data(as_text=True))


def test_the_api_takes_a_day_as_the_pages_show_it(api, db):
    """dd/mm/yyyy as well as ISO: what a user copies from a page is read, and answered in ISO."""
    db.rollback()
    r = api.as_("vanphong").post("/campaigns", json={**API, "start_date": "1/1/2026", "end_date": "30/06/2026"})
    assert r.status_code == 201, r.get_json()
    assert (r.get_json()["start_date"], r.get_json()["end_date"]) == ("2026-01-01", "2026-06-30")


def test_a_quota_that_is_not_a_number_is_refused_on_the_page(client, login, demo, db):
    department = demo.unit("STP").id
    db.rollback()
    login("admin")
    r = client.post("/admin/campaigns/new", data={**PAGE, "quota_collective": "1e3", "department_id": str(department)})
    assert r.status_code == 422
    assert "Chỉ tiêu phải là số nguyên từ 0 đến 10000." in html.unescape(r.get_data(as_text=True))
