"""The official documents through the JSON API as on the pages (issue 15, Deliver 7 and 4): every .docx download
also answers its PDF (`?format=pdf` or `Accept: application/pdf`), made by the one converter
(`workflow.documents.pdf`) and refused the same way when the server has no LibreOffice; the reports carry the number
the register gave them, in their JSON and in their .docx, from the one home of it (`ReportData.number_text`)."""
from __future__ import annotations

import io
import re
import subprocess

import pytest
from docx import Document
from factories import draft, recognised
from sqlalchemy import select
from test_render import need_libreoffice

from models import CouncilSession, Decision
from workflow import clock
from workflow.documents import pdf

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF = "application/pdf"
PROBLEM = "application/problem+json"


def docx_text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.extend(c.text for c in row.cells)
    return "\n".join(parts)


@pytest.fixture
def documents(db, demo):
    """One of each official document (API path → who may download it): a closed session's minutes, the director's
    decision, a recognised example's certificate, a draft Tờ trình, the yearly and the sơ kết reports."""
    n, = recognised(db, demo, "HCTP")
    decision = db.scalar(select(Decision).order_by(Decision.id.desc()))
    session = db.scalar(select(CouncilSession).order_by(CouncilSession.id.desc()))
    proposal = draft(db, demo, [n])
    db.commit()
    return {
        f"/council-sessions/{session.id}/minutes": "giamdoc",
        f"/decisions/{decision.id}/document": "giamdoc",
        f"/nominations/{n.id}/certificate.docx": "giamdoc",
        f"/proposals/{proposal.id}/document": "vanphong",
        f"/reports/yearly.docx?year={clock.today().year}": "giamdoc",
        f"/reports/period.docx?campaign={demo.campaign('period').id}&stage=final": "giamdoc",
    }


def _with(path: str, query: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}{query}"


def _template(path: str) -> str:
    """/decisions/7/document → /api/v1/decisions/{decision_id}/document (as the OpenAPI document names it)."""
    path = path.partition("?")[0]
    names = {"council-sessions": "session_id", "decisions": "decision_id", "nominations": "nomination_id",
             "proposals": "proposal_id"}
    parts = path.strip("/").split("/")
    if len(parts) > 1 and parts[1].isdigit():
        parts[1] = "{" + names[parts[0]] + "}"
    return "/api/v1/" + "/".join(parts).replace("yearly.docx", "yearly.{ext}").replace("period.docx", "period.{ext}")


def test_every_official_docx_of_the_api_answers_its_pdf(api, documents, client, monkeypatch):
    """`?format=pdf` and `Accept: application/pdf` send the PDF that `workflow.documents.pdf` makes of the very .docx
    the endpoint makes (here LibreOffice's run is stood in for: the last test below runs it); without either, the
    .docx. Every .docx download the OpenAPI document lists is one of them (an uploaded attachment is sent as it was
    uploaded: it is no document of the system's)."""
    converted = []

    def convert(files, **_kw):
        converted.extend(files.values())
        return {name: b"%PDF-1.7 converted" for name in files}

    monkeypatch.setattr(pdf, "convert", convert)
    doc = client.get("/api/openapi.json").get_json()
    docx_paths = {path for path, item in doc["paths"].items() for op in item.values() if isinstance(op, dict)
                  for r in op.get("responses", {}).values() if DOCX in r.get("content", {})}
    docx_paths.discard("/api/v1/nominations/{nomination_id}/attachments/{attachment_id}")
    assert docx_paths == {_template(p) for p in documents}

    for path, who in documents.items():
        caller = api.as_(who)
        plain = caller.get(path)
        assert plain.status_code == 200 and plain.mimetype == DOCX, (path, plain.status_code, plain.data[:300])
        assert plain.headers["Content-Disposition"].endswith('.docx"') and "Accept" in plain.headers["Vary"]
        assert not converted
        for url, headers in ((_with(path, "format=pdf"), {}), (path, {"Accept": PDF})):
            response = caller.get(url, headers=headers)
            assert response.status_code == 200 and response.mimetype == PDF, (path, response.data[:300])
            assert response.data == b"%PDF-1.7 converted"
            assert response.headers["Content-Disposition"].endswith('.pdf"'), response.headers
            assert response.headers["Cache-Control"] == "private, no-store"
            assert len(converted) == 1 and docx_text(converted.pop()) == docx_text(plain.data), path
        assert caller.get(_with(path, "format=docx")).mimetype == DOCX
        assert caller.get(path, headers={"Accept": "*/*"}).mimetype == DOCX


