"""Links in notifications and on the home page's cards: `workflow` names a place, `web` says its path.

`workflow` and `notifications` may not import `web` (the layers, `make lint`), so the paths they store come from the
resolver `create_app` installs (web/links.py). A target added on one side only, or one whose page moved, fails here.
"""
from __future__ import annotations

import pytest
from factories import submitted
from sqlalchemy import select

from models import Notification
from web import links as web_links
from workflow import links


def test_every_target_has_a_page(app):
    assert set(links.TARGETS) == set(web_links.ENDPOINTS)
    for target, takes_id in links.TARGETS.items():
        path = links.path(target, 7) if takes_id else links.path(target)
        assert path.startswith("/") and (not takes_id or "7" in path), (target, path)


def test_paths_come_from_the_url_rules(app):
    assert links.path("nomination", 12) == "/nominations/12"
    assert links.path("council_ballot", 3) == "/council/sessions/3/vote"
    assert links.path("proposals", state="draft") == "/proposals?state=draft"


def test_a_wrong_call_is_a_programming_error(app):
    with pytest.raises(KeyError):
        links.path("nowhere")
    with pytest.raises(ValueError):
        links.path("nomination")  # needs the nomination's id
    with pytest.raises(ValueError):
        links.path("nominations", 3)


def test_a_notification_leads_to_its_page(client, login, db, demo):
    """The secretariat is told of a submitted nomination; the link it gets opens the nomination."""
    n = submitted(db, demo, "tp_pbgdpl", unit="PBGDPL")
    note = db.scalars(select(Notification).where(Notification.user_id == demo.user("vanphong").id,
                                                 Notification.object_id == n.id)).first()
    assert note is not None and note.link == f"/nominations/{n.id}"
    login("vanphong")
    assert client.get(note.link).status_code == 200
