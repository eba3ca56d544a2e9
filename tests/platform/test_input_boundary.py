"""The text rule at the boundary (issue 11, item 5): a NUL or a control character in any API body, form field or
query parameter is a 422 naming the field, never a 500; long texts keep their tabs and newlines (CRLF normalised);
a NUL in the login username is a failed login, audited. On SQLite and PostgreSQL (PostgreSQL is where a NUL used
to reach the driver and answer 500)."""
from __future__ import annotations

import factories
from sqlalchemy import select

from models import AuditEvent, Campaign, Nomination
from workflow import inputs

BAD = {"nul": "Phòng\x00PBGDPL", "vt": "Phòng\x0bPBGDPL", "esc": "Phòng\x1b[31mPBGDPL", "c1": "Phòng\x85PBGDPL",
       "lone-cr": "Phòng\rPBGDPL"}

# Every text field a client can send through the API: (method, path, body with a placeholder, field as reported).
TEXT_FIELDS = [
    ("POST", "/campaigns", {"name": "X"}, "name"),
    ("POST", "/campaigns", {"legal_basis": "X"}, "legal_basis"),
    ("POST", "/campaigns", {"award_forms": "X"}, "award_forms"),
    ("POST", "/nominations", {"title": "X"}, "title"),
    ("POST", "/nominations", {"achievements": "X"}, "achievements"),
    ("POST", "/nominations", {"initiatives": "X"}, "initiatives"),
    ("PATCH", "/nominations/1", {"title": "X"}, "title"),
    ("PATCH", "/nominations/1", {"nurture_plan": "X"}, "nurture_plan"),
    ("PATCH", "/nominations/1", {"criteria": {"TT1": {"met": True, "evidence": "X"}}}, "criteria.TT1.evidence"),
    ("POST", "/nominations/1/transitions", {"action": "X"}, "action"),
    ("POST", "/nominations/1/transitions", {"comment": "X"}, "comment"),
    ("POST", "/nominations/1/transitions", {"reason": "X"}, "reason"),
    ("POST", "/nominations/1/transitions", {"decision_number": "X"}, "decision_number"),
    ("POST", "/nominations/1/checkins", {"note": "X"}, "note"),
    ("POST", "/council-sessions", {"title": "X"}, "title"),
    ("POST", "/council-sessions", {"location": "X"}, "location"),
    ("POST", "/council-sessions/1/comments", {"text": "X"}, "text"),
    ("PATCH", "/councils/1", {"name": "X"}, "name"),
    ("POST", "/decisions", {"number": "X"}, "number"),
    ("POST", "/decisions", {"signer_name": "X"}, "signer_name"),
    ("POST", "/proposals", {"title": "X"}, "title"),
    ("POST", "/proposals/1/submit", {"number": "X"}, "number"),
    ("POST", "/introductions", {"form": "X"}, "form"),
    ("POST", "/introductions", {"note": "X"}, "note"),
    ("PUT", "/themes/2026", {"months": [{"month": 1, "theme": "X"}]}, "months[0].theme"),
    ("PUT", "/themes/2026", {"months": [{"month": 1, "note": "X"}]}, "months[0].note"),
    ("POST", "/stories", {"title": "X"}, "title"),
    ("POST", "/stories", {"summary": "X"}, "summary"),
    ("POST", "/stories", {"body": "X"}, "body"),
    ("PATCH", "/stories/1", {"title": "X"}, "title"),
    ("PUT", "/me/notification-preferences", {"X": True}, None),  # a key is a text too
]


def _fill(body, value):
    if isinstance(body, dict):
        return {(value if k == "X" else k): _fill(v, value) for k, v in body.items()}
    if isinstance(body, list):
        return [_fill(v, value) for v in body]
    return value if body == "X" else body


def test_every_api_text_field_refuses_control_characters_naming_it(api):
    admin = api.as_("admin")
    for method, path, body, field in TEXT_FIELDS:
        for bad in ("nul", "vt"):
            r = getattr(admin, method.lower())(path, json=_fill(body, BAD[bad]))
            assert r.status_code == 422, (method, path, field, r.get_data(as_text=True))
            assert r.mimetype == "application/problem+json"
            problem = r.get_json()
            if field is None:
                assert any(k.startswith("Phòng") for k in problem["errors"])
            else:
                assert field in problem["errors"], (path, problem)
                assert "U+00" in problem["errors"][field][0]


def test_every_api_text_field_accepts_legal_text(api):
    """The same fields with legal text — Vietnamese, and tab/CRLF in long texts — pass the boundary: whatever the
    view answers (these bodies are incomplete, the ids may not exist), it is never the text rule."""
    admin = api.as_("admin")
    for method, path, body, field in TEXT_FIELDS:
        long = field is not None and inputs.is_long(field)
        value = "Thành tích:\r\n1.\tTuyên truyền “Tủ sách pháp luật” – 100%" if long else "Phòng Tư pháp – Đồng Tháp"
        r = getattr(admin, method.lower())(path, json=_fill(body, value))
        assert r.status_code != 500, (path, field)
        assert "U+00" not in r.get_data(as_text=True), (path, field, r.get_json())