def test_without_libreoffice_the_api_refuses_the_pdf_as_the_pages_do(api, documents, client, login, monkeypatch):
    """No LibreOffice on the server: the PDF is refused with the pages' reason (404, problem+json in the API), the
    .docx still comes; nothing is converted half-way."""
    monkeypatch.setattr(pdf, "soffice", lambda: None)
    for path, who in documents.items():
        r = api.as_(who).get(_with(path, "format=pdf"))
        assert r.status_code == 404 and r.mimetype == PROBLEM, (path, r.status_code, r.data[:300])
        assert "LibreOffice" in r.get_json()["detail"]
        r = api.as_(who).get(path, headers={"Accept": PDF})
        assert r.status_code == 404 and r.mimetype == PROBLEM and "LibreOffice" in r.get_json()["detail"]
        assert api.as_(who).get(path).mimetype == DOCX
    decision = next(p for p in documents if p.startswith("/decisions/"))
    login("giamdoc")
    page = client.get(_with(decision, "format=pdf"))
    assert page.status_code == 404 and "LibreOffice" in page.get_data(as_text=True)


def test_another_departments_document_is_not_converted_for_an_outsider(api, documents, monkeypatch):
    """The PDF is asked for after the document is opened in the caller's scope: another department's unit head gets
    the .docx's refusal, and LibreOffice never runs for them."""
    converted = []
    monkeypatch.setattr(pdf, "convert", lambda files, **_kw: converted.extend(files) or {})
    for path in documents:
        if path.startswith("/reports/"):
            continue  # a unit head's report is their own unit's
        r = api.as_("tp_stp2").get(_with(path, "format=pdf"))
        assert r.status_code in (403, 404) and r.mimetype == PROBLEM, (path, r.status_code)
    assert converted == []


def test_a_format_the_server_does_not_make_is_refused(api, documents):
    for path, who in documents.items():
        r = api.as_(who).get(_with(path, "format=odt"))
        assert r.status_code == 422 and r.mimetype == PROBLEM and "format" in r.get_json()["errors"], path
    year = clock.today().year
    r = api.as_("giamdoc").get(f"/reports/yearly.xlsx?year={year}&format=pdf")
    assert r.status_code == 422 and r.mimetype == PROBLEM and "format" in r.get_json()["errors"]
    assert api.as_("giamdoc").get(f"/reports/yearly.xlsx?year={year}").status_code == 200


def test_the_api_pdf_is_the_document_rendered_by_libreoffice(api, documents, tmp_path):
    """With LibreOffice: the decision's PDF through the API is the decision, its number printed."""
    _soffice, pdftotext = need_libreoffice()  # skips without them, unless REQUIRE_LIBREOFFICE=1 (CI) fails
    path = next(p for p in documents if p.startswith("/decisions/"))
    r = api.as_("giamdoc").get(_with(path, "format=pdf"))
    assert r.status_code == 200 and r.mimetype == PDF and r.data.startswith(b"%PDF")
    (tmp_path / "qd.pdf").write_bytes(r.data)
    text = subprocess.run([pdftotext, str(tmp_path / "qd.pdf"), "-"], capture_output=True, text=True,
                          check=True, timeout=60).stdout
    assert "12/QĐ-STP" in text and "QUYẾT ĐỊNH" in text


