"""Who signed a Minister's decision: the Ministry's reviewer records it, the Minister ("BỘ TRƯỞNG") or a Deputy
Minister ("KT. BỘ TRƯỞNG" over "THỨ TRƯỞNG") signed it. The documents print the recorded name, or leave the name
blank — never the reviewer's; a cơ sở decision takes no typed name; extending a decision never contradicts its
signer. Through the service, the API and the ministry page."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from test_documents import lines, open_docx
from test_documents_proposal import recognised, submit  # noqa: F401  (fixtures)

from models import Decision, Nomination
from workflow import clock, documents
from workflow.errors import ValidationFailed
from workflow.proposals import decisions

NAME = "Nguyễn Hải Ninh"
DEPUTY = "Mai Lương Khôi"


@pytest.fixture
def proposed(db, demo, recognised):  # noqa: F811
    """An Giang's collective and individual, recognised cơ sở and proposed to the Minister (46/TTr-STP)."""
    submit(db, demo.actor("giamdoc"), recognised.proposal)
    return recognised


def record(db, demo, ids, number=100, **signer) -> Decision:
    d = decisions.issue(db, demo.actor("botp"), level="nganh", number=number, date=clock.today(),
                        nomination_ids=ids, **signer)
    db.commit()
    return d


def signature(db, d: Decision) -> list[str]:
    """The decision's .docx lines from the signer's block on (the closing table, before the annex)."""
    text = lines(open_docx(documents.decision_docx(db, d)))
    start = text.index("Nơi nhận:")
    return text[start:text.index("Lưu: VT, Vụ TĐKT.", start) + 12]


def state(db, n) -> str:
    nid = n if isinstance(n, int) else n.id
    return db.scalar(select(Nomination.state).where(Nomination.id == nid))


def test_the_minister_named_signs_bo_truong(db, demo, proposed):
    d = record(db, demo, [proposed.person.id, proposed.collective.id], signer_name=f"  {NAME}\t")
    assert (d.signed_by_name, d.signed_as_deputy, d.signer_title) == (NAME, False, "BỘ TRƯỞNG")
    assert d.signer_id == demo.user("botp").id  # the recorder stays known
    text = lines(open_docx(documents.decision_docx(db, d)))
    assert text.index(NAME) > text.index("BỘ TRƯỞNG", text.index("Nơi nhận:"))
    assert "KT. BỘ TRƯỞNG" not in text and "THỨ TRƯỞNG" not in text
    assert demo.user("botp").full_name not in "\n".join(text)
    c = documents.certificate(db, proposed.person)
    assert (c.capacity, c.signer_title, c.signer_name) == (None, "BỘ TRƯỞNG", NAME)


def test_a_deputy_minister_signs_kt_bo_truong(db, demo, proposed):
    d = record(db, demo, [proposed.person.id], signer_name=DEPUTY, signer_deputy=True)
    assert (d.signed_by_name, d.signed_as_deputy, d.signer_title) == (DEPUTY, True, "THỨ TRƯỞNG")
    text = lines(open_docx(documents.decision_docx(db, d)))
    kt = text.index("KT. BỘ TRƯỞNG")
    assert text[kt + 1] == "THỨ TRƯỞNG" and text.index(DEPUTY) > kt
    c = documents.certificate(db, proposed.person)
    assert (c.capacity, c.signer_title, c.signer_name) == ("KT. BỘ TRƯỞNG", "THỨ TRƯỞNG", DEPUTY)
    certificate = "\n".join(lines(open_docx(documents.certificate_docx(db, proposed.person))))
    assert "KT. BỘ TRƯỞNG\nTHỨ TRƯỞNG" in certificate and DEPUTY in certificate


def test_no_name_leaves_the_signature_blank(db, demo, proposed):
    d = record(db, demo, [proposed.person.id], signer_name="   ")
    assert d.signed_by_name is None and d.signer_title == "BỘ TRƯỞNG"
    recorder = demo.user("botp").full_name
    text = lines(open_docx(documents.decision_docx(db, d)))
    assert recorder not in "\n".join(text)
    title = text.index("BỘ TRƯỞNG", text.index("Nơi nhận:"))
    assert text[title + 1:title + 6] == [""] * 5  # the signature space, then no name
    assert documents.certificate(db, proposed.person).signer_name == ""
    assert recorder not in "\n".join(lines(open_docx(documents.certificate_docx(db, proposed.person))))


def test_co_so_takes_no_typed_signer(db, demo, proposed):
    for signer in ({"signer_name": NAME}, {"signer_deputy": True}):
        with pytest.raises(ValidationFailed) as err:
            decisions.issue(db, demo.actor("giamdoc"), level="co_so", number=13, date=clock.today(),
                            nomination_ids=[proposed.person.id], **signer)
        assert err.value.status == 422 and set(err.value.field_errors) <= {"signer_name", "signer_deputy"}
    with pytest.raises(ValidationFailed, match="quá dài"):
        record(db, demo, [proposed.person.id], signer_name="A" * 201)
    assert db.scalar(select(Decision).where(Decision.level == "nganh")) is None
    # A department's decision still prints its signing user (the director).
    assert demo.user("giamdoc").full_name in "\n".join(lines(open_docx(documents.decision_docx(db, proposed.co_so))))


