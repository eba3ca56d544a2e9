"""Edits that never lose work (issue 14, finding 7): on a version conflict the edit form comes back with what the user
typed, the saved values beside it and a plain Vietnamese explanation; the API's 409 says it plainly too and carries
the current version."""
from __future__ import annotations

import html
import re

import pytest
from factories import nurtured, ok, refused

from workflow.nominations import service


@pytest.fixture
def dossier(db, demo):
    n = nurtured(db, demo, "tp_pbgdpl", unit="PBGDPL")
    db.commit()
    return n.id, n.version


def _someone_else_saves(db, demo, nid, version, **fields):
    service.update_nomination(db, demo.actor("vanphong"), nid, version, **fields)
    db.commit()


def test_page_conflict_keeps_the_users_text_and_shows_the_saved_one(client, login, db, demo, dossier):
    nid, version = dossier
    login("tp_pbgdpl")
    form = client.get(f"/nominations/{nid}/edit").get_data(as_text=True)
    assert f'name="version" value="{version}"' in form
    _someone_else_saves(db, demo, nid, version, achievements="Thành tích do Văn phòng Sở sửa")
    mine = "Thành tích do trưởng phòng viết, rất dài và công phu"
    fields = {"title": "Hồ sơ", "achievements": mine, "initiatives": "", "nurture_plan": "Kế hoạch"}
    r = client.post(f"/nominations/{nid}/edit", data={"version": str(version), **fields})
    assert r.status_code == 409
    page = html.unescape(r.get_data(as_text=True))
    assert mine in page  # what the user typed is still in the form
    saved = re.search(r'data-testid="current-achievements".*?</div>', page, re.S).group(0)
    assert "Thành tích do Văn phòng Sở sửa" in saved  # the saved value beside it
    assert "người khác cập nhật" in page
    assert "Phiên bản hiện tại" not in page and "phiên bản" not in page.lower()
    assert f'name="version" value="{version + 1}"' in page  # saving again is a deliberate overwrite
    assert 'data-testid="current-title"' not in page  # only the fields that differ
    r = client.post(f"/nominations/{nid}/edit", data={"version": str(version + 1), **fields})
    assert r.status_code == 302
    assert service.load(db, demo.actor("tp_pbgdpl"), nid).achievements == mine


def test_api_conflict_is_plain_and_carries_the_current_version(api, db, demo, dossier):
    nid, version = dossier
    _someone_else_saves(db, demo, nid, version, achievements="Bản của Văn phòng Sở")
    body = refused(api.as_("tp_pbgdpl").patch(f"/nominations/{nid}", json={"version": version,
                                                                            "achievements": "Bản của tôi"}), 409)
    assert body["current_version"] == version + 1
    text = body["detail"] + " ".join(body["reasons"])
    assert "người khác cập nhật" in body["detail"] and "phiên bản" not in text.lower()
    again = ok(api.as_("tp_pbgdpl").patch(f"/nominations/{nid}", json={"version": body["current_version"],
                                                                        "achievements": "Bản của tôi"}))
    assert again["achievements"] == "Bản của tôi"