# ------------------------------------------------------------------------------------------------ report numbers
def test_the_api_report_carries_the_number_its_docx_prints(db, demo, api, client, login):
    """The number the register gave the report: in the API's JSON (`number_text`) exactly as the .docx prints it
    after "Số:", through the API as through the page; none leaves both blank; another body's symbol is refused."""
    year = clock.today().year
    director = api.as_("giamdoc")
    r = director.get(f"/reports/yearly?year={year}&number=15")
    assert r.status_code == 200, r.data[:300]
    report = r.get_json()
    assert report["number"] == 15 and report["number_text"] == "15/BC-STP" and report["symbol"] == "BC-STP"
    assert report["kind"] == "yearly" and report["year"] == year
    docx = director.get(f"/reports/yearly.docx?year={year}&number=15/BC-STP")
    assert f"Số: {report['number_text']}" in docx_text(docx.data)
    login("giamdoc")
    assert f"Số: {report['number_text']}" in docx_text(client.get(f"/reports/yearly.docx?year={year}&number=15").data)
    assert report["summary"] == director.get(f"/reports/summary?year={year}&department={demo.unit('STP').id}"
                                             ).get_json()

    blank = director.get("/reports/yearly").get_json()  # this year's
    assert blank["number"] is None and blank["number_text"] is None and blank["year"] == year
    assert "Số:       /BC-STP" in docx_text(director.get(f"/reports/yearly.docx?year={year}").data)

    r = director.get(f"/reports/yearly?year={year}&number=15/QĐ-STP")
    assert r.status_code == 422 and r.mimetype == PROBLEM and "BC-STP" in " ".join(r.get_json()["reasons"])
    r = director.get(f"/reports/yearly.docx?year={year}&number=abc")
    assert r.status_code == 422 and r.mimetype == PROBLEM

    period = demo.campaign("period").id
    report = director.get(f"/reports/period?campaign={period}&stage=final&number=16").get_json()
    assert report["number_text"] == "16/BC-STP" and report["stage"] == "final" and report["campaign_id"] == period
    docx = director.get(f"/reports/period.docx?campaign={period}&stage=final&number=16")
    assert "Số: 16/BC-STP" in docx_text(docx.data)


def test_a_unit_heads_report_is_numbered_in_the_units_register(api):
    """A unit head reports for their unit: its header, its number and the number it accepts name the unit."""
    year = clock.today().year
    head = api.as_("tp_pbgdpl")
    report = head.get(f"/reports/yearly?year={year}&number=3").get_json()
    assert report["number_text"] == "3/BC-PBGDPL" and report["unit_id"] is not None
    assert "Số: 3/BC-PBGDPL" in docx_text(head.get(f"/reports/yearly.docx?year={year}&number=3/BC-PBGDPL").data)
    r = head.get(f"/reports/yearly?year={year}&number=3/BC-STP")
    assert r.status_code == 422 and r.mimetype == PROBLEM


def test_reports_json_is_for_report_drafters_only(api):
    year = clock.today().year
    r = api.as_("canbo1").get(f"/reports/yearly?year={year}")
    assert r.status_code == 403 and r.mimetype == PROBLEM


def test_the_reports_page_offers_each_reports_number_and_pdf(demo, client, login, monkeypatch):
    """The pages as the API: the yearly report's form and each period campaign's (sơ kết or tổng kết) take the
    report's number and offer "Bản PDF" beside the .docx when the server has LibreOffice; without it, no PDF. The
    period form's number reaches the document."""
    period = demo.campaign("period").id
    monkeypatch.setattr(pdf, "soffice", lambda: "/usr/bin/soffice")
    login("giamdoc")
    page = client.get("/reports").get_data(as_text=True)
    forms = re.findall(r'<form method="get" action="/reports/(yearly|period)\.docx".*?</form>', page, re.S)
    assert forms.count("yearly") == 1 and forms.count("period") >= 1
    for form in re.findall(r'<form method="get" action="/reports/(?:yearly|period)\.docx".*?</form>', page, re.S):
        assert 'name="number"' in form and 'name="format" value="pdf"' in form
    assert f'name="campaign" value="{period}"' in page
    r = client.get(f"/reports/period.docx?campaign={period}&stage=final&number=21")
    assert r.status_code == 200 and "Số: 21/BC-STP" in docx_text(r.data)
    monkeypatch.setattr(pdf, "soffice", lambda: None)
    page = client.get("/reports").get_data(as_text=True)
    assert "format=pdf" not in page and 'value="pdf"' not in page


def test_the_minutes_number_is_shown_where_the_minutes_are_offered(api, documents, client, login):
    """The Biên bản's number in its council's register: in the session's JSON and on its page exactly as the
    minutes print it; only beside the results (who may not read the minutes does not get it)."""
    path = next(p for p in documents if p.endswith("/minutes"))
    session_path = path.removesuffix("/minutes")
    detail = api.as_("giamdoc").get(session_path).get_json()
    number = detail["minutes_number"]
    assert number and number.endswith("/BB-HĐTĐKT")
    assert f"Số: {number}" in docx_text(api.as_("giamdoc").get(path).data)
    login("giamdoc")
    page = client.get(session_path.replace("/council-sessions/", "/council/sessions/")).get_data(as_text=True)
    assert f'data-testid="minutes-number">{number}<' in page
    outsider = api.as_("tp_pbgdpl").get(session_path)
    assert outsider.status_code in (200, 404) and "minutes_number" not in (outsider.get_json() or {})
