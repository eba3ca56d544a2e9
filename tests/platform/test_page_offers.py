"""Pages offer what the service offers (issue 12): every action button of the council session, proposal, story and
decision pages is drawn from the area's `available_actions`. A refused action is shown disabled with the very
reasons the service (and so the API) gives; an allowed one is a form that posts successfully."""
from __future__ import annotations

import datetime as dt
import html
import inspect
import re
from pathlib import Path

import pytest
from factories import (
    closed_session,
    co_so_example,
    draft,
    nganh_decision,
    proposed,
    recognised,
    schedule,
    story,
    submitted,
    unlimited,
)

from web.council import views as council_views
from web.propagation.stories import views as story_views
from web.proposals import views as proposal_views
from web.proposals.decisions import views as decision_views
from workflow import clock
from workflow.council import operations as council
from workflow.errors import ValidationFailed
from workflow.proposals import decisions


def refused_reasons(page: str, code: str) -> list[str] | None:
    """The reasons the page shows under the disabled button of `code` (None: no such refused button)."""
    match = re.search(rf'data-refused="{code}">(.*?)</div>', page, re.S)
    if match is None:
        return None
    return [html.unescape(r) for r in re.findall(r"<li>(.*?)</li>", match.group(1), re.S)]


def api_offer(api, user: str, path: str, code: str) -> dict:
    r = api.as_(user).get(path)
    assert r.status_code == 200, r.get_data(as_text=True)
    return next(a for a in r.get_json()["available_actions"] if a["action"] == code)


# ------------------------------------------------------------------------------------------------ council sessions
def test_council_publish_refused_with_the_service_reasons_then_allowed_and_posted(db, demo, client, login, api):
    s = schedule(db, demo, [], publish=False, date=clock.today() + dt.timedelta(days=30))
    db.commit()
    login("vanphong")
    page = client.get(f"/council/sessions/{s.id}").get_data(as_text=True)
    offer = api_offer(api, "vanphong", f"/council-sessions/{s.id}", "publish")
    assert not offer["allowed"]
    assert refused_reasons(page, "publish") == offer["reasons"] == ["Hãy lập chương trình trước."]
    assert f'action="/council/sessions/{s.id}/publish"' not in page

    n = submitted(db, demo, "tp_hctp", unit="HCTP")
    db.commit()
    login("vanphong")
    assert client.post(f"/council/sessions/{s.id}/agenda", data={"nomination_ids": [str(n.id)]}).status_code == 302
    page = client.get(f"/council/sessions/{s.id}").get_data(as_text=True)
    assert refused_reasons(page, "publish") is None
    assert f'action="/council/sessions/{s.id}/publish"' in page
    assert client.post(f"/council/sessions/{s.id}/publish", data={"confirm": "yes"}).status_code == 302


def test_council_open_refused_shows_what_the_service_answers(db, demo, client, login, api):
    s = schedule(db, demo, [], publish=False, date=clock.today() + dt.timedelta(days=30))
    db.commit()
    login("giamdoc")
    page = client.get(f"/council/sessions/{s.id}").get_data(as_text=True)
    offer = api_offer(api, "giamdoc", f"/council-sessions/{s.id}", "open")
    service = next(o for o in council.available_actions(db, demo.actor("giamdoc"), s) if o.code == "open")
    assert not offer["allowed"]
    assert refused_reasons(page, "open") == offer["reasons"] == list(service.reasons)
    # the secretariat's actions are not the director's: no agenda form, no publish button for them
    assert f'action="/council/sessions/{s.id}/agenda"' not in page
    assert refused_reasons(page, "publish") is None


# ------------------------------------------------------------------------------------------------ proposals
def test_proposal_submit_refused_with_the_service_reasons_then_signed(db, demo, client, login, api):
    a = co_so_example(db, demo, unit="HCTP")
    p = draft(db, demo, [a])
    a.state = "submitted"  # no longer a cơ sở example: the draft may not be signed
    db.commit()
    login("giamdoc")
    page = client.get(f"/proposals/{p.id}").get_data(as_text=True)
    offer = api_offer(api, "giamdoc", f"/proposals/{p.id}", "submit")
    assert not offer["allowed"] and offer["reasons"]
    assert refused_reasons(page, "submit") == offer["reasons"]
    assert f'action="/proposals/{p.id}/submit"' not in page

    a.state = "evaluated_co_so"
    db.commit()
    page = client.get(f"/proposals/{p.id}").get_data(as_text=True)
    assert refused_reasons(page, "submit") is None and f'action="/proposals/{p.id}/submit"' in page
    number = re.search(r'id="f-number" name="number" value="(\d+)"', page).group(1)
    date = re.search(r'name="date"[^>]*value="([^"]+)"', page).group(1)
    r = client.post(f"/proposals/{p.id}/submit", data={"number": number, "date": date, "confirm": "yes"})
    assert r.status_code == 302, r.get_data(as_text=True)