def test_a_control_character_in_a_title_is_refused_before_it_is_stored(api, db, demo):
    """The finding: PATCH accepted "Phòng\\u000bPBGDPL" and the department's export then failed for everyone."""
    head, created = factories.registered_through_api(api, db, demo)
    nid, version = created["id"], created["version"]
    for bad in sorted(BAD):
        r = head.patch(f"/nominations/{nid}", json={"version": version, "title": BAD[bad]})
        assert r.status_code == 422 and "title" in r.get_json()["errors"], bad
    assert db.get(Nomination, nid).title == "Phòng PBGDPL"
    db.rollback()


def test_long_texts_keep_tabs_and_newlines_and_crlf_becomes_lf(api, db, demo):
    campaign_id, unit_id = demo.campaign().id, demo.unit("PBGDPL").id
    db.rollback()
    head = api.as_("tp_pbgdpl")
    r = head.post("/nominations", json={
        "campaign_id": campaign_id, "subject_type": "collective", "unit_id": unit_id,
        "title": "Phòng Phổ biến, giáo dục pháp luật – “Tủ sách pháp luật” 2026",
        "achievements": "1.\tTuyên truyền 120 buổi;\r\n2.\tBiên soạn 3 tài liệu.\nĐạt 100% kế hoạch."})
    assert r.status_code == 201, r.get_json()
    n = db.get(Nomination, r.get_json()["id"])
    assert n.achievements == "1.\tTuyên truyền 120 buổi;\n2.\tBiên soạn 3 tài liệu.\nĐạt 100% kế hoạch."
    db.rollback()
    r = head.post("/nominations", json={"campaign_id": campaign_id, "subject_type": "collective",
                                        "unit_id": unit_id, "title": "Hai\ndòng"})
    assert r.status_code == 422 and "xuống dòng" in r.get_json()["errors"]["title"][0]  # a title is one line


def test_form_fields_refused_on_a_page_with_the_field_and_what_was_typed(client, login, db, demo):
    campaign_id, unit_id = demo.campaign().id, demo.unit("PBGDPL").id
    db.rollback()
    login("tp_pbgdpl")
    r = client.post("/nominations/new", data={"campaign_id": str(campaign_id), "subject_type": "collective",
                                              "unit_id": str(unit_id), "title": "Phòng\x0bPBGDPL",
                                              "achievements": "Thành tích\r\ndòng hai"})
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert 'data-field="title"' in page and "U+000B" in page
    assert "Phòng\\u000bPBGDPL" in page and "Thành tích" in page  # what the user typed, shown back
    assert db.scalar(select(Nomination).where(Nomination.title.like("Phòng%PBGDPL"))) is None


def _list_routes(app, prefix: str) -> list[str]:
    routes = []
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments and rule.rule.startswith(prefix) and \
                rule.endpoint not in ("static",) and not rule.rule.startswith("/api/v1/openapi"):
            routes.append(rule.rule)
    return sorted(set(routes))


def test_a_nul_in_the_query_of_every_page_and_api_list_is_a_422(app, client, login, api):
    """`?q=%00` (and any other parameter) on every GET route without path arguments: 422, never 500."""
    login("admin")
    admin = api.as_("admin")
    pages = [r for r in _list_routes(app, "/") if not r.startswith("/api/")]
    lists = [r.removeprefix("/api/v1") for r in _list_routes(app, "/api/v1/")]
    assert "/nominations" in pages and "/nominations" in lists and len(pages) > 10 and len(lists) > 10
    for path in pages:
        for query in ("q=%00", "state=%00", "q=a%0Bb"):
            r = client.get(f"{path}?{query}")
            assert r.status_code == 422, (path, query, r.status_code)
    for path in lists:
        r = admin.get(f"{path}?q=%00")
        assert r.status_code == 422, (path, r.status_code)
        assert r.get_json()["errors"]["q"], path


def test_a_nul_in_the_login_username_is_a_failed_login_audited(client, api, db):
    r = client.post("/login", data={"username": "admin\x00", "password": "x"})
    assert r.status_code == 401
    r = api.post("/auth/token", json={"username": "giamdoc\x00' OR 1=1", "password": "x"})
    assert r.status_code == 401 and r.mimetype == "application/problem+json"
    db.expire_all()
    failed = db.scalars(select(AuditEvent).where(AuditEvent.action == "auth.login_failed")).all()
    names = [e.actor_username for e in failed]
    assert "admin\\u0000" in names and "giamdoc\\u0000' OR 1=1" in names


def test_a_control_character_in_a_campaign_field_is_refused(api, db, demo):
    r = api.as_("admin").post("/campaigns", json={"name": "Phong trào thi đua\x1f2027", "kind": "annual"})
    assert r.status_code == 422 and "name" in r.get_json()["errors"]
    assert db.scalar(select(Campaign).where(Campaign.name.like("%2027"))) is None