def test_extending_never_contradicts_the_signer(db, demo, proposed):
    person, collective = proposed.person, proposed.collective
    d = record(db, demo, [person.id], signer_name=NAME)
    for signer in ({"signer_name": DEPUTY}, {"signer_name": NAME, "signer_deputy": True}, {"signer_deputy": True}):
        with pytest.raises(ValidationFailed) as err:
            record(db, demo, [collective.id], **signer)
        assert err.value.status == 422 and "Người ký không khớp" in err.value.detail
        db.rollback()
        assert state(db, collective) == "proposed_nganh"
    # The same name (however spaced or cased), or none, adds to the decision.
    same = record(db, demo, [collective.id], signer_name=f" {NAME.upper()} ")
    assert same.id == d.id and state(db, collective) == "recognized"
    assert db.get(Decision, d.id).signed_by_name == NAME


def test_a_later_record_completes_a_blank_signer(db, demo, proposed):
    d = record(db, demo, [proposed.person.id])
    assert d.signed_by_name is None
    record(db, demo, [proposed.collective.id], signer_name=DEPUTY, signer_deputy=True)
    db.refresh(d)
    assert (d.signed_by_name, d.signed_as_deputy, d.signer_title) == (DEPUTY, True, "THỨ TRƯỞNG")


def test_api_round_trip(api, db, demo, proposed):
    botp, person, collective = demo.user("botp").id, proposed.person.id, proposed.collective.id
    db.rollback()  # release SQLite's lock before requests
    body = {"level": "nganh", "number": "100/QĐ-BTP", "date": dt.date.today().isoformat(),
            "nomination_ids": [person]}
    bad = api.as_("botp").post("/decisions", json={**body, "signer_deputy": "yes"})
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    r = api.as_("botp").post("/decisions", json={**body, "signer_name": DEPUTY, "signer_deputy": True})
    assert r.status_code == 201, r.get_data(as_text=True)
    data = r.get_json()
    assert (data["signed_by_name"], data["signed_as_deputy"], data["signer_title"]) == (DEPUTY, True, "THỨ TRƯỞNG")
    assert data["signer"]["id"] == botp
    again = api.as_("botp").get(f"/decisions/{data['id']}").get_json()
    assert again["signed_by_name"] == DEPUTY and again["signed_as_deputy"] is True
    clash = api.as_("botp").post("/decisions", json={**body, "nomination_ids": [collective],
                                                     "signer_name": NAME})
    assert clash.status_code == 422 and clash.mimetype == "application/problem+json"
    assert "Người ký không khớp" in clash.get_json()["detail"]
    doc = api.as_("botp").get(f"/decisions/{data['id']}/document")
    text = "\n".join(lines(open_docx(doc.data)))
    assert "KT. BỘ TRƯỞNG\nTHỨ TRƯỞNG" in text and DEPUTY in text
    co_so = api.as_("giamdoc").post("/decisions", json={**body, "level": "co_so", "number": 13,
                                                        "signer_name": NAME})
    assert co_so.status_code == 422 and co_so.mimetype == "application/problem+json"
    # The old shape (CONTRACT.md: level, number, date, nomination_ids) still records, with a blank signer.
    old = api.as_("botp").post("/decisions", json={**body, "nomination_ids": [collective]})
    assert old.status_code == 201 and old.get_json()["signed_by_name"] == DEPUTY


def test_ministry_page_form(client, login, db, demo, proposed):
    pid, recorder = proposed.proposal.id, demo.user("botp").full_name
    person, collective = proposed.person.id, proposed.collective.id
    db.rollback()  # release SQLite's lock before requests (and after each read below)
    login("botp")
    page = client.get(f"/ministry/proposals/{pid}").get_data(as_text=True)
    assert "Người ký quyết định" in page and "Thứ trưởng ký thay (KT. BỘ TRƯỞNG)" in page
    assert 'name="signer_name"' in page and 'name="signer_deputy"' in page
    form = {"nomination_ids": [str(person)], "number": "100", "confirm": "yes",
            "date": dt.date.today().strftime("%d/%m/%Y"), "signer_name": DEPUTY, "signer_deputy": "yes"}
    r = client.post(f"/ministry/proposals/{pid}/recognize", data=form)
    assert r.status_code == 302, r.get_data(as_text=True)
    d = db.scalar(select(Decision).where(Decision.level == "nganh"))
    assert (d.signed_by_name, d.signed_as_deputy) == (DEPUTY, True)
    db.rollback()
    # A contradicting name: 422 beside the form, the typed values kept, nothing recorded.
    r = client.post(f"/ministry/proposals/{pid}/recognize",
                    data={**form, "nomination_ids": [str(collective)], "signer_name": "<b>Khác</b>",
                          "signer_deputy": ""})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "Người ký không khớp" in html and "&lt;b&gt;Khác&lt;/b&gt;" in html and "<b>Khác" not in html
    assert state(db, collective) == "proposed_nganh"
    db.rollback()
    detail = client.get(f"/decisions/{d.id}").get_data(as_text=True)
    assert "KT. BỘ TRƯỞNG, THỨ TRƯỞNG — " + DEPUTY in detail
    assert "Người ghi nhận" in detail and recorder in detail
    listing = client.get("/decisions").get_data(as_text=True)
    assert DEPUTY in listing and "Ghi nhận: " + recorder in listing