# ------------------------------------------------------------------------------------------------ stories
def test_story_publish_refused_with_the_service_reasons_then_published(db, demo, client, login, api):
    n = recognised(db, demo, "HCTP")[0]
    s = story(db, demo, n)
    n.state = "revoked"  # the example lost its recognition: its story may not be published
    db.commit()
    login("bientap")
    page = client.get(f"/stories/{s.id}").get_data(as_text=True)
    offer = api_offer(api, "bientap", f"/stories/{s.id}", "publish")
    assert not offer["allowed"]
    assert refused_reasons(page, "publish") == offer["reasons"] == [
        f"Hồ sơ số {n.id} không còn là điển hình được công nhận."]
    assert f'action="/stories/{s.id}/publish"' not in page

    n.state = "evaluated_co_so"
    db.commit()
    page = client.get(f"/stories/{s.id}").get_data(as_text=True)
    assert refused_reasons(page, "publish") is None and f'action="/stories/{s.id}/publish"' in page
    r = client.post(f"/stories/{s.id}/publish", data={"version": str(s.version), "confirm": "yes"})
    assert r.status_code == 302, r.get_data(as_text=True)
    page = client.get(f"/stories/{s.id}").get_data(as_text=True)
    assert f'action="/stories/{s.id}/unpublish"' in page and f'action="/stories/{s.id}/images"' not in page


# ------------------------------------------------------------------------------------------------ decisions
def test_decision_of_a_session_refuses_an_item_it_did_not_pass_alike_in_page_api_and_service(db, demo, client,
                                                                                             login, api):
    unlimited(demo)
    passed = submitted(db, demo, "tp_hctp", unit="HCTP")
    stranger = submitted(db, demo, "tp_pbgdpl", unit="PBGDPL")  # waiting for the council, not on this agenda
    s = closed_session(db, demo, [passed])
    db.commit()
    expected = [f"Hồ sơ số {stranger.id} không có trong danh sách chờ quyết định."]
    day = clock.today()

    with pytest.raises(ValidationFailed) as refused_by_service:
        decisions.issue(db, demo.actor("giamdoc"), level="co_so", number="1", date=day.isoformat(),
                        nomination_ids=[passed.id, stranger.id], session_id=s.id)
    db.rollback()
    assert refused_by_service.value.reasons == expected

    r = api.as_("giamdoc").post("/decisions", json={"level": "co_so", "number": "1", "date": day.isoformat(),
                                                    "nomination_ids": [passed.id, stranger.id], "session_id": s.id})
    assert r.status_code == 422, r.get_data(as_text=True)
    assert r.get_json()["reasons"] == expected

    login("giamdoc")
    r = client.post(f"/decisions/new?session={s.id}", data={
        "number": "1", "date": day.strftime("%d/%m/%Y"), "nomination_ids": [str(passed.id), str(stranger.id)],
        "confirm": "yes"})
    assert r.status_code == 422
    assert expected[0] in html.unescape(r.get_data(as_text=True))

    r = client.post(f"/decisions/new?session={s.id}", data={
        "number": "1", "date": day.strftime("%d/%m/%Y"), "nomination_ids": [str(passed.id)], "confirm": "yes"})
    assert r.status_code == 302, r.get_data(as_text=True)


def test_minister_decision_page_offers_recording_items_to_whom_the_service_lets(db, demo, client, login, api):
    a = co_so_example(db, demo, unit="HCTP")
    proposed(db, demo, [a])
    d = nganh_decision(db, demo, [a.id])
    db.commit()
    for user, offered in (("botp", True), ("vanphong", False)):
        login(user)
        page = client.get(f"/decisions/{d.id}").get_data(as_text=True)
        actions = api.as_(user).get(f"/decisions/{d.id}").get_json()["available_actions"]
        assert ('data-action="record_items"' in page) is offered
        assert any(o["action"] == "record_items" and o["allowed"] for o in actions) is offered


# ------------------------------------------------------------------------------------------------ nothing else decides
ROLE_FLAGS = re.compile(r"\b(is_sec|is_dir|is_member|may_write|can_comment|open_refusals|policy)\b")


def test_no_template_holds_a_role_flag_or_asks_the_policy():
    templates = Path(__file__).resolve().parents[2] / "web" / "templates"
    found = {str(p.relative_to(templates)): m.group(1) for p in sorted(templates.rglob("*.html"))
             if (m := ROLE_FLAGS.search(p.read_text(encoding="utf-8")))}
    assert found == {}


@pytest.mark.parametrize("view", [council_views._detail_page, council_views.sessions, proposal_views._detail_page,
                                  proposal_views.index, story_views._detail_page, decision_views.detail,
                                  decision_views.index], ids=lambda f: f"{f.__module__}.{f.__name__}")
def test_action_pages_take_their_buttons_from_the_offers(view):
    source = inspect.getsource(view)
    assert "policy." not in source
    assert "available_actions" in source or "_offer(" in source
