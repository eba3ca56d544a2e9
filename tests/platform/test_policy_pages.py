"""Menus, page gates, the API and the services ask the one policy, so they answer alike for every demo account
(issue 12: the proposals menu, its page and `can_view` held three role lists; the reports page refused staff while
the API answered them; council scope was written twice in web/)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from models import Council
from workflow import policy

DEMO_ACCOUNTS = ["admin", "vanphong", "giamdoc", "hoidong1", "hoidong2", "tp_pbgdpl", "tp_hctp", "tp_ptpcd",
                 "tp_stp2", "botp", "bientap", "thanhtra", "canbo1"]


@pytest.mark.parametrize("username", DEMO_ACCOUNTS)
def test_the_proposals_menu_the_page_and_the_service_agree(db, demo, client, login, username):
    """The menu, the page's gate and `can_view` used three role lists (council members could open the page but had
    no menu entry)."""
    actor = demo.actor(username)
    service_lists = bool(policy.can(actor, "view", "proposal"))
    ministry_only = service_lists and not policy.reads_in_every_state(actor, "view", "proposal")
    db.commit()  # SQLite: no transaction of the test may hold the write lock while the app writes
    login(username)
    header = client.get("/").get_data(as_text=True).split("<main", 1)[0]
    offered = 'href="/proposals"' in header
    status = client.get("/proposals").status_code
    if ministry_only:
        assert status == 302 and not offered, username  # the Ministry works on its own pages
        assert 'href="/ministry"' in header
    else:
        assert offered == (status == 200) == service_lists, (username, offered, status, service_lists)


@pytest.mark.parametrize("username", DEMO_ACCOUNTS)
def test_the_reports_menu_the_page_and_the_api_agree(db, demo, client, login, api, username):
    allowed = bool(policy.can(demo.actor(username), "view", "report"))
    db.commit()
    assert (api.as_(username).get("/reports/summary").status_code == 200) == allowed
    login(username)
    header = client.get("/").get_data(as_text=True).split("<main", 1)[0]
    assert ('href="/reports"' in header) == allowed
    assert (client.get("/reports").status_code == 200) == allowed


def test_council_settings_page_and_api_share_the_policys_scope(db, demo, client, login, api):
    councils = list(db.scalars(select(Council)))
    expected = {u: {c.id for c in councils if policy.can(demo.actor(u), "view", c)} for u in DEMO_ACCOUNTS}
    db.commit()
    for username in DEMO_ACCOUNTS:
        body = api.as_(username).get("/councils?per_page=100").get_json()
        assert {c["id"] for c in body["items"]} == expected[username], username
        login(username)
        page = client.get("/council").get_data(as_text=True)
        for c in councils:
            assert (f'value="{c.id}"' in page or c.name in page) == (c.id in expected[username]), (username, c.id)




def _menu(page: str) -> str:
    start = page.index('<ul class="navbar-nav me-auto">')
    return page[start:page.index('<div class="d-flex flex-wrap flex-lg-nowrap', start)]


def test_a_kept_menu_is_the_menu_drawn_afresh_for_every_account(db, demo, app, client, login):
    """The header's menu is kept per standing (`web.main.views.header_menu`): for every demo account the kept menu,
    drawn for whoever of that standing came first, is the one drawn afresh for this account."""
    db.commit()
    menus = app.extensions["dienhinh.kept_html"]  # the kept menus among the kept parts
    fresh = {}
    for username in DEMO_ACCOUNTS:
        login(username)
        menus.clear()
        fresh[username] = _menu(client.get("/nominations").get_data(as_text=True))
    for username in DEMO_ACCOUNTS:
        login(username)
        kept = _menu(client.get("/nominations").get_data(as_text=True))
        assert kept == fresh[username], username
    assert len(set(fresh.values())) >= 6  # the accounts' menus differ: the key tells them apart


def test_the_menu_follows_a_role_given_and_taken_at_the_next_page(db, demo, client, login):
    """A role given to an account shows its menu entries on the account's next page, and goes with the role: the kept
    menu is keyed by what the policy reads of the caller, which each request reads afresh."""
    from models import User, UserRole

    user = db.scalar(select(User).where(User.username == "canbo1"))
    db.commit()
    login("canbo1")
    assert 'href="/admin"' not in _menu(client.get("/nominations").get_data(as_text=True))
    db.add(UserRole(user_id=user.id, role=policy.ADMIN))
    db.commit()
    assert 'href="/admin"' in _menu(client.get("/nominations").get_data(as_text=True))
    db.delete(db.get(UserRole, (user.id, policy.ADMIN)))
    db.commit()
    assert 'href="/admin"' not in _menu(client.get("/nominations").get_data(as_text=True))


@pytest.mark.parametrize("username", DEMO_ACCOUNTS)
def test_the_reports_page_offers_its_downloads_to_who_may_draw_them_up(db, demo, client, login, username):
    """The dashboard's "Tải báo cáo" follows `(report, draw_up)` as its view asks. The layout's header once set a
    `can_report` of its own (`(report, view)`) at the template's top level, which the page's blocks then read instead
    of the view's: the Ministry, council members and editors were offered downloads that answer 403."""
    actor = demo.actor(username)
    may_view, may_draw_up = bool(policy.can(actor, "view", "report")), bool(policy.can(actor, "draw_up", "report"))
    db.commit()
    login(username)
    page = client.get("/reports")
    if not may_view:
        return
    assert page.status_code == 200
    assert ('id="h-downloads"' in page.get_data(as_text=True)) == may_draw_up, username
    assert (client.get("/reports/yearly.docx?year=2025").status_code == 200) == may_draw_up, username
