"""JSON API, council endpoints: nothing a client can send produces a 500; every refusal is a 4xx problem+json."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select
from test_api_council import MEMBERS, PDF, PROBLEM

from models import User
from workflow.council import operations as council
from workflow.nominations import rules, service
from workflow.policy import actor_for


@pytest.fixture
def ids(db, demo, tmp_path):
    """An open session (publicity 0) with one submitted collective item, prepared through the services."""
    head = demo.actor("tp_hctp")
    n = service.create_nomination(db, head, campaign_id=demo.campaign().id, subject_type="collective",
                                  unit_id=demo.unit("HCTP").id, title="Phòng HCTP", achievements="Thành tích")
    n = service.transition(db, head, n.id, "start_nurturing", n.version, nurture_plan="Kế hoạch")
    answers = {c.code: {"met": True, "evidence": "Có"} for c in rules.criteria_for("collective", "annual")}
    n = service.update_nomination(db, head, n.id, n.version, criteria=answers)
    service.add_attachment(db, head, n.id, kind="achievement_report", filename="bc.pdf", data=PDF)
    n = service.transition(db, head, n.id, "submit", n.version)
    c = council.council_for_department(db, demo.unit("STP").id)
    c.publicity_working_days = 0
    sec = demo.actor("vanphong")
    s = council.schedule(db, sec, title="Phiên họp", date=dt.date.today() + dt.timedelta(days=30),
                         campaign_id=demo.campaign().id)
    council.set_agenda(db, sec, s.id, [n.id])
    council.publish(db, sec, s.id)
    council.record_attendance(db, sec, s.id, [demo.user(u).id for u in MEMBERS])
    council.open_session(db, actor_for(db, db.scalar(select(User).where(User.username == "giamdoc"))), s.id)
    data = {"s": s.id, "n": n.id, "c": c.id, "campaign": demo.campaign().id, "user": demo.user("hoidong2").id}
    db.commit()
    db.close()
    return data


RAW = "raw"
DAY = (dt.date.today() + dt.timedelta(days=30)).isoformat()
GARBAGE = [
    # (username, method, path, body): "{s}" session, "{n}" nomination, "{c}" council, "{campaign}", "{user}"
    ("vanphong", "post", "/council-sessions", (RAW, b"{not json")),
    ("vanphong", "post", "/council-sessions", (RAW, b"null")),
    ("vanphong", "post", "/council-sessions", (RAW, b"[" * 5000 + b"]" * 5000)),
    ("vanphong", "post", "/council-sessions", [1, 2]),
    ("vanphong", "post", "/council-sessions", {}),
    ("vanphong", "post", "/council-sessions", {"title": "", "date": DAY, "campaign_id": "{campaign}"}),
    ("vanphong", "post", "/council-sessions", {"title": "t", "date": "2025-02-30", "campaign_id": "{campaign}"}),
    ("vanphong", "post", "/council-sessions", {"title": "t", "date": 20250101, "campaign_id": "{campaign}"}),
    ("vanphong", "post", "/council-sessions", {"title": "t", "date": DAY, "campaign_id": "1"}),
    ("vanphong", "post", "/council-sessions", {"title": "t", "date": DAY, "campaign_id": 10**30}),
    ("vanphong", "post", "/council-sessions", {"title": "t", "date": DAY, "campaign_id": 987654}),
    ("vanphong", "post", "/council-sessions", {"title": "t" * 400, "date": DAY, "campaign_id": "{campaign}"}),
    ("vanphong", "post", "/council-sessions", {"title": ["t"], "date": DAY, "campaign_id": "{campaign}"}),
    ("vanphong", "post", "/council-sessions", {"title": "t", "date": DAY, "campaign_id": "{campaign}",
                                               "location": {"a": 1}}),
    ("vanphong", "post", "/council-sessions", (RAW, json.dumps({"title": "\ud800", "date": DAY,
                                                                "campaign_id": 1}).encode())),
    ("vanphong", "post", "/council-sessions/{s}/agenda", {}),
    ("vanphong", "post", "/council-sessions/{s}/agenda", {"nomination_ids": "1"}),
    ("vanphong", "post", "/council-sessions/{s}/agenda", {"nomination_ids": ["{n}"]}),
    ("vanphong", "post", "/council-sessions/{s}/agenda", {"nomination_ids": [10**30]}),
    ("vanphong", "post", "/council-sessions/{s}/agenda", {"nomination_ids": [1.5, True, None]}),
    ("vanphong", "post", "/council-sessions/{s}/agenda", {"nomination_ids": [[1]]}),
    ("vanphong", "post", "/council-sessions/{s}/agenda", {"nomination_ids": list(range(1, 1000))}),
    ("vanphong", "post", "/council-sessions/{s}/agenda", {"nomination_ids": []}),
    ("vanphong", "post", "/council-sessions/{s}/publish", (RAW, b"{garbage")),
    ("vanphong", "post", "/council-sessions/{s}/attendance", {"present": "all"}),
    ("vanphong", "post", "/council-sessions/{s}/attendance", {"present": [10**30]}),
    ("vanphong", "post", "/council-sessions/{s}/attendance", {"present": [987654]}),
    ("vanphong", "post", "/council-sessions/{s}/attendance", {"present": [-1, 0]}),
    ("vanphong", "post", "/council-sessions/{s}/attendance", {}),
    ("hoidong2", "post", "/council-sessions/{s}/votes", {}),
    ("hoidong2", "post", "/council-sessions/{s}/votes", {"nomination_id": "{n}", "choice": "yes"}),
    ("hoidong2", "post", "/council-sessions/{s}/votes", {"nomination_id": "{n}", "choice": None}),
    ("hoidong2", "post", "/council-sessions/{s}/votes", {"nomination_id": "{n}", "choice": ["agree"]}),
    ("hoidong2", "post", "/council-sessions/{s}/votes", {"nomination_id": "{n}", "choice": "AGREE"}),
    ("hoidong2", "post", "/council-sessions/{s}/votes", {"nomination_id": "1", "choice": "agree"}),
    ("hoidong2", "post", "/council-sessions/{s}/votes", {"nomination_id": 10**30, "choice": "agree"}),
    ("hoidong2", "post", "/council-sessions/{s}/votes", {"nomination_id": 0, "choice": "agree"}),
    ("hoidong2", "post", "/council-sessions/{s}/votes", {"nomination_id": 987654, "choice": "agree"}),
    ("hoidong2", "post", "/council-sessions/{s}/votes", {"nomination_id": True, "choice": "agree"}),
    ("hoidong2", "post", "/council-sessions/{s}/votes", {"nomination_id": "{n}", "choice": "agree", "x": 1}),
    ("hoidong2", "post", "/council-sessions/{s}/votes", (RAW, b"agree")),
    ("canbo1", "post", "/council-sessions/{s}/votes", {"nomination_id": "{n}", "choice": "agree"}),
    ("hoidong2", "post", "/council-sessions/99999999999999999999/votes", {"nomination_id": 1, "choice": "agree"}),
    ("hoidong2", "post", "/council-sessions/987654/votes", {"nomination_id": 1, "choice": "agree"}),
    ("canbo1", "post", "/council-sessions/{s}/comments", {"nomination_id": "{n}", "text": ""}),
    ("canbo1", "post", "/council-sessions/{s}/comments", {"nomination_id": "{n}", "text": "x" * 6000}),
    ("canbo1", "post", "/council-sessions/{s}/comments", {"nomination_id": "{n}", "text": None}),
    ("canbo1", "post", "/council-sessions/{s}/comments", {"nomination_id": "x", "text": "góp ý"}),
    ("canbo1", "post", "/council-sessions/{s}/comments", {"nomination_id": "{n}", "text": "góp ý"}),  # publicity over
    ("giamdoc", "post", "/council-sessions/{s}/tie-break", {"nomination_ids": "x"}),
    ("giamdoc", "post", "/council-sessions/{s}/tie-break", {"nomination_ids": []}),
    ("giamdoc", "post", "/council-sessions/{s}/tie-break", {"nomination_ids": ["{n}"]}),
    ("giamdoc", "post", "/council-sessions/{s}/open", None),
    ("canbo1", "post", "/council-sessions/{s}/close", None),
    ("admin", "patch", "/councils/{c}", {"quorum": "abc"}),
    ("admin", "patch", "/councils/{c}", (RAW, b'{"quorum": 1e400}')),
    ("admin", "patch", "/councils/{c}", (RAW, b'{"quorum": NaN}')),
    ("admin", "patch", "/councils/{c}", (RAW, b'{"pass_threshold": -Infinity}')),
    ("admin", "patch", "/councils/{c}", {"quorum": 10**400}),
    ("admin", "patch", "/councils/{c}", {"publicity_working_days": 10**30}),
    ("admin", "patch", "/councils/{c}", {"publicity_working_days": -1}),
    ("admin", "patch", "/councils/{c}", {"name": "x" * 400}),
    ("admin", "patch", "/councils/{c}", {"name": "   "}),
    ("admin", "patch", "/councils/{c}", [1]),
    ("admin", "patch", "/councils/99999999999999999999", {"quorum": 0.5}),
    ("admin", "post", "/councils/{c}/members", {"user_id": "x"}),
    ("admin", "post", "/councils/{c}/members", {"user_id": 10**30}),
    ("admin", "post", "/councils/{c}/members", {"user_id": 987654}),
    ("admin", "post", "/councils/{c}/members", {"user_id": "{user}", "function": 7}),
    ("admin", "post", "/councils/{c}/members", {"user_id": "{user}", "active": "maybe"}),
    ("admin", "post", "/councils/{c}/members", {}),
    ("vanphong", "post", "/councils/{c}/members", {"user_id": "{user}"}),
]


def _fill(value, ids):
    if isinstance(value, str) and value.startswith("{") and value.endswith("}") and value[1:-1] in ids:
        return ids[value[1:-1]]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    return value


@pytest.mark.parametrize("username,method,path,body", GARBAGE,
                         ids=[f"{m} {p} #{i}" for i, (_, m, p, _) in enumerate(GARBAGE)])
def test_garbage_never_500(api, ids, username, method, path, body):
    client = api.as_(username)
    path = path.format(**ids)
    send = getattr(client, method)
    if isinstance(body, tuple) and body[0] == RAW:
        r = send(path, data=body[1], content_type="application/json")
    elif body is None:
        r = send(path)
    else:
        r = send(path, data=json.dumps(_fill(body, ids)), content_type="application/json")
    assert 400 <= r.status_code < 500, (r.status_code, r.get_data(as_text=True)[:300])
    assert r.content_type == PROBLEM
    problem = r.get_json()
    assert problem["status"] == r.status_code and problem["title"] and problem["detail"]
    assert isinstance(problem["reasons"], list)


@pytest.mark.parametrize("path", [
    "/council-sessions?page=abc", "/council-sessions?per_page=1000", "/council-sessions?page=0",
    "/council-sessions?page=99999999999999999999", "/councils?per_page=x", "/councils?page=-1",
    "/council-sessions/99999999999999999999", "/council-sessions/abc", "/council-sessions/-1",
    "/council-sessions/0", "/council-sessions/987654/minutes", "/councils/0", "/councils/abc",
])
def test_bad_queries_and_ids(api, ids, path):
    r = api.as_("vanphong").get(path)
    assert r.status_code in (404, 422), (r.status_code, r.get_data(as_text=True)[:300])
    assert r.content_type == PROBLEM
